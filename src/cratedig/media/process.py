"""Turn one media file into every artifact a sample needs: decode once, encode in parallel."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cratedig.artifacts import HLS, MP3, THUMBNAIL, WAV, WAVEFORM_JSON, WAVEFORM_PNG
from cratedig.media import encode, hls, loudness, waveform
from cratedig.media.analysis import analyze_pcm
from cratedig.media.children import ChildLimits
from cratedig.media.decode import PCM, to_mono
from cratedig.media.report import analysis_report
from cratedig.media.source import SAMPLE_RATE, load_audio
from cratedig.media.thumbnail import MAX_VIDEO_PIXELS, start_thumbnail, thumbnail_allowed
from cratedig.media.wav import write_wav24
from cratedig.media.workdir import job_directory, publish_directory

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
    max_video_pixels: int = MAX_VIDEO_PIXELS
    limits: ChildLimits = field(default_factory=ChildLimits)


@dataclass(frozen=True)
class ProcessResult:
    """What was made: the artifact file names and the analysis written to analysis.json."""

    out_dir: Path
    files: list[str]
    analysis: dict[str, Any]
    seconds: float


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
    with (
        job_directory(out_dir) as work,
        encode.EncoderGroup() as encoders,
        ThreadPoolExecutor(max_workers=1) as analyst,
    ):
        say(f"decoding {path.name}")
        info, source = load_audio(path, options.max_duration_seconds, options.limits)
        if thumbnail_allowed(info, options.max_video_pixels):
            # Needs only the source file, so it runs beside everything else.
            thumbnail = start_thumbnail(
                path,
                work / THUMBNAIL.file,
                info.duration_seconds,
                max_pixels=options.max_video_pixels,
                limits=options.limits,
            )
            encoders.start(thumbnail)
        elif info.has_video:
            say(f"video of {info.width}x{info.height} is over the pixel limit: no thumbnail")
        # Tempo and key do not depend on level, so they run on the source in a thread (numpy
        # releases the GIL) while the loudness is measured: the second core is idle otherwise.
        # The thread gets a mono copy, so the gain below can be applied in place.
        say("analysing tempo and key; measuring loudness")
        found = analyst.submit(analyze_pcm, to_mono(source), SAMPLE_RATE)
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
        samples = source
        if gain.gain_db:
            samples *= np.float32(gain.factor)
        say(f"writing WAV (gain {gain.gain_db:+.2f} dB)")
        wav = work / WAV.file
        write_wav24(wav, samples, SAMPLE_RATE)
        streams = work / str(HLS.folder)
        streams.mkdir()
        say("encoding HLS and MP3 in parallel")
        # LAME at 320 kbps is the longest job (~0.4 s per 30 s clip here): start it first.
        encoders.start(encode.start_mp3(wav, work / MP3.file, options.encode, options.limits))
        frames = samples.shape[0]
        encoders.start(
            encode.start_hls(wav, streams, frames, SAMPLE_RATE, options.encode, options.limits)
        )
        say("drawing waveform")
        _write_waveform(samples, work, options)
        report = analysis_report(found.result(), samples.shape[0], samples.shape[1], measured, gain)
        encoders.finish_all()
        hls.write_playlist(streams)
        (work / "analysis.json").write_text(json.dumps(report, indent=2) + "\n")
        files = sorted(str(p.relative_to(work)) for p in work.rglob("*") if p.is_file())
        publish_directory(work, out_dir)
    elapsed = time.perf_counter() - started
    say(f"done in {elapsed:.2f} s")
    return ProcessResult(out_dir, files, report, elapsed)


def _write_waveform(samples: PCM, work: Path, options: ProcessOptions) -> None:
    mono = to_mono(samples)  # once for both drawings
    data = waveform.waveform_json(mono, SAMPLE_RATE, columns=options.waveform_columns)
    (work / WAVEFORM_JSON.file).write_text(json.dumps(data, separators=(",", ":")))
    waveform.render_png(mono, work / WAVEFORM_PNG.file, options.waveform_style)
