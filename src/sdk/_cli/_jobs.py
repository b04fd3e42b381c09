"""``sdk jobs create | get | list``: create and inspect jobs on a broker from the shell."""

from __future__ import annotations

import argparse
import json
import re
from datetime import datetime, timedelta, timezone
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


_UNITS_S = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")


def _delay(text: str) -> timedelta:
    """``30s``, ``5m``, ``1h30m``, ``2d``, ``500ms``: a delay from now."""
    parts = _PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise argparse.ArgumentTypeError(
            f"expected a duration such as 30s, 5m, 1h30m or 2d, got {text!r}"
        )
    return timedelta(seconds=sum(float(n) * _UNITS_S[u] for n, u in parts))


def _run_at(text: str) -> datetime:
    """An ISO 8601 time with an offset (``Z`` for UTC)."""
    try:
        at = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an ISO 8601 time such as 2030-01-31T09:00:00+01:00, got {text!r}"
        ) from None
    if at.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no offset; add one, e.g. Z or +01:00")
    return at


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
    create.add_argument(
        "--priority", type=int, default=0, help="higher is activated first (default: 0)"
    )
    when = create.add_mutually_exclusive_group()
    when.add_argument("--delay", type=_delay, help="run no sooner than this from now, e.g. 30s")
    when.add_argument("--run-at", type=_run_at, metavar="ISO", help="run no sooner than this")


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
        priority=args.priority,
        run_at=args.run_at
        if args.delay is None
        else datetime.now(timezone.utc) + args.delay,  # one moment for every batch
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
        state = "scheduled" if job.scheduled else job.state.value
        print(f"{job.job_key}  {job.type:<20} {state:<13} retries={job.retries}")
