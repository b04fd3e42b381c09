"""sdk (or python -m sdk): jobs, profiles and limits from the shell, and the worker,
the broker and the benchmark under one command.

sdk jobs create TYPE [--variables JSON] [--count N] [--retries N] [--header K=V]
                     [--idempotency-key KEY] [--priority N] [--delay 30s | --run-at ISO]
sdk jobs get KEY
sdk jobs list [--type TYPE] [--state STATE] [--limit N]
sdk jobs cancel KEY
sdk jobs bulk retry|cancel [--type T] [--state S] [--from KEY] [--to KEY] [--key KEY]...
                           [--retries N]
sdk login --name NAME --address URL [--auth BASIC|OAUTH] [--client-id ID] ...
sdk profiles | whoami | logout [NAME]
(--profile NAME before the command, or SDK_PROFILE, selects a stored profile)
sdk job-types limits TYPE [--max-active N] [--rate PER_S] [--clear]
sdk job-types list
sdk processes deploy FILE... [--tenant ID]
sdk processes definitions [--id ID] [--latest] [--limit N]
sdk processes start ID [--version N] [--variables JSON] [--await [--timeout MS]]
sdk processes list [--id ID] [--state STATE] [--limit N] | get KEY | cancel KEY
sdk incidents list [--all] [--limit N] | resolve KEY
sdk messages publish NAME --correlation-key K [--variables JSON] [--ttl DURATION]
                     [--message-id ID]
sdk signals broadcast NAME [--variables JSON]
sdk schedules put NAME --type TYPE (--cron EXPR [--time-zone ZONE] | --every 5m) [...]
sdk schedules list | get NAME | pause NAME | resume NAME | delete NAME
sdk worker ... | sdk broker ... | sdk bench ...   the same as python -m sdk.worker ... (etc.)
"""

from __future__ import annotations

import argparse
import sys

from ..errors import ProfileError, SdkError
from . import (
    _delegate,
    _job_actions,
    _job_types,
    _jobs,
    _messages,
    _processes,
    _profiles,
    _schedules,
)
from ._table import DELEGATE, HANDLER, Command, Delegate, Entry, Group, add_entries

_PROFILE = (_profiles.profile_option(),)

