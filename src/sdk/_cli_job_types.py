"""``python -m sdk job-types``: the limits the broker keeps per job type (an operator's tool).

python -m sdk job-types limits TYPE                       show them
python -m sdk job-types limits TYPE --max-active 3 --rate 20   set them (others kept)
python -m sdk job-types limits TYPE --clear               remove them
python -m sdk job-types list                              every type that has limits
"""

from __future__ import annotations

import argparse
import math

from .client import Client
from .models import JobTypeLimits

NONE = "none"
"""The value that removes one kind of limit, e.g. ``--rate none``."""


def _count(text: str) -> int | None:
    if text.lower() == NONE:
        return None
    if not text.isascii() or not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number or {NONE!r}, got {text!r}")
    return int(text)


def _rate(text: str) -> float | None:
    if text.lower() == NONE:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(
            f"expected activations per second (> 0) or {NONE!r}, got {text!r}"
        )
    return value


def add_parser(groups: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``job-types`` group to ``python -m sdk``'s sub-parsers."""
    group = groups.add_parser("job-types", help="limits the broker keeps per job type")
    sub = group.add_subparsers(dest="command", required=True)
    limits = sub.add_parser("limits", help="show, set or clear a job type's limits")
    limits.add_argument("type")
    limits.add_argument(
        "--max-active",
        type=_count,
        default=argparse.SUPPRESS,
        metavar="N",
        help=f"most jobs ACTIVATED at once across all workers (0 pauses; {NONE}: no limit)",
    )
    limits.add_argument(
        "--rate",
        type=_rate,
        default=argparse.SUPPRESS,
        metavar="PER_S",
        help=f"most activations per second, smoothed ({NONE}: no limit)",
    )
    limits.add_argument("--clear", action="store_true", help="remove every limit of the type")
    sub.add_parser("list", help="every job type that has limits")


def describe(limits: JobTypeLimits) -> str:
    active = "-" if limits.max_active is None else str(limits.max_active)
    rate = "-" if limits.rate is None else f"{limits.rate:g}/s"
    return f"{limits.type:<20} max-active={active:<6} rate={rate}"


def run(client: Client, args: argparse.Namespace) -> None:
    if args.command == "list":
        for limits in client.list_job_type_limits():
            print(describe(limits))
        return
    changes = {k: v for k, v in vars(args).items() if k in ("max_active", "rate")}
    if args.clear:
        if changes:
            raise ValueError("--clear removes every limit; give it without --max-active/--rate")
        client.clear_job_type_limits(args.type)
    elif changes:
        current = client.get_job_type_limits(args.type)
        wanted = {"max_active": current.max_active, "rate": current.rate, **changes}
        client.set_job_type_limits(args.type, **wanted)
    print(describe(client.get_job_type_limits(args.type)))
