"""The one shape of a bulk operation: a kind declares its request, how it selects its items
and how it handles one; one runner records, counts, batches and finishes; one registry (every
module of `operations/kinds/`) feeds the runner, the API, the command line and the kind names.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy.orm import Session

from cratedig.config import Settings
from cratedig.operations import kinds as kinds_package
from cratedig.operations.schemas import OperationRequest
from cratedig.operations.states import Item, ItemState, Outcome, Selection, Subject, Tally
from cratedig.runtime import Runtime
from cratedig.storage import Storage

log = logging.getLogger(__name__)
RequestT = TypeVar("RequestT", bound=OperationRequest)


@dataclass(frozen=True)
class Work:
    """What a kind's handlers get: the runtime, the run and its request."""

    runtime: Runtime
    operation_id: uuid.UUID
    request: Any  # the kind's own request model
    origin: str

    @property
    def storage(self) -> Storage:
        """The object storage (read at use: tests and faults may swap it)."""
        return self.runtime.storage

    @property
    def settings(self) -> Settings:
        """The settings the run started with."""
        return self.runtime.settings

    def transaction(self) -> AbstractContextManager[Session]:
        """A short transaction: handlers never hold one across slow work."""
        return self.runtime.transaction()


@dataclass(frozen=True)
class FollowUp:
    """Another operation a run starts when it ends (the link check's repair)."""

    kind: str
    request: OperationRequest
    only: list[uuid.UUID]
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunResult:
    """What a run did: its counts, and the follow-up operation's result."""

    operation_id: uuid.UUID
    kind: str
    request: Any
    tally: Tally
    follow_up: RunResult | None = None


class Kind(Generic[RequestT]):
    """One bulk operation. A subclass in a module of `operations/kinds/` (as `KIND`) is all it
    takes: the runner, the API route, the `cratedig` sub-command and the kind name follow."""

    name: ClassVar[str]  # the operation's kind, and its module's name
    path: ClassVar[str]  # its API route under /api/v1
    summary: ClassVar[str]  # one line for `cratedig --help` and the API docs
    request_model: type[RequestT]
    flags: ClassVar[dict[str, str]] = {}  # request field → CLI flag, where spelt otherwise
    subject_word: ClassVar[str] = "samples"
    phrase: ClassVar[str] = ""  # "Started {phrase} 3 samples": defaults to the kind name

    def select(
        self, runtime: Runtime, session: Session, request: RequestT, only: Sequence[uuid.UUID]
    ) -> Selection:
        """The items to work on (`only`, when given, limits them to these subjects)."""
        raise NotImplementedError

    def refine(self, runtime: Runtime, request: RequestT, selection: Selection) -> Selection:
        """A second pass over the selection with no transaction open: slow checks (the link
        check) belong here, so a request never holds the database while it waits."""
        return selection

    def why_not_due(self, work: Work, session: Session, item: Item) -> str | None:
        """None when the item still needs the work; else why not (what makes reruns safe)."""
        return None

    def handle(self, work: Work, item: Item) -> Outcome:
        """Do the work on one item; a failure is its outcome, not an exception."""
        raise NotImplementedError

    def preview(self, work: Work, item: Item) -> Outcome:
        """What a dry run says about one item; changes nothing."""
        return Outcome(ItemState.PENDING, item.reason)

    def workers(self, request: RequestT) -> int:
        """How many items are handled at once."""
        return 1

    def handle_all(self, work: Work, items: Sequence[Item]) -> Iterator[tuple[Item, Outcome]]:
        """Each item's outcome as it ends; `workers` in flight, the next one started only
        after the previous outcome was taken (so a run's output keeps its order)."""
        workers = self.workers(work.request)
        queue = iter(items)
        with ThreadPoolExecutor(workers, thread_name_prefix=self.name) as pool:
            running: dict[Future[Outcome], Item] = {}

            def submit() -> None:
                item = next(queue, None)
                if item is not None:
                    running[pool.submit(self._handle_due, work, item)] = item

            for _ in range(workers):
                submit()
            while running:
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    yield running.pop(future), future.result()
                    submit()

    def _handle_due(self, work: Work, item: Item) -> Outcome:
        try:
            with work.transaction() as session:
                reason = self.why_not_due(work, session, item)
            if reason is not None:
                return Outcome(ItemState.SKIPPED, reason)
            return self.handle(work, item)
        except Exception as exc:  # recorded on the item, the traceback in the log; others go on
            log.exception("%s of %s %s failed", self.name, item.subject.value, item.id)
            return Outcome(ItemState.FAILED, f"{type(exc).__name__}: {exc}"[:2000])

    def follow_up(self, work: Work, tally: Tally) -> FollowUp | None:
        """An operation to start when this run ends."""
        return None

    def dry_run_message(self, selection: Selection) -> str:
        """The operation's message after a dry run."""
        return f"dry run: {len(selection.items)} {self.subject_word} would be processed"

    def finish_message(self, result: RunResult) -> str:
        """The operation's one-line summary."""
        t = result.tally
        if t.total == 0:
            return "nothing to do"
        return (
            f"{t.of(ItemState.DONE)} of {t.total} {self.subject_word} done; "
            f"{t.of(ItemState.FAILED)} failed, {t.of(ItemState.SKIPPED)} skipped"
        )

    def params(self, request: RequestT) -> dict[str, Any]:
        """The request as stored on the operation (dry_run has its own column)."""
        return request.model_dump(mode="json", exclude={"dry_run"})

    def load_request(self, params: dict[str, Any], dry_run: bool) -> RequestT:
        """The request back from a stored operation (extra params left aside)."""
        fields = {k: v for k, v in params.items() if k in self.request_model.model_fields}
        return self.request_model.model_validate({**fields, "dry_run": dry_run})

    def needs_queue(self, request: RequestT) -> bool:
        """Whether running it queues pipelines (the command then starts a DBOS client)."""
        return False


# --- the registry ------------------------------------------------------------------------------

_kinds: dict[str, Kind[Any]] = {}
_discovered = False


def kind_modules() -> list[str]:
    """The modules of `operations/kinds/` (without importing them)."""
    return sorted(m.name for m in pkgutil.iter_modules(kinds_package.__path__))


def all_kinds() -> dict[str, Kind[Any]]:
    """Every kind by name: the modules of `operations/kinds/`, then any registered."""
    global _discovered
    if not _discovered:
        for module in kind_modules():
            kind = importlib.import_module(f"{kinds_package.__name__}.{module}").KIND
            _kinds.setdefault(kind.name, kind)
        _discovered = True
    return dict(_kinds)


def get_kind(name: str) -> Kind[Any]:
    """One kind by name (KeyError for an unknown one)."""
    found = all_kinds().get(name)
    if found is None:
        raise KeyError(f"no operation kind {name!r}")
    return found


def register_kind(kind: Kind[Any]) -> Callable[[], None]:
    """Add a kind from elsewhere (a test, a plug-in); returns what removes it again."""
    all_kinds()
    _kinds[kind.name] = kind

    def unregister() -> None:
        _kinds.pop(kind.name, None)

    return unregister


def kind_names() -> list[str]:
    """The values an operation's `kind` takes."""
    return sorted(all_kinds())


def subjects_of(items: Sequence[Item], subject: Subject) -> list[uuid.UUID]:
    """The ids of the items of one subject, in order."""
    return [item.id for item in items if item.subject is subject]