COMMANDS: tuple[Entry, ...] = (
    Group(
        "jobs",
        "jobs",
        (
            Command(
                "create",
                "create jobs of a type",
                _profiles.with_client(_jobs.create),
                _jobs.create_arguments,
            ),
            Command(
                "get",
                "show one job with its history",
                _profiles.with_client(_jobs.get),
                _jobs.get_arguments,
            ),
            Command(
                "list",
                "list jobs, newest first",
                _profiles.with_client(_jobs.list_jobs),
                _jobs.list_arguments,
            ),
            Command(
                "cancel",
                "cancel a job that has not ended (a running handler is stopped)",
                _profiles.with_client(_job_actions.cancel),
                _job_actions.cancel_arguments,
            ),
            Command(
                "bulk",
                "retry or cancel every job a filter matches",
                _profiles.with_client(_job_actions.bulk),
                _job_actions.bulk_arguments,
            ),
        ),
    ),
    Command(
        "login",
        "check credentials and store them as a profile",
        _profiles.login,
        _profiles.login_arguments,
    ),
    Command(
        "profiles",
        "list stored profiles (never their secrets)",
        _profiles.profiles,
        parents=_PROFILE,
    ),
    Command("whoami", "whom the credentials authenticate as", _profiles.whoami, parents=_PROFILE),
    Command(
        "logout",
        "remove a stored profile",
        _profiles.logout,
        _profiles.logout_arguments,
        parents=_PROFILE,
    ),
    Group(
        "job-types",
        "limits the broker keeps per job type",
        (
            Command(
                "limits",
                "show, set or clear a job type's limits",
                _profiles.with_client(_job_types.limits),
                _job_types.limits_arguments,
            ),
            Command(
                "list",
                "every job type that has limits",
                _profiles.with_client(_job_types.list_limits),
            ),
        ),
    ),
    Group(
        "processes",
        "BPMN processes: deploy files, list definitions, start and follow instances",
        (
            Command(
                "deploy",
                "deploy BPMN files in one deployment (exit 1 naming the problems if refused)",
                _profiles.with_client(_processes.deploy),
                _processes.deploy_arguments,
            ),
            Command(
                "definitions",
                "list the deployed process definitions",
                _profiles.with_client(_processes.definitions),
                _processes.definitions_arguments,
            ),
            Command(
                "start",
                "start an instance of the latest version (--await: wait for its variables)",
                _profiles.with_client(_processes.start),
                _processes.start_arguments,
            ),
            Command(
                "list",
                "list process instances",
                _profiles.with_client(_processes.list_instances),
                _processes.list_arguments,
            ),
            Command(
                "get",
                "show an instance, its elements and variables",
                _profiles.with_client(_processes.get),
                _processes.key_arguments,
            ),
            Command(
                "cancel",
                "cancel an instance (and its jobs)",
                _profiles.with_client(_processes.cancel),
                _processes.key_arguments,
            ),
        ),
    ),
    Group(
        "incidents",
        "incidents of process instances",
        (
            Command(
                "list",
                "list the open incidents (--all: resolved ones too)",
                _profiles.with_client(_processes.list_incidents),
                _processes.incidents_arguments,
            ),
            Command(
                "resolve",
                "resolve an incident (raise a job's retries first)",
                _profiles.with_client(_processes.resolve),
                _processes.key_arguments,
            ),
        ),
    ),
    Group(
        "messages",
        "messages for process instances waiting on them",
        (
            Command(
                "publish",
                "publish a message (correlated now, or buffered for --ttl)",
                _profiles.with_client(_messages.publish),
                _messages.publish_arguments,
            ),
        ),
    ),
    Group(
        "signals",
        "signals to every waiting signal event",
        (
            Command(
                "broadcast",
                "broadcast a signal",
                _profiles.with_client(_messages.broadcast),
                _messages.broadcast_arguments,
            ),
        ),
    ),
    Group(
        "schedules",
        "jobs the broker creates on a cron expression or an interval",
        (
            Command(
                "put",
                "create or replace a schedule",
                _profiles.with_client(_schedules.put),
                _schedules.put_arguments,
            ),
            Command(
                "list",
                "every schedule with its next run",
                _profiles.with_client(_schedules.list_schedules),
            ),
            Command(
                "get",
                "show one schedule (next run, last run, last job)",
                _profiles.with_client(_schedules.get),
                _schedules.name_arguments,
            ),
            Command(
                "pause",
                "stop a schedule's ticks",
                _profiles.with_client(_schedules.pause),
                _schedules.name_arguments,
            ),
            Command(
                "resume",
                "tick again from the next tick",
                _profiles.with_client(_schedules.resume),
                _schedules.name_arguments,
            ),
            Command(
                "delete",
                "delete a schedule (its jobs stay)",
                _profiles.with_client(_schedules.delete),
                _schedules.name_arguments,
            ),
        ),
    ),
    Delegate("worker", "work jobs with handler modules (as python -m sdk.worker)", "sdk.worker"),
    Delegate("broker", "run the job broker on its own (as python -m sdk.broker)", "sdk.broker"),
    Delegate("bench", "measure a worker against a broker (as python -m sdk.bench)", "sdk.bench"),
)
"""Every command, once: the parser is built from it and each command carries its handler."""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m sdk",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--profile", help="stored profile to use (default: $SDK_PROFILE)")
    add_entries(p.add_subparsers(dest="group", required=True), COMMANDS)
    return p


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args, rest = p.parse_known_args(sys.argv[1:] if argv is None else argv)
    module = getattr(args, DELEGATE, None)
    if module is not None:  # its own command line parses the rest, and reports its own errors
        return _delegate.run_module(module, rest, args.profile)
    if rest:
        p.error(f"unrecognized arguments: {' '.join(rest)}")
    try:
        return int(getattr(args, HANDLER)(args))
    except ProfileError as exc:  # a usage error, like a bad option: exit status 2
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (SdkError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
