"""The `cratedig` command line."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from cratedig import __version__
from cratedig.media.errors import MediaError
from cratedig.operations.cli import register as register_operation_commands
from cratedig.service_cli import register as register_service_commands

if TYPE_CHECKING:
    from pydantic import ValidationError

    from cratedig.media.process import ProcessOptions


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `cratedig` console script."""
    args = build_parser().parse_args(argv)
    try:
        code: int = args.handler(args)
        return code
    except (MediaError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
        print(f"cratedig: error: {_problem(exc)}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"cratedig: error: {exc.strerror}: {exc.filename}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("cratedig: interrupted", file=sys.stderr)
        return 130


def _problem(error: Exception) -> str:
    """One line for an error; a settings error says which setting and what is wrong with it."""
    # Only a command that loaded pydantic can raise its errors; importing it here would not.
    if "pydantic" in sys.modules:
        from pydantic import ValidationError

        if isinstance(error, ValidationError):
            return _first_problem(error)
    return str(error)


def _first_problem(error: ValidationError) -> str:
    """One line for a settings error: which setting, what is wrong with it."""
    problem = error.errors()[0]
    where = ".".join(str(part) for part in problem["loc"])
    return f"invalid setting {where}: {problem['msg']} (got {problem.get('input')!r})"


def build_parser() -> argparse.ArgumentParser:
    """All sub-commands; each imports what it needs only when it runs (the operations' flags
    too, when their sub-command is the one parsed)."""
    parser = argparse.ArgumentParser(prog="cratedig", description=__doc__)
    parser.add_argument("--version", action="version", version=f"cratedig {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    process = commands.add_parser("process-file", help="make every sample artifact from a file")
    process.add_argument("input", type=Path, help="video or audio file (mp4 mov webm m4a mp3 …)")
    process.add_argument("--out", type=Path, required=True, help="directory for the artifacts")
    _add_media_flags(process)
    process.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    process.set_defaults(handler=_process_file)

    analyze = commands.add_parser("analyze", help="print BPM, key and loudness as one JSON line")
    analyze.add_argument("input", type=Path)
    analyze.add_argument("--max-duration", type=float, help="seconds (default 600)")
    analyze.set_defaults(handler=_analyze)

    demo = commands.add_parser("demo", help="generate a demo clip and process it")
    demo.add_argument("--out", type=Path, help="default: DATA_DIR/demo")
    demo.set_defaults(handler=_demo)

    migrate = commands.add_parser(
        "migrate", help="upgrade the app tables and the DBOS tables to this version (a deploy step)"
    )
    migrate.set_defaults(handler=_migrate)
    register_service_commands(commands)
    register_operation_commands(commands)
    return parser


def _add_media_flags(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--no-normalize", action="store_true", help="keep the source level (no loudness gain)"
    )
    command.add_argument("--target-lufs", type=float, help="loudness target (default -16)")
    command.add_argument("--max-duration", type=float, help="seconds (default 600)")
    command.add_argument("--waveform-size", help="PNG size as WIDTHxHEIGHT (default 1800x280)")
    command.add_argument("--waveform-color", help="bar colour, #rrggbb[aa]")
    command.add_argument(
        "--transparent", action="store_true", help="transparent waveform background"
    )


def _options(args: argparse.Namespace) -> ProcessOptions:
    """Settings from the environment, overridden by the flags, validated by the same rules."""
    from cratedig.media_settings import MediaSettings, load_media_settings
    from cratedig.process_options import process_options

    media = load_media_settings()
    overrides: dict[str, object] = {}
    if getattr(args, "waveform_size", None):
        width, _, height = args.waveform_size.lower().partition("x")
        if not (width.isdigit() and height.isdigit()):
            raise ValueError(f"--waveform-size must look like 1800x280, got {args.waveform_size!r}")
        overrides.update(waveform_width=int(width), waveform_height=int(height))
    flags = {
        "waveform_color": "waveform_color",
        "transparent": "waveform_transparent",
        "target_lufs": "target_lufs",
        "max_duration": "max_duration_seconds",
    }
    for flag, field in flags.items():
        if getattr(args, flag, None) not in (None, False):
            overrides[field] = getattr(args, flag)
    if getattr(args, "no_normalize", False):
        overrides["normalize"] = False
    return process_options(MediaSettings.model_validate({**media.model_dump(), **overrides}))


def _progress_printer(quiet: bool) -> Callable[[str], None]:
    started = time.perf_counter()

    def say(message: str) -> None:
        if not quiet:
            print(f"{time.perf_counter() - started:6.2f}s  {message}", file=sys.stderr, flush=True)

    return say


def _process_file(args: argparse.Namespace) -> int:
    from cratedig.media.process import process_file

    say = _progress_printer(args.quiet)
    result = process_file(args.input, args.out, _options(args), progress=say)
    if not args.quiet:
        for name in result.files:
            print(f"  {args.out / name}", file=sys.stderr)
    print(json.dumps(result.analysis))
    return 0


def _analyze(args: argparse.Namespace) -> int:
    from cratedig.media.report import analyze_file

    options = _options(args)
    print(json.dumps(analyze_file(args.input, options.max_duration_seconds, options.limits)))
    return 0


def _demo(args: argparse.Namespace) -> int:
    from cratedig.config import load_settings
    from cratedig.demo import make_demo_clip
    from cratedig.media.process import process_file

    out = args.out or load_settings().data_dir / "demo"
    clip = make_demo_clip(out / "demo-source.mp4")
    say = _progress_printer(False)
    result = process_file(clip, out, _options(args), progress=say)
    print(json.dumps(result.analysis))
    print(f"demo artifacts in {out}/", file=sys.stderr)
    return 0


def _migrate(_args: argparse.Namespace) -> int:
    from dbos import DBOS

    from cratedig.config import load_settings
    from cratedig.db import migrate
    from cratedig.sqlite_paths import prepare_sqlite_files

    settings = load_settings()
    prepare_sqlite_files(settings)
    migrate(settings.database_url)
    print("app tables: at the newest revision", flush=True)
    DBOS.migrate(settings.system_database_url)
    print("DBOS tables: at the newest version", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
