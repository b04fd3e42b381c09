"""``python -m sdk``: create and inspect jobs on a broker from the shell.

python -m sdk jobs create TYPE [--variables JSON] [--count N] [--retries N] [--header K=V]
                              [--idempotency-key KEY]
python -m sdk jobs get KEY
python -m sdk jobs list [--type TYPE] [--state STATE] [--limit N]
python -m sdk login --name NAME --address URL [--auth BASIC|OAUTH] [--client-id ID] ...
python -m sdk profiles | whoami | logout [NAME]
(--profile NAME before the command, or SDK_PROFILE, selects a stored profile)
python -m sdk job-types limits TYPE [--max-active N] [--rate PER_S] [--clear]
python -m sdk job-types list
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from . import _cli_job_types, _login_cli
from .client import Client, Settings
from .client._profiles import ProfileError
from .errors import SdkError
from .models import MAX_CREATE_BATCH, JobSpec, JobState


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("must be a JSON object, e.g. '{\"amount\": 10}'")
    return value


def _header(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m sdk",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--profile", help="stored profile to use (default: $SDK_PROFILE)")
    groups = p.add_subparsers(dest="group", required=True)
    jobs = groups.add_parser("jobs", help="jobs")
    _login_cli.add_parsers(groups)
    sub = jobs.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create", help="create jobs of a type")
    create.add_argument("type")
    create.add_argument("--variables", type=_json_object, default={}, help="JSON object")
    create.add_argument("--count", type=int, default=1, help="how many (default: 1)")
    create.add_argument("--retries", type=int, default=3, help="retries (default: 3)")
    create.add_argument("--header", type=_header, action="append", default=[], help="K=V")
    create.add_argument(
        "--idempotency-key",
        metavar="KEY",
        help="run the same command again with the same KEY: it answers the same keys and"
        " creates nothing (for a day)",
    )
    get = sub.add_parser("get", help="show one job with its history")
    get.add_argument("key")
    listing = sub.add_parser("list", help="list jobs, newest first")
    listing.add_argument("--type")
    listing.add_argument("--state", choices=[s.value for s in JobState])
    listing.add_argument("--limit", type=int, default=20)
    _cli_job_types.add_parser(groups)
    return p


def _create(client: Client, args: argparse.Namespace) -> None:
    spec = JobSpec(
        type=args.type,
        variables=args.variables,
        retries=args.retries,
        custom_headers=dict(args.header),
    )
    remaining, number = args.count, 0
    while remaining > 0:
        batch = min(remaining, MAX_CREATE_BATCH)
        key = args.idempotency_key
        if key is not None and number:  # one key per request: KEY, KEY.2, KEY.3, ...
            key = f"{key}.{number + 1}"
        for job_key in client.create_jobs([spec] * batch, idempotency_key=key):
            print(job_key)
        remaining -= batch
        number += 1


def run(args: argparse.Namespace) -> int:
    if args.group in _login_cli.COMMANDS:
        return _login_cli.run(args)
    with Client(Settings.load(_login_cli.configuration(args))) as client:
        if args.group == "job-types":
            _cli_job_types.run(client, args)
        elif args.command == "create":
            _create(client, args)
        elif args.command == "get":
            print(client.get_job(args.key).model_dump_json(by_alias=True, indent=2))
        else:
            page = client.search_jobs(job_type=args.type, state=args.state, limit=args.limit)
            for job in page.items:
                print(f"{job.job_key}  {job.type:<20} {job.state.value:<13} retries={job.retries}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return run(args)
    except ProfileError as exc:  # a usage error, like a bad option: exit status 2
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (SdkError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
