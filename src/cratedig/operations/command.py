"""The operation commands at work: flags made from each kind's request, the runtime, the
kind's text (see texts/), and `cratedig operations`. Imported only when a command runs."""

from __future__ import annotations

import argparse
import enum
import importlib
import importlib.util
import types
import typing
import uuid
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from cratedig.operations.console import Output, operation_runtime, positive_int, say
from cratedig.operations.follow import follow_operation, progress_line
from cratedig.operations.framework import Kind, get_kind
from cratedig.operations.repository import operation_report, recent_operations
from cratedig.operations.runner import run_operation
from cratedig.operations.texts import base
from cratedig.runtime import Runtime


def text_class(kind_name: str) -> type[base.Text]:
    """The kind's text: `texts/<kind>.py`'s TEXT, else the generic one."""
    module = f"{base.__package__}.{kind_name}"
    if importlib.util.find_spec(module) is None:
        return base.Text
    found: type[base.Text] = importlib.import_module(module).TEXT
    return found


def add_kind_arguments(parser: argparse.ArgumentParser, kind_name: str) -> None:
    """A flag per field of the kind's request, then the text's own flags."""
    kind = get_kind(kind_name)
    for name, info in kind.request_model.model_fields.items():
        flag = kind.flags.get(name, "--" + name.replace("_", "-"))
        options: dict[str, Any] = {"dest": name, "help": info.description}
        base_type = _plain(info.annotation)
        if base_type is bool:
            options["action"] = "store_true"
        elif isinstance(base_type, type) and issubclass(base_type, enum.Enum):
            options["choices"] = [member.value for member in base_type]
        elif base_type is int:
            small = any(getattr(m, "ge", 0) == 1 for m in info.metadata)
            options |= {"type": positive_int if small else int, "default": info.default}
        elif base_type is uuid.UUID:
            options["type"] = uuid.UUID
        else:
            continue  # lists and the like: the API's only
        parser.add_argument(flag, **options)
    text_class(kind_name).add_arguments(parser)


def _plain(annotation: Any) -> Any:
    """`X | None` → X, `Annotated[X, …]` → X."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        others = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return _plain(others[0]) if len(others) == 1 else annotation
    if typing.get_origin(annotation) is typing.Annotated:
        return _plain(typing.get_args(annotation)[0])
    return annotation


def request_from(kind: Kind[Any], args: argparse.Namespace) -> Any:
    """The kind's request from parsed flags."""
    fields = {
        name: getattr(args, name) for name in kind.request_model.model_fields if hasattr(args, name)
    }
    return kind.request_model.model_validate(fields)


def run_kind_command(kind_name: str, args: argparse.Namespace) -> int:
    """`cratedig <kind>` / the scripts: the kind's command, rendered by its text."""
    kind = get_kind(kind_name)
    try:
        request = request_from(kind, args)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(part) for part in problem["loc"])
        say(f"error: {where}: {problem['msg']}")
        return 2
    text = text_class(kind_name)(kind, say, args)
    with operation_runtime(enqueue=kind.needs_queue(request) or text.needs_queue()) as runtime:
        return text.command(runtime, request)


def execute(
    runtime: Runtime,
    kind_name: str,
    request: Any,
    *,
    out: Output = say,
    only: Sequence[uuid.UUID] = (),
    args: argparse.Namespace | None = None,
) -> base.Text:
    """Run a kind's command in this process with its text on `out` (asking nothing)."""
    kind = get_kind(kind_name)
    text = text_class(kind_name)(kind, out, args or argparse.Namespace(yes=True))
    text.command(runtime, request, only)
    return text


def resume(runtime: Runtime, operation_id: uuid.UUID, *, out: Output = say) -> base.Text:
    """Run a recorded operation's pending items here, with its kind's text."""
    with runtime.transaction() as session:
        report = operation_report(session, operation_id)
    if report is None:
        raise LookupError(f"no operation {operation_id}")
    kind = get_kind(report.kind)
    text = text_class(kind.name)(kind, out)
    text.operation_id = operation_id
    text.result = run_operation(runtime, operation_id, text)
    return text


def operations_command(args: argparse.Namespace) -> int:
    """`cratedig operations [ID] [--follow]`."""
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
