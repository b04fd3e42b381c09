"""``sdk jobs cancel KEY`` and ``sdk jobs bulk retry|cancel ...``: operator actions on jobs."""

from __future__ import annotations

import argparse

from ..client import Client
from ..models import BulkAction, JobState


def cancel_arguments(cancel: argparse.ArgumentParser) -> None:
    cancel.add_argument("key")


def cancel(client: Client, args: argparse.Namespace) -> None:
    client.cancel_job(args.key)
    print(f"job {args.key} cancelled")


def bulk_arguments(bulk: argparse.ArgumentParser) -> None:
    bulk.add_argument(
        "action",
        choices=[a.value for a in BulkAction],
        help="retry: give jobs in an incident --retries again; cancel: cancel jobs not ended",
    )
    bulk.add_argument("--type", help="only jobs of this type")
    bulk.add_argument("--state", choices=[s.value for s in JobState], help="only in this state")
    bulk.add_argument("--from", dest="key_from", metavar="KEY", help="only keys >= KEY")
    bulk.add_argument("--to", dest="key_to", metavar="KEY", help="only keys <= KEY")
    bulk.add_argument(
        "--key", dest="keys", metavar="KEY", action="append", help="only this job (repeatable)"
    )
    bulk.add_argument("--retries", type=int, help="retry: the retries to give (required)")


def bulk(client: Client, args: argparse.Namespace) -> None:
    result = client.bulk_jobs(
        args.action,
        job_type=args.type,
        state=args.state,
        key_from=args.key_from,
        key_to=args.key_to,
        keys=args.keys,
        retries=args.retries,
    )
    skipped = ", ".join(f"{reason}={n}" for reason, n in sorted(result.skipped.items()))
    print(
        f"matched={result.matched} changed={result.changed}"
        f" skipped={sum(result.skipped.values())}" + (f" ({skipped})" if skipped else "")
    )
