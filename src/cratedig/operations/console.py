"""What the operation commands share: their output, the confirmation, flag types, the runtime."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from cratedig.config import load_settings
from cratedig.pipeline.queue import start_dbos, stop_dbos
from cratedig.runtime import Runtime, start_runtime, stop_runtime

Output = Callable[[str], None]
"""Where a command writes its lines: `say` on the command line, a list in tests."""

RULE = "=" * 60
WIDE_RULE = "=" * 80


def say(line: str = "") -> None:
    """Print a line at once (operators watch long runs)."""
    print(line, flush=True)


@contextmanager
def operation_runtime(*, enqueue: bool = False) -> Iterator[Runtime]:
    """The runtime for a command (same settings as the service: CRATEDIG_*, .env); with
    `enqueue`, also a DBOS client that can queue pipelines for the workers."""
    runtime = start_runtime(load_settings())
    try:
        if enqueue:
            start_dbos(runtime.settings, worker=False)
        try:
            yield runtime
        finally:
            if enqueue:
                stop_dbos(grace_seconds=0)
    finally:
        stop_runtime()


def confirm(out: Output, prompt: str = "Type 'yes' to continue: ", *, assume_yes: bool) -> bool:
    """Ask for 'yes'; refuse (False) without a terminal unless `assume_yes`."""
    if assume_yes:
        return True
    if not sys.stdin.isatty():
        out("Refusing to continue without confirmation: stdin is not a terminal (pass --yes).")
        return False
    try:
        return input(prompt).strip().lower() == "yes"
    except EOFError:
        return False


def positive_int(text: str) -> int:
    """argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value
