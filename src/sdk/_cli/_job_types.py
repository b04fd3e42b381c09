"""``sdk job-types``: the limits the broker keeps per job type (an operator's tool).

sdk job-types limits TYPE                             show them
sdk job-types limits TYPE --max-active 3 --rate 20    set them (others kept)
sdk job-types limits TYPE --clear                     remove them
sdk job-types list                                    every type that has limits
"""

from __future__ import annotations

import argparse
import math

from ..client import Client
from ..models import JobTypeLimits

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


def limits_arguments(limits: argparse.ArgumentParser) -> None:
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


def describe(limits: JobTypeLimits) -> str:
    active = "-" if limits.max_active is None else str(limits.max_active)
    rate = "-" if limits.rate is None else f"{limits.rate:g}/s"
    return f"{limits.type:<20} max-active={active:<6} rate={rate}"


def list_limits(client: Client, args: argparse.Namespace) -> None:
    for limits in client.list_job_type_limits():
        print(describe(limits))


def limits(client: Client, args: argparse.Namespace) -> None:
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
