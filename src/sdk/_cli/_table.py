"""The shape of the command table: commands, groups of commands, and delegations.

``sdk._cli`` lists every command once in a table of these; argparse's sub-parsers are built
from it and each leaf parser carries its handler, so dispatching is one lookup for every command.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass

Handler = Callable[[argparse.Namespace], int]
"""Runs one parsed command; its exit status."""
Arguments = Callable[[argparse.ArgumentParser], None]

HANDLER = "handler"
"""The namespace attribute that carries a leaf's handler."""
DELEGATE = "delegate"
"""The namespace attribute that names the module a delegation runs."""


def no_arguments(parser: argparse.ArgumentParser) -> None:
    """For commands that take no arguments of their own."""


@dataclass(frozen=True)
class Command:
    """A leaf: ``name`` runs ``handler`` with the arguments ``arguments`` adds."""

    name: str
    help: str
    handler: Handler
    arguments: Arguments = no_arguments
    parents: Sequence[argparse.ArgumentParser] = ()


@dataclass(frozen=True)
class Group:
    """``name`` followed by one of ``commands`` (``sdk jobs create ...``)."""

    name: str
    help: str
    commands: Sequence[Command]


@dataclass(frozen=True)
class Delegate:
    """Everything after ``name`` goes, unparsed, to ``python -m module``'s own command line."""

    name: str
    help: str
    module: str


Entry = Command | Group | Delegate


def add_entries(
    groups: argparse._SubParsersAction[argparse.ArgumentParser], table: Sequence[Entry]
) -> None:
    """One sub-parser per entry of ``table`` (and per command of a group)."""
    for entry in table:
        if isinstance(entry, Delegate):
            parser = groups.add_parser(entry.name, help=entry.help, add_help=False)
            parser.set_defaults(**{DELEGATE: entry.module})
        elif isinstance(entry, Group):
            group = groups.add_parser(entry.name, help=entry.help)
            sub = group.add_subparsers(dest="command", required=True)
            add_entries(sub, entry.commands)
        else:
            parser = groups.add_parser(entry.name, help=entry.help, parents=list(entry.parents))
            entry.arguments(parser)
            parser.set_defaults(**{HANDLER: entry.handler})
