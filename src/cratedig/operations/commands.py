"""The operation sub-commands of `cratedig`, and the scripts operators already know."""

from __future__ import annotations

import argparse
import importlib
import uuid
from collections.abc import Sequence
from typing import Any

from cratedig.operations.console import operation_runtime, say

# sub-command → (module in cratedig.operations, help)
COMMANDS = {
    "reprocess": ("reprocess", "reprocess samples through the full pipeline"),
    "backfill-hls": ("backfill_hls", "add HLS streams to samples that only have an MP3"),
    "migrate-media": ("migrate_media", "re-host media still on TikTok's CDN in our storage"),
    "check-links": ("links", "find (and --repair) samples with broken or missing media"),
}


def register(commands: Any) -> None:
    """Add the operation commands and `operations` to the `cratedig` sub-command parsers."""
    for name, (module, help_text) in COMMANDS.items():
        parser = commands.add_parser(name, help=help_text)
        _module(module).add_arguments(parser)
        parser.set_defaults(handler=_module(module).run_command)
    show = commands.add_parser("operations", help="list recent operations, or follow one")
    show.add_argument("operation_id", nargs="?", type=uuid.UUID, help="one operation's report")
    show.add_argument("--follow", action="store_true", help="show a progress bar until it ends")
    show.add_argument("--limit", type=int, default=20, help="how many to list (default 20)")
    show.set_defaults(handler=operations_command)


def run_script(module: str, description: str, argv: Sequence[str] | None = None) -> int:
    """A script under scripts/: the same flags and behaviour as the `cratedig` command."""
    parser = argparse.ArgumentParser(description=description)
    _module(module).add_arguments(parser)
    code: int = _module(module).run_command(parser.parse_args(argv))
    return code


def operations_command(args: argparse.Namespace) -> int:
    """`cratedig operations [ID] [--follow]`."""
    from cratedig.operations.follow import follow_operation, progress_line
    from cratedig.operations.tracking import operation_report, recent_operations

    with operation_runtime() as runtime:
        if args.operation_id is None:
            with runtime.transaction() as session:
                reports = recent_operations(session, args.limit)
            for report in reports:
                dry = " (dry run)" if report.dry_run else ""
                say(f"{report.id}  {report.created_at:%Y-%m-%d %H:%M}  {report.kind}{dry}")
                say(f"    {report.status}: {progress_line(report)}")
            if not reports:
                say("No operations yet.")
            return 0
        if args.follow:
            final = follow_operation(args.operation_id)
        else:
            with runtime.transaction() as session:
                final = operation_report(session, args.operation_id)
        if final is None:
            say(f"No operation {args.operation_id}")
            return 1
        say(final.model_dump_json(indent=2))
        return 0


def _module(name: str) -> Any:
    return importlib.import_module(f"cratedig.operations.{name}")
