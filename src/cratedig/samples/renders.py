"""Matched and loop downloads: render once per (generation, format, plan), keep the result in
storage under a derived key, and hand the same key to every later request."""

from __future__ import annotations

import logging
import threading
import weakref

from cratedig.artifacts import MP3, WAV, is_external
from cratedig.errors import ApiError
from cratedig.media.errors import MediaError
from cratedig.media.render import render
from cratedig.media.workdir import job_directory
from cratedig.models import Sample
from cratedig.samples.matching import Match, NotMatchableError, Plan, plan
from cratedig.samples.service import download_name, downloadable_key
from cratedig.storage import Storage
from cratedig.storage.keys import render_key

log = logging.getLogger(__name__)
CONTENT_TYPES = {"wav": WAV.content_type, "mp3": MP3.content_type}


class _KeyLock:
    """A lock for one render key (weakly held: gone once no request waits on it)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()


_locks: weakref.WeakValueDictionary[str, _KeyLock] = weakref.WeakValueDictionary()
_locks_guard = threading.Lock()


def _lock_for(key: str) -> _KeyLock:
    with _locks_guard:
        found = _locks.get(key)
        if found is None:
            found = _locks[key] = _KeyLock()
        return found


def matched_plan(sample: Sample, match: Match) -> Plan:
    """The plan for `match`, or ApiError 422 naming why the sample cannot be matched."""
    try:
        return plan(sample, match)
    except NotMatchableError as error:
        raise ApiError(422, error.code, error.message, error.field) from error


def rendered_key(storage: Storage, sample: Sample, fmt: str, chosen: Plan) -> str:
    """The stored key of the render, rendering it first unless it is cached.

    Identical requests at once render once: the second waits for the first's lock and then
    finds the object. (Across API processes the same render may run twice; both write the
    same bytes to the same key.)
    """
    source = sample.wav_key
    if source is None or is_external(source):
        raise ApiError(
            404, "not_found", f"sample {sample.id} has no WAV in storage to render", "format"
        )
    key = render_key(sample.id, sample.generation, chosen.digest(fmt), fmt)
    if storage.head(key) is not None:
        return key
    holder = _lock_for(key)
    with holder.lock:
        if storage.head(key) is None:
            with job_directory() as work:
                wav = storage.download(source, work / "source.wav")
                try:
                    out = render(wav, work / f"render.{fmt}", chosen.stretch, chosen.loop, work)
                except MediaError as error:
                    log.warning("render of sample %s failed: %s", sample.id, error)
                    raise ApiError(
                        422,
                        "not_renderable",
                        f"the stored WAV of sample {sample.id} could not be rendered",
                        "format",
                    ) from error
                storage.put_file(key, out, content_type=CONTENT_TYPES[fmt])
    return key


def needs_render(chosen: Plan) -> bool:
    """Whether the plan changes the stored audio at all."""
    return chosen.stretch is not None or chosen.loop is not None


def served(storage: Storage, sample: Sample, fmt: str, chosen: Plan | None) -> tuple[str, str]:
    """The stored key a download serves (rendered first if need be) and its file name."""
    if chosen is not None and needs_render(chosen):
        key = rendered_key(storage, sample, fmt, chosen)
    else:
        key = downloadable_key(storage, sample, fmt)
    return key, download_name(sample, fmt, chosen)
