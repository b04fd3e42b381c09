"""``sdk job-types``: the limits the broker keeps per job type (an operator's tool).

sdk job-types limits TYPE                             show them
sdk job-types limits TYPE --max-active 3 --rate 20    set them (others kept)
sdk job-types limits TYPE --max-active-per-key 2 --key-variable tenant   (or --key-header)
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
_KINDS = ("max_active", "rate", "max_active_per_key", "key_variable", "key_header")


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
    limits.add_argument(
        "--max-active-per-key",
        type=_count,
        default=argparse.SUPPRESS,
        metavar="N",
        help=f"most jobs ACTIVATED at once per key value ({NONE}: no limit); with"
        " --key-variable or --key-header",
    )
    key = limits.add_mutually_exclusive_group()
    key.add_argument(
        "--key-variable", default=argparse.SUPPRESS, metavar="NAME", help="the key's variable"
    )
    key.add_argument(
        "--key-header", default=argparse.SUPPRESS, metavar="NAME", help="the key's custom header"
    )
    limits.add_argument("--clear", action="store_true", help="remove every limit of the type")


def describe(limits: JobTypeLimits) -> str:
    active = "-" if limits.max_active is None else str(limits.max_active)
    rate = "-" if limits.rate is None else f"{limits.rate:g}/s"
    text = f"{limits.type:<20} max-active={active:<6} rate={rate}"
    if limits.max_active_per_key is not None:
        by = (
            f"variable {limits.key_variable}"
            if limits.key_variable is not None
            else f"header {limits.key_header}"
        )
        text += f" max-active-per-key={limits.max_active_per_key} ({by})"
    return text


def list_limits(client: Client, args: argparse.Namespace) -> None:
    for limits in client.list_job_type_limits():
        print(describe(limits))


def limits(client: Client, args: argparse.Namespace) -> None:
    changes = {k: v for k, v in vars(args).items() if k in _KINDS}
    if args.clear:
        if changes:
            raise ValueError("--clear removes every limit; give it without the other options")
        client.clear_job_type_limits(args.type)
    elif changes:
        current = client.get_job_type_limits(args.type)
        wanted = {kind: getattr(current, kind) for kind in _KINDS}
        if "key_variable" in changes or "key_header" in changes:  # one key: the new one
            wanted.update(key_variable=None, key_header=None)
        wanted.update(changes)
        if wanted["max_active_per_key"] is None:
            wanted.update(key_variable=None, key_header=None)
        client.set_job_type_limits(args.type, **wanted)
    print(describe(client.get_job_type_limits(args.type)))
