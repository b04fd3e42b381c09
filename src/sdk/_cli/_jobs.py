"""``sdk jobs create | get | list``: create and inspect jobs on a broker from the shell."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..client import Client
from ..models import MAX_CREATE_BATCH, JobSpec, JobState


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


def create_arguments(create: argparse.ArgumentParser) -> None:
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


def get_arguments(get: argparse.ArgumentParser) -> None:
    get.add_argument("key")


def list_arguments(listing: argparse.ArgumentParser) -> None:
    listing.add_argument("--type")
    listing.add_argument("--state", choices=[s.value for s in JobState])
    listing.add_argument("--limit", type=int, default=20)


def create(client: Client, args: argparse.Namespace) -> None:
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


def get(client: Client, args: argparse.Namespace) -> None:
    print(client.get_job(args.key).model_dump_json(by_alias=True, indent=2))


def list_jobs(client: Client, args: argparse.Namespace) -> None:
    page = client.search_jobs(job_type=args.type, state=args.state, limit=args.limit)
    for job in page.items:
        print(f"{job.job_key}  {job.type:<20} {job.state.value:<13} retries={job.retries}")
