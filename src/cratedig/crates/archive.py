"""A crate as a ZIP written while it is sent: each entry copied from storage a chunk at a time,
stored uncompressed (audio does not compress), a crate.txt saying what is in it and why."""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from cratedig.errors import ApiError
from cratedig.media.errors import MediaError
from cratedig.models import Sample
from cratedig.samples.matching import Match, NotMatchableError, plan
from cratedig.samples.renders import served
from cratedig.samples.service import download_name, downloadable_key
from cratedig.storage import Storage, StorageError

log = logging.getLogger(__name__)
UNMATCHED = "unmatched/"
NOTES = "crate.txt"


class _Chunks(io.RawIOBase):
    """A write-only, unseekable sink whose bytes are taken out as they come."""

    def __init__(self) -> None:
        super().__init__()
        self._chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        self._chunks.append(bytes(data))
        return len(data)

    def drain(self) -> Iterator[bytes]:
        """What was written since the last drain."""
        chunks, self._chunks = self._chunks, []
        yield from chunks


@dataclass(frozen=True)
class Entry:
    """One sample's file in the crate, or why it has none (key None)."""

    sample: Sample
    key: str | None
    name: str
    note: str


def entry(storage: Storage, sample: Sample, fmt: str, match: Match) -> Entry:
    """The sample's file in the crate: matched when it can be, else as it is under unmatched/."""
    try:
        chosen = plan(sample, match) if match.asked else None
        key, name = served(storage, sample, fmt, chosen)
        return Entry(sample, key, name, "matched" if chosen is not None else "")
    except NotMatchableError as why:
        try:
            key = downloadable_key(storage, sample, fmt)
        except ApiError as missing:
            return Entry(sample, None, "", f"left out: {missing.detail}")
        name = UNMATCHED + download_name(sample, fmt)
        return Entry(sample, key, name, f"not matched ({why.message}): as it is")
    except ApiError as missing:
        return Entry(sample, None, "", f"left out: {missing.detail}")
    except (MediaError, StorageError) as failed:
        # The detail names storage and paths: the log keeps it, the public file does not.
        log.warning("crate: sample %s left out: %s", sample.id, failed)
        return Entry(sample, None, "", "left out: it could not be read or rendered")


def crate_stream(
    storage: Storage, samples: Sequence[Sample], fmt: str, match: Match, heading: str
) -> Iterator[bytes]:
    """The ZIP's bytes, each sample rendered (or found in the render cache) in turn."""
    sink = _Chunks()
    lines = [heading, ""]
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED) as archive:
        for sample in samples:
            found = entry(storage, sample, fmt, match)
            if found.key is not None:
                # A storage failure past this point ends the response: a ZIP cut short is
                # what the client sees, never a member silently truncated.
                with archive.open(found.name, "w") as member:
                    for chunk in storage.stream(found.key):
                        member.write(chunk)
                        yield from sink.drain()
            lines.append(_line(found))
            yield from sink.drain()
        archive.writestr(NOTES, "\n".join(lines) + "\n")
    yield from sink.drain()


def _line(found: Entry) -> str:
    sample = found.sample
    who = f" by @{sample.creator.username}" if sample.creator is not None else ""
    title = sample.title or sample.source_id
    where = found.name or "(no file)"
    note = f" — {found.note}" if found.note and found.note != "matched" else ""
    return f"{where}: {title}{who} <{sample.source_url}>{note}"
