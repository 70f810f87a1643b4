"""One call that turns decoded PCM into tempo, key, beats, bars and loops, honestly rated."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from cratedig.media.decode import to_mono
from cratedig.media.key import KeyReading, estimate_key
from cratedig.media.loops import Loop
from cratedig.media.loudness import rms
from cratedig.media.rhythm import analyze_rhythm
from cratedig.media.tempo import TempoEstimate, TempoReading, onset_envelopes, tempo_from_envelopes

SILENCE_DBFS = -60.0


@dataclass(frozen=True)
class Analysis:
    """Tempo and key of a clip; None fields mean 'no pulse' or 'no tonal centre'. The
    candidates are the readings considered, best first (the first is bpm, or key + scale).
    Beats and downbeats are seconds at the tempo `bpm`; loops start on downbeats."""

    bpm: float | None
    bpm_confidence: float
    key: str | None
    scale: str | None
    key_confidence: float
    bpm_candidates: tuple[TempoReading, ...] = ()
    key_candidates: tuple[KeyReading, ...] = ()
    beats: tuple[float, ...] = ()
    downbeats: tuple[float, ...] = ()
    beats_per_bar: int | None = None
    loops: tuple[Loop, ...] = ()


NOTHING = Analysis(bpm=None, bpm_confidence=0.0, key=None, scale=None, key_confidence=0.0)


def analyze_pcm(samples: npt.NDArray[np.floating], sample_rate: int) -> Analysis:
    """Estimate BPM and key from float PCM shaped (frames, channels) or (frames,)."""
    data = np.asarray(samples, dtype=np.float32)
    mono = to_mono(data)
    if not np.isfinite(mono).all():  # a copy only when needed: the clip may be long
        mono = np.nan_to_num(mono, nan=0.0, posinf=0.0, neginf=0.0)
    # Seconds of audio are needed before either a beat or a key means anything.
    if mono.size < sample_rate * 2 or _rms_dbfs(mono) < SILENCE_DBFS:
        return NOTHING
    # The onset envelopes serve both the tempo and the beats: computed once.
    envelopes = onset_envelopes(mono, sample_rate)
    tempo = tempo_from_envelopes(envelopes)
    key = estimate_key(mono, sample_rate)
    if tempo.noise_like and key.key is None:
        # No tempo stands out, the onsets are as even as noise's and nothing is tonal: noise.
        tempo = TempoEstimate(None, 0.0)
    rhythm = analyze_rhythm(mono, sample_rate, envelopes, tempo.bpm)
    return Analysis(
        bpm=tempo.bpm,
        bpm_confidence=tempo.confidence,
        key=key.key,
        scale=key.scale,
        # A confidence with no key to attach it to would only confuse readers of the JSON.
        key_confidence=key.confidence if key.key is not None else 0.0,
        bpm_candidates=tempo.candidates,
        key_candidates=key.candidates,
        beats=rhythm.beats,
        downbeats=rhythm.downbeats,
        beats_per_bar=rhythm.beats_per_bar,
        loops=rhythm.loops,
    )


def analysis_fields(found: Analysis) -> dict[str, Any]:
    """The analysis as plain JSON-ready fields (candidates and loops as lists of dicts)."""
    fields = asdict(found)
    for name in ("bpm_candidates", "key_candidates", "beats", "downbeats", "loops"):
        fields[name] = list(fields[name])
    return fields


def _rms_dbfs(mono: npt.NDArray[np.float32]) -> float:
    # float32 is plenty for a -60 dB gate.
    level = rms(mono)
    return 20.0 * np.log10(level) if level > 0 else -np.inf
