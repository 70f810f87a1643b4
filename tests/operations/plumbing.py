"""Call the operations as their callers do: choose and record (the API, a command), run a
recorded one here with its kind's text (the command line, a resumed run), parse flags."""

from __future__ import annotations

import argparse
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from cratedig.operations import command
from cratedig.operations.framework import get_kind
from cratedig.operations.runner import start_operation
from cratedig.runtime import current_runtime


def start(
    kind: str, request: Any, origin: str = "api", only: Sequence[uuid.UUID] = ()
) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """Choose and record a run; its id and the chosen subjects."""
    started = start_operation(current_runtime(), get_kind(kind), request, origin, only)
    return started.operation_id, [item.id for item in started.selection.items]


def resume(operation_id: uuid.UUID, out: Callable[[str], None] = lambda _line: None) -> Any:
    """Run a recorded operation here with its kind's text; that text's summary."""
    return command.resume(current_runtime(), operation_id, out=out).summary


def execute(kind: str, request: Any, out: Callable[[str], None] = lambda _line: None) -> Any:
    """A kind's whole command (choose, record, run) with its text; the text."""
    return command.execute(current_runtime(), kind, request, out=out)


def parser_for(kind: str, prog: str) -> argparse.ArgumentParser:
    """The command's flags."""
    parser = argparse.ArgumentParser(prog=prog)
    command.add_kind_arguments(parser, kind)
    return parser


def run_command(kind: str, args: argparse.Namespace) -> int:
    """The command as typed."""
    return command.run_kind_command(kind, args)
