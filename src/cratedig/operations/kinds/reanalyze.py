"""Re-analysis: run only the tempo and key analysis again on each sample's stored WAV.

An improved analyser reaches an existing library without fetching a single video again. Per
sample: read its WAV from storage, analyse it, and write the analysis fields (tempo, key,
their confidences and candidates) in one guarded update, only if the sample still serves
that WAV. Media, loudness, duration and metadata are never touched, so a rerun is harmless.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import Field, StrictInt
from sqlalchemy.orm import Session

from cratedig.artifacts import WAV
from cratedig.media.analysis import analysis_fields, analyze_pcm
from cratedig.media.errors import MediaError
from cratedig.media.wav import read_wav
from cratedig.media.workdir import job_directory
from cratedig.models import Sample
from cratedig.operations.framework import Kind, RunResult, Work
from cratedig.operations.reanalysis_repository import (
    ANALYSIS_FIELDS,
    samples_with_wav,
    store_analysis,
    stored_wav,
)
from cratedig.operations.schemas import OperationRequest
from cratedig.operations.states import (
    Item,
    ItemState,
    Outcome,
    Selection,
    Subject,
    SubjectNotFoundError,
)
from cratedig.runtime import Runtime
from cratedig.storage import ObjectNotFound, StorageError

CHANGED = "changed"  # the flag of a sample whose tempo or key reads differently now
NO_WAV = "no stored WAV to analyse (none, external, or a pipeline is working on it)"
# Analysis is numpy work that releases the GIL: a thread per core keeps every core busy.
WORKERS = max(1, min(4, os.cpu_count() or 1))


class ReanalyzeRequest(OperationRequest):
    """Which samples to analyse again (the API body and the command's flags)."""

    limit: StrictInt | None = Field(
        None, ge=1, le=1_000_000, description="analyse only the first N samples"
    )
    sample_id: uuid.UUID | None = Field(None, description="analyse only this sample")


@dataclass(frozen=True)
class Reanalysed:
    """What the report says about one sample: its analysis before, and after when done."""

    creator: str | None
    wav_bytes: int | None
    before: dict[str, Any]
    after: dict[str, Any] = field(default_factory=dict)
    seconds: float | None = None  # reading and analysing the WAV


class Reanalyze(Kind[ReanalyzeRequest]):
    """Re-analyse tempo and key from each sample's stored WAV."""

    name = "reanalyze"
    path = "/admin/reanalyze"
    summary = "re-analyse tempo and key from the stored WAVs (no download)"
    request_model = ReanalyzeRequest
    phrase = "re-analysis of"

    def select(
        self,
        runtime: Runtime,
        session: Session,
        request: ReanalyzeRequest,
        only: Sequence[uuid.UUID],
    ) -> Selection:
        """Samples with a WAV in our storage and no pipeline at work (oldest first)."""
        ids = samples_with_wav(session, request.sample_id, only)
        selection = Selection(found=len(ids))
        selection.items = [Item(Subject.SAMPLE, sample_id) for sample_id in ids[: request.limit]]
        if request.sample_id is not None and not ids:
            sample = session.get(Sample, request.sample_id)
            if sample is None:
                raise SubjectNotFoundError(Subject.SAMPLE, request.sample_id, "sample_id")
            status = sample.status.value
            selection.note = f"Sample {request.sample_id} has {NO_WAV} (status {status})"
        return selection

    def why_not_due(self, work: Work, session: Session, item: Item) -> str | None:
        """Skip a sample that is gone, lost its WAV, or went back into the pipeline."""
        return None if stored_wav(session, item.id) is not None else NO_WAV

    def preview(self, work: Work, item: Item) -> Outcome:
        """The sample's current tempo and key."""
        with work.transaction() as session:
            seen = stored_wav(session, item.id)
        if seen is None:
            return Outcome(ItemState.PENDING, NO_WAV)
        facts = Reanalysed(seen.creator, seen.wav_bytes, seen.before)
        return Outcome(ItemState.PENDING, describe_reading(seen.before), facts)

    def workers(self, request: ReanalyzeRequest) -> int:
        """A sample per core."""
        return WORKERS

    def handle(self, work: Work, item: Item) -> Outcome:
        """Read, analyse and store one sample's analysis."""
        with work.transaction() as session:
            seen = stored_wav(session, item.id)
        if seen is None:
            return Outcome(ItemState.SKIPPED, NO_WAV)
        facts = Reanalysed(seen.creator, seen.wav_bytes, seen.before)
        started = time.perf_counter()
        try:
            with job_directory() as folder:
                wav = work.storage.download(seen.wav_key, folder / WAV.file)
                samples, rate = read_wav(wav, mono=True)
            after = analysis_fields(analyze_pcm(samples, rate))
        except ObjectNotFound:
            return Outcome(ItemState.FAILED, f"WAV missing from storage: {seen.wav_key}", facts)
        except (MediaError, StorageError) as exc:
            return Outcome(ItemState.FAILED, str(exc), facts)
        values = {name: after[name] for name in ANALYSIS_FIELDS}
        facts = Reanalysed(
            seen.creator, seen.wav_bytes, seen.before, values, time.perf_counter() - started
        )
        with work.transaction() as session:
            stored = store_analysis(session, seen, values)
        if not stored:
            return Outcome(ItemState.SKIPPED, "changed while it was analysed; left as it is", facts)
        flag = CHANGED if _reading(seen.before) != _reading(values) else None
        return Outcome(ItemState.DONE, describe_reading(values), facts, flag=flag)

    def dry_run_message(self, selection: Selection) -> str:
        """The operation's message after a dry run."""
        return f"dry run: {len(selection.items)} samples would be re-analysed"

    def finish_message(self, result: RunResult) -> str:
        """How many were analysed, and how many read differently now."""
        t = result.tally
        if t.total == 0:
            return "nothing to do"
        return (
            f"{t.of(ItemState.DONE)} of {t.total} samples re-analysed "
            f"({t.flagged(CHANGED)} changed); "
            f"{t.of(ItemState.FAILED)} failed, {t.of(ItemState.SKIPPED)} skipped"
        )


def _reading(fields: dict[str, Any]) -> tuple[Any, ...]:
    """What a producer sees: the tempo to 0.1 BPM, the key and scale."""
    bpm = fields.get("bpm")
    return (None if bpm is None else round(bpm, 1), fields.get("key"), fields.get("scale"))


def describe_reading(fields: dict[str, Any]) -> str:
    """`120.0 BPM, A minor`, or what is missing."""
    bpm, key, scale = _reading(fields)
    tempo = "no tempo" if bpm is None else f"{bpm} BPM"
    return f"{tempo}, {'no key' if key is None else f'{key} {scale}'}"


KIND = Reanalyze()
