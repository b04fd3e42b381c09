"""``sdk messages`` and ``sdk signals``: publish a message, broadcast a signal.

sdk messages publish NAME --correlation-key K [--variables JSON] [--ttl DURATION]
                     [--message-id ID]
sdk signals broadcast NAME [--variables JSON]
"""

from __future__ import annotations

import argparse
import re

from ..client import Client
from ._jobs import _json_object as json_object

_UNITS_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
_SHORT = re.compile(r"([0-9]+)(ms|s|m|h|d)?")
_ISO = re.compile(r"P(?:([0-9]+)D)?(?:T(?:([0-9]+)H)?(?:([0-9]+)M)?(?:([0-9]+(?:\.[0-9]+)?)S)?)?")


def duration_ms(text: str) -> int:
    """A time to live: milliseconds (``500``), with a unit (``30s``, ``10m``, ``2h``, ``1d``)
    or ISO 8601 (``PT1H30M``)."""
    value = text.strip()
    short = _SHORT.fullmatch(value)
    if short:
        return int(short[1]) * _UNITS_MS[short[2] or "ms"]
    iso = _ISO.fullmatch(value.upper())
    if iso and value.upper() not in ("P", "PT"):
        days, hours, minutes, seconds = iso.groups()
        return round(
            int(days or 0) * 86_400_000
            + int(hours or 0) * 3_600_000
            + int(minutes or 0) * 60_000
            + float(seconds or 0) * 1000
        )
    raise argparse.ArgumentTypeError(
        f"not a duration: {text!r} (e.g. 500 (ms), 30s, 10m, 2h, 1d or PT1H)"
    )


def publish_arguments(publish: argparse.ArgumentParser) -> None:
    publish.add_argument("name", metavar="NAME", help="the message's name")
    publish.add_argument(
        "--correlation-key", required=True, help="the correlation key subscriptions wait for"
    )
    publish.add_argument("--variables", type=json_object, default=None, help="JSON object")
    publish.add_argument(
        "--ttl",
        type=duration_ms,
        default=None,
        help="how long the message waits for a subscription (e.g. 30s, 10m, PT1H; default 0)",
    )
    publish.add_argument("--message-id", default=None, help="unique while the message waits")


def publish(client: Client, args: argparse.Namespace) -> None:
    result = client.publish_message(
        args.name,
        correlation_key=args.correlation_key,
        variables=args.variables,
        time_to_live_ms=args.ttl,
        message_id=args.message_id,
    )
    print(f"message {result.message_key}")


def broadcast_arguments(broadcast: argparse.ArgumentParser) -> None:
    broadcast.add_argument("name", metavar="NAME", help="the signal's name")
    broadcast.add_argument("--variables", type=json_object, default=None, help="JSON object")


def broadcast(client: Client, args: argparse.Namespace) -> None:
    result = client.broadcast_signal(args.name, variables=args.variables)
    print(f"signal {result.signal_key}")
