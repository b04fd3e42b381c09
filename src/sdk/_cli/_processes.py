"""``sdk processes``: deploy BPMN files and list the deployed process definitions.

sdk processes deploy FILE...        one atomic deployment; prints id, version and key of each
sdk processes definitions [--id ID] [--latest]
"""

from __future__ import annotations

import argparse
import sys

from ..client import Client
from ..errors import ApiError


def deploy_arguments(deploy: argparse.ArgumentParser) -> None:
    deploy.add_argument("files", nargs="+", metavar="FILE", help="BPMN files (.bpmn)")
    deploy.add_argument("--tenant", default=None, help="tenant to deploy to")


def deploy(client: Client, args: argparse.Namespace) -> None:
    try:
        result = client.deploy_resources_from_files(args.files, tenant_id=args.tenant)
    except ApiError as exc:
        if exc.status != 400:
            raise
        print("error: the deployment was refused", file=sys.stderr)
        print(exc.problem.detail or str(exc), file=sys.stderr)
        raise SystemExit(1) from None
    print(f"deployment {result.deployment_key}")
    for process in result.processes:
        print(
            f"{process.process_definition_id:<24} version {process.process_definition_version:<4}"
            f" key {process.process_definition_key}  ({process.resource_name})"
        )


def definitions_arguments(definitions: argparse.ArgumentParser) -> None:
    definitions.add_argument("--id", default=None, help="only this BPMN process id")
    definitions.add_argument("--latest", action="store_true", help="only the latest versions")
    definitions.add_argument("--limit", type=int, default=100, help="most to list (default 100)")


def definitions(client: Client, args: argparse.Namespace) -> None:
    found = client.search_process_definitions(
        process_definition_id=args.id,
        is_latest_version=True if args.latest else None,
        limit=args.limit,
    )
    for d in found.items:
        state = "" if d.state == "ACTIVE" else f"  [{d.state}]"
        print(
            f"{d.process_definition_id:<24} version {d.version:<4} key {d.process_definition_key}"
            f"  {d.name or ''}  ({d.resource_name}){state}"
        )
