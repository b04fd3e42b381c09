"""``sdk processes``: deploy BPMN files and list the deployed process definitions.

sdk processes deploy FILE...        one atomic deployment; prints id, version and key of each
sdk processes definitions [--id ID] [--latest]
sdk processes start ID [--version N] [--variables JSON] [--await [--timeout MS]]
sdk processes list [--id ID] [--state STATE] | get KEY | cancel KEY
sdk incidents list [--all] | resolve KEY
"""

from __future__ import annotations

import argparse
import json
import sys

from ..client import Client
from ..errors import ApiError
from ._jobs import _json_object as json_object


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


# -- instances ------------------------------------------------------------------------------


def start_arguments(start: argparse.ArgumentParser) -> None:
    start.add_argument("id", metavar="ID", help="BPMN process id (the latest version)")
    start.add_argument("--version", type=int, default=None, help="a version instead of latest")
    start.add_argument("--variables", type=json_object, default={}, help="JSON object")
    start.add_argument(
        "--await",
        dest="wait",
        action="store_true",
        help="wait for the instance to complete and print its variables",
    )
    start.add_argument(
        "--timeout", type=int, default=60_000, help="with --await: ms to wait (default 60000)"
    )


def start(client: Client, args: argparse.Namespace) -> None:
    created = client.create_process_instance(
        process_definition_id=args.id,
        version=args.version,
        variables=args.variables,
        await_completion=args.wait,
        request_timeout_ms=args.timeout if args.wait else None,
    )
    print(
        f"instance {created.process_instance_key}  {created.process_definition_id}"
        f" version {created.process_definition_version}"
    )
    if args.wait:
        print(json.dumps(created.variables, indent=2, sort_keys=True))


def list_arguments(listing: argparse.ArgumentParser) -> None:
    listing.add_argument("--id", default=None, help="only instances of this BPMN process id")
    listing.add_argument("--state", default=None, help="ACTIVE, COMPLETED or TERMINATED")
    listing.add_argument("--limit", type=int, default=100, help="most to list (default 100)")


def list_instances(client: Client, args: argparse.Namespace) -> None:
    found = client.search_process_instances(
        process_definition_id=args.id, state=args.state, limit=args.limit
    )
    for i in found.items:
        incident = "  [incident]" if i.has_incident else ""
        print(
            f"{i.process_instance_key}  {i.process_definition_id:<24}"
            f" v{i.process_definition_version:<4} {i.state:<10} {i.start_date}{incident}"
        )


def key_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("key", metavar="KEY", help="the key")


def get(client: Client, args: argparse.Namespace) -> None:
    found = client.get_process_instance(args.key)
    print(found.model_dump_json(by_alias=True, indent=2))
    elements = client.search_element_instances(process_instance_key=args.key, limit=1000)
    for e in sorted(elements.items, key=lambda e: int(e.element_instance_key)):
        incident = f"  incident {e.incident_key}" if e.incident_key else ""
        print(f"  {e.element_id:<24} {e.type:<20} {e.state}{incident}")
    variables = client.search_variables(process_instance_key=args.key, limit=1000)
    for v in variables.items:
        if str(v.scope_key) == str(found.process_instance_key):
            print(f"  {v.name} = {v.value}")


def cancel(client: Client, args: argparse.Namespace) -> None:
    client.cancel_process_instance(args.key)
    print(f"instance {args.key} cancelled")


# -- incidents ------------------------------------------------------------------------------


def incidents_arguments(listing: argparse.ArgumentParser) -> None:
    listing.add_argument("--all", action="store_true", help="resolved ones too")
    listing.add_argument("--limit", type=int, default=100, help="most to list (default 100)")


def list_incidents(client: Client, args: argparse.Namespace) -> None:
    found = client.search_incidents(state=None if args.all else "ACTIVE", limit=args.limit)
    for i in found.items:
        job = f" job {i.job_key}" if i.job_key else ""
        print(
            f"{i.incident_key}  {i.state:<8} {i.error_type:<20} instance {i.process_instance_key}"
            f" at {i.element_id}{job}: {i.error_message}"
        )


def resolve(client: Client, args: argparse.Namespace) -> None:
    client.resolve_incident(args.key)
    print(f"incident {args.key} resolved")
