"""``sdk schedules``: jobs the broker creates on a cron expression or an interval.

sdk schedules put NAME --type TYPE --cron '*/5 * * * *' [--time-zone Europe/Berlin]
sdk schedules put NAME --type TYPE --every 30s|5m|1h|1d|PT90S
                 [--variables JSON] [--header K=V] [--retries N]
                 [--overlap skip|allow] [--catch-up none|one]
sdk schedules list | get NAME | pause NAME | resume NAME | delete NAME
"""

from __future__ import annotations

import argparse
import re
from datetime import datetime, timedelta, timezone

from ..client import Client
from ..models import Schedule
from ._jobs import _header, _json_object

_SHORT = re.compile(r"([0-9]+)([smhd])")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86_400}


def _every(text: str) -> timedelta | str:
    """``30s``, ``5m``, ``1h``, ``1d``, or an ISO 8601 duration the broker reads itself."""
    short = _SHORT.fullmatch(text.strip())
    if short:
        return timedelta(seconds=int(short[1]) * _UNIT_S[short[2]])
    if not text.strip().upper().startswith("P"):
        raise argparse.ArgumentTypeError(
            f"expected e.g. 30s, 5m, 1h, 1d or an ISO 8601 duration (PT90S), got {text!r}"
        )
    return text.strip()


def put_arguments(put: argparse.ArgumentParser) -> None:
    put.add_argument("name")
    put.add_argument("--type", required=True, help="the job type each tick creates")
    when = put.add_mutually_exclusive_group(required=True)
    when.add_argument("--cron", help="five fields, e.g. '*/5 * * * *'")
    when.add_argument("--every", type=_every, help="an interval: 30s, 5m, 1h, 1d or PT90S")
    put.add_argument("--time-zone", help="IANA zone the cron is read in (default: UTC)")
    put.add_argument("--variables", type=_json_object, default={}, help="JSON object")
    put.add_argument("--header", type=_header, action="append", default=[], help="K=V")
    put.add_argument("--retries", type=int, default=3, help="the jobs' retries (default: 3)")
    put.add_argument(
        "--overlap",
        choices=["skip", "allow"],
        default="skip",
        help="skip (default): no job while the previous one is open; allow: every tick",
    )
    put.add_argument(
        "--catch-up",
        choices=["none", "one"],
        default="none",
        help="after downtime: none (default) skips missed ticks; one runs one job for them",
    )


def name_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name")


def _when(ms: int | None) -> str:
    if ms is None:
        return "-"
    moment = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def describe(schedule: Schedule) -> str:
    timing = schedule.cron if schedule.cron is not None else f"every {schedule.interval}"
    if schedule.time_zone not in (None, "UTC"):
        timing += f" ({schedule.time_zone})"
    state = "paused" if schedule.paused else f"next={_when(schedule.next_run_at)}"
    return f"{schedule.name:<20} {schedule.job_type:<20} {timing:<20} {state}"


def put(client: Client, args: argparse.Namespace) -> None:
    schedule = client.put_schedule(
        args.name,
        args.type,
        cron=args.cron,
        time_zone=args.time_zone,
        interval=args.every,
        variables=args.variables,
        custom_headers=dict(args.header),
        retries=args.retries,
        overlap=args.overlap,
        catch_up=args.catch_up,
    )
    print(describe(schedule))


def list_schedules(client: Client, args: argparse.Namespace) -> None:
    for schedule in client.list_schedules():
        print(describe(schedule))


def get(client: Client, args: argparse.Namespace) -> None:
    print(client.get_schedule(args.name).model_dump_json(by_alias=True, indent=2))


def pause(client: Client, args: argparse.Namespace) -> None:
    print(describe(client.pause_schedule(args.name)))


def resume(client: Client, args: argparse.Namespace) -> None:
    print(describe(client.resume_schedule(args.name)))


def delete(client: Client, args: argparse.Namespace) -> None:
    client.delete_schedule(args.name)
    print(f"deleted {args.name}")
