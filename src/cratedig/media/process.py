"""Turn one media file into every artifact a sample needs: decode once, encode in parallel."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cratedig import __version__
from cratedig.media import encode, hls, loudness, waveform
from cratedig.media.analysis import analyze_pcm
from cratedig.media.decode import decode_pcm
from cratedig.media.errors import MediaError
from cratedig.media.ffmpeg import MediaInfo, probe, require_tools
from cratedig.media.thumbnail import start_thumbnail
from cratedig.media.wav import write_wav24
from cratedig.media.workdir import job_directory, publish_directory

SAMPLE_RATE = 48000
CHANNELS = 2
Progress = Callable[[str], None]


@dataclass(frozen=True)
class ProcessOptions:
    """Everything that shapes the artifacts; defaults are the product's defaults."""

    normalize: bool = True
    target_lufs: float = -16.0
    max_true_peak_dbtp: float = -1.5
    max_duration_seconds: float = 600.0
    encode: encode.EncodeSettings = field(default_factory=encode.EncodeSettings)
    waveform_columns: int = 1800
    waveform_style: waveform.WaveformStyle = field(default_factory=waveform.WaveformStyle)


@dataclass(frozen=True)
class ProcessResult:
    """What was made: the artifact file names and the analysis written to analysis.json."""

    out_dir: Path
    files: list[str]
    analysis: dict[str, Any]
    seconds: float


def check_input(info: MediaInfo, path: Path, max_duration_seconds: float) -> None:
    """Refuse inputs that cannot become a sample, with one clear line each."""
    if not info.has_audio:
        raise MediaError(f"{path.name}: has no audio stream")
    if info.duration_seconds > max_duration_seconds:
        raise MediaError(
            f"{path.name}: is {info.duration_seconds / 60:.1f} min long; the maximum is "
            f"{max_duration_seconds / 60:.1f} min (CRATEDIG_MEDIA__MAX_DURATION_SECONDS)"
        )


def load_audio(path: Path, max_duration_seconds: float) -> tuple[MediaInfo, np.ndarray]:
    """Probe, validate and decode a file to 48 kHz stereo float PCM."""
    require_tools()
    info = probe(path)
    check_input(info, path, max_duration_seconds)
    # Decode a little past the limit so a file whose header lies about its length is caught.
    samples = decode_pcm(
        path,
        sample_rate=SAMPLE_RATE,
        channels=CHANNELS,
        max_seconds=max_duration_seconds + 1,
        source_channels=info.audio_channels,
    )
    if samples.shape[0] == 0:
        raise MediaError(f"{path.name}: audio stream decodes to nothing")
    if samples.shape[0] > max_duration_seconds * SAMPLE_RATE:
        raise MediaError(f"{path.name}: longer than the maximum of {max_duration_seconds:.0f} s")
    return info, samples


def process_file(
    path: Path,
    out_dir: Path,
    options: ProcessOptions | None = None,
    progress: Progress | None = None,
) -> ProcessResult:
    """Write audio.wav, audio.mp3, hls/, waveform.png/.json, analysis.json (+ thumbnail.jpg)."""
    options = options or ProcessOptions()
    say = progress or (lambda _: None)
    started = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    with job_directory(out_dir) as work, _Encoders() as encoders:
        say(f"decoding {path.name}")
        info, source = load_audio(path, options.max_duration_seconds)
        if info.has_video:  # needs only the source, so it runs beside everything else
            encoders.start(
                start_thumbnail(path, work / "thumbnail.jpg", info.duration_seconds), "thumbnail"
            )
        say("measuring loudness")
        measured = loudness.measure(source, SAMPLE_RATE)
        gain = (
            loudness.plan_gain(
                measured,
                target_lufs=options.target_lufs,
                max_true_peak_dbtp=options.max_true_peak_dbtp,
            )
            if options.normalize
            else loudness.GainPlan(0.0, False)
        )
        samples = (source * np.float32(gain.factor)) if gain.gain_db else source
        say(f"writing WAV (gain {gain.gain_db:+.2f} dB)")
        wav = work / "audio.wav"
        write_wav24(wav, samples, SAMPLE_RATE)
        (work / "hls").mkdir()
        say("encoding HLS and MP3 in parallel")
        # The AAC encode is the longest job: start it first.
        encoders.start(
            encode.start_hls(wav, work / "hls", samples.shape[0], SAMPLE_RATE, options.encode),
            "HLS",
        )
        encoders.start(encode.start_mp3(wav, work / "audio.mp3", options.encode), "MP3")
        say("drawing waveform")
        _write_waveform(samples, work, options)
        say("analysing tempo and key")
        report = analysis_report(samples, measured, gain)
        encoders.finish_all()
        hls.write_playlist(work / "hls")
        (work / "analysis.json").write_text(json.dumps(report, indent=2) + "\n")
        files = sorted(str(p.relative_to(work)) for p in work.rglob("*") if p.is_file())
        publish_directory(work, out_dir)
    elapsed = time.perf_counter() - started
    say(f"done in {elapsed:.2f} s")
    return ProcessResult(out_dir, files, report, elapsed)


class _Encoders:
    """Background ffmpeg processes: waited for on success, killed on any failure."""

    def __init__(self) -> None:
        self._running: list[tuple[subprocess.Popen[bytes], str]] = []

    def start(self, process: subprocess.Popen[bytes], what: str) -> None:
        self._running.append((process, what))

    def finish_all(self) -> None:
        while self._running:
            process, what = self._running.pop(0)
            encode.finish(process, what=f"{what} encode")

    def __enter__(self) -> _Encoders:
        return self

    def __exit__(self, *exc_info: object) -> None:
        for process, _ in self._running:
            process.kill()
            process.communicate()
        self._running.clear()


def _write_waveform(samples: np.ndarray, work: Path, options: ProcessOptions) -> None:
    data = waveform.waveform_json(samples, SAMPLE_RATE, columns=options.waveform_columns)
    (work / "waveform.json").write_text(json.dumps(data, separators=(",", ":")))
    waveform.render_png(samples, work / "waveform.png", options.waveform_style)


def analysis_report(
    samples: np.ndarray, measured: loudness.Loudness, gain: loudness.GainPlan
) -> dict[str, Any]:
    """The analysis.json document for audio at `samples` (after `gain` was applied)."""
    found = analyze_pcm(samples, SAMPLE_RATE)
    source_lufs = measured.integrated_lufs
    return {
        "duration_seconds": round(samples.shape[0] / SAMPLE_RATE, 3),
        **asdict(found),
        "loudness_lufs": None if source_lufs is None else round(source_lufs + gain.gain_db, 2),
        "true_peak_dbtp": _db(measured.true_peak_dbtp + gain.gain_db),
        "source_loudness_lufs": None if source_lufs is None else round(source_lufs, 2),
        "gain_db": round(gain.gain_db, 2),
        "gain_limited_by_true_peak": gain.limited_by_peak,
        "sample_rate": SAMPLE_RATE,
        "channels": samples.shape[1],
        "toolkit_version": __version__,
    }


def _db(value: float) -> float | None:
    return None if not np.isfinite(value) else round(value, 2)
