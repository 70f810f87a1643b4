"""The operation sub-commands of `cratedig`, and the scripts operators already know.

Registering them imports nothing heavy: the kinds are found by listing `operations/kinds/`
and their one-line summaries read from the source; a kind's module (and its flags) is loaded
only when its sub-command is the one being parsed, so `cratedig --help` stays quick.
"""

from __future__ import annotations

import argparse
import importlib
import re
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from cratedig.operations import kinds as kinds_package

# Read from the source, not by parsing it: the whole `cratedig --help` has 0.15 s.
SUMMARY_LINE = re.compile(r'^    summary = "([^"\\]*)"$', re.MULTILINE)
# `cratedig --help` lists the reference guide's operations in its order, any other kind after.
REFERENCE_ORDER = ("reprocess", "backfill_hls", "migrate_media", "check_links")
WORKER = "cratedig.operations.command"  # where the commands' work is, imported when one runs


def register(commands: Any) -> None:
    """Add a sub-command per kind, and `operations`, to the `cratedig` sub-command parsers."""
    for module, summary in kind_summaries().items():
        parser = commands.add_parser(module.replace("_", "-"), help=summary, description=summary)
        _load_flags_when_parsed(parser, module)
        parser.set_defaults(handler=_kind_handler(module))
    show = commands.add_parser("operations", help="list recent operations, or follow one")
    show.add_argument("operation_id", nargs="?", type=uuid.UUID, help="one operation's report")
    show.add_argument("--follow", action="store_true", help="show a progress bar until it ends")
    show.add_argument("--limit", type=int, default=20, help="how many to list (default 20)")
    show.set_defaults(handler=lambda args: _worker().operations_command(args))


def run_script(kind: str, description: str, argv: Sequence[str] | None = None) -> int:
    """A script under scripts/: the same flags and behaviour as the `cratedig` command."""
    parser = argparse.ArgumentParser(description=description)
    _worker().add_kind_arguments(parser, kind)
    code: int = _worker().run_kind_command(kind, parser.parse_args(argv))
    return code


def kind_summaries() -> dict[str, str]:
    """Each kind module's name and summary, read from its source (nothing imported; not even
    pkgutil, whose `inspect` costs more than the rest of the command line's start)."""
    folder = Path(kinds_package.__file__).parent
    modules = [p for p in folder.glob("*.py") if not p.name.startswith("_")]
    modules.sort(
        key=lambda p: (
            (REFERENCE_ORDER.index(p.stem), "")
            if p.stem in REFERENCE_ORDER
            else (len(REFERENCE_ORDER), p.stem)
        )
    )
    return {path.stem: _summary(path) for path in modules}


def _summary(source: Path) -> str:
    """The kind class's one-line `summary = "..."`, else the module docstring's first line."""
    text = source.read_text(encoding="utf-8")
    found = SUMMARY_LINE.search(text)
    if found is not None:
        return found.group(1)
    return text.lstrip().lstrip('"').split("\n", 1)[0]


def _load_flags_when_parsed(parser: argparse.ArgumentParser, kind: str) -> None:
    """Add the kind's flags just before its parser first parses (its `--help` included)."""
    parse = parser.parse_known_args

    def parse_with_flags(args: Any = None, namespace: Any = None) -> Any:
        if not getattr(parser, "_kind_flags_added", False):
            parser._kind_flags_added = True  # type: ignore[attr-defined]
            _worker().add_kind_arguments(parser, kind)
        return parse(args, namespace)

    # argparse gives a sub-command's parser no hook before it parses; an instance attribute
    # is the narrowest one (the sub-parsers action calls parse_known_args on it).
    parser.parse_known_args = parse_with_flags  # type: ignore[method-assign]


def _kind_handler(kind: str) -> Callable[[argparse.Namespace], int]:
    def handler(args: argparse.Namespace) -> int:
        code: int = _worker().run_kind_command(kind, args)
        return code

    return handler


def _worker() -> Any:
    return importlib.import_module(WORKER)
