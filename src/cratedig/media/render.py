"""Matched renders: a WAV time-stretched and pitch-shifted in one pass of ffmpeg's rubberband
filter (formants preserved), optionally cut to a loop, as a WAV or an MP3. Pure: paths in."""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

from cratedig.media.children import ChildLimits
from cratedig.media.encode import EncoderGroup, EncodeSettings
from cratedig.media.ffmpeg import DEFAULT_LIMITS, probe, run_ffmpeg, start_ffmpeg

# Loops are stretched as three copies in a row and the middle one kept: the stretcher then
# sees the loop's own end before its start, so the kept copy joins itself without a click.
LOOP_COPIES = 3


@dataclass(frozen=True)
class Stretch:
    """A tempo factor (2.0: twice as fast) and a pitch shift in semitones."""

    tempo: float
    semitones: int

    @property
    def filter(self) -> str:
        """The rubberband filter for one channel."""
        pitch = 2.0 ** (self.semitones / 12)
        return f"rubberband=tempo={self.tempo:.6f}:pitch={pitch:.6f}:formant=preserved"


@dataclass(frozen=True)
class Loop:
    """A loop of the source in seconds [start, end), cut at the nearest sample frames."""

    start: float
    end: float

    def frames(self, rate: int) -> tuple[int, int]:
        """Its first frame and the frame after its last, at `rate`."""
        return round(self.start * rate), round(self.end * rate)


def render(
    source: Path,
    target: Path,
    stretch: Stretch | None,
    loop: Loop | None,
    work: Path,
    encode: EncodeSettings | None = None,
    limits: ChildLimits = DEFAULT_LIMITS,
) -> Path:
    """Write `target` (.wav: 24-bit PCM, .mp3: CBR) from the WAV `source`, stretched and cut."""
    channels, rate = _layout(source, limits)
    audio, cut = source, None
    if loop is not None:
        start, end = loop.frames(rate)
        if stretch is None:
            cut = _trim(start, end)
        else:
            audio = work / "loop.wav"
            run_ffmpeg(
                ["-i", str(source), "-af", _trim(start, end), "-c:a", "pcm_f32le", str(audio)],
                what="loop cut",
                limits=limits,
            )
            frames = round((end - start) / stretch.tempo)
            cut = _trim(frames, 2 * frames)
    parts = [audio]
    if stretch is not None:
        parts = _stretched(audio, stretch, channels, loop is not None, work, limits)
    _encode(parts, target, cut, rate, encode or EncodeSettings(), limits)
    return target


def _layout(source: Path, limits: ChildLimits) -> tuple[int, int]:
    """Channels and sample rate: from the header of our own WAVs (plain PCM, as the pipeline
    writes them), else from ffprobe (a WAV written by another tool)."""
    try:
        with wave.open(str(source), "rb") as header:
            return header.getnchannels(), header.getframerate()
    except (wave.Error, EOFError):
        info = probe(source, limits)
        return info.audio_channels, info.audio_sample_rate


def _stretched(
    source: Path, stretch: Stretch, channels: int, looped: bool, work: Path, limits: ChildLimits
) -> list[Path]:
    """One rubberband run per channel, all at once: the channels are stretched apart anyway,
    and a filter graph runs on one core."""
    repeat = ["-stream_loop", str(LOOP_COPIES - 1)] if looped else []
    outputs = [work / f"channel{index}.wav" for index in range(channels)]
    with EncoderGroup() as group:
        for index, out in enumerate(outputs):
            channel = f"pan=mono|c0=c{index},{stretch.filter}"
            args = [*repeat, "-i", str(source), "-af", channel, "-c:a", "pcm_f32le", str(out)]
            group.start(start_ffmpeg(args, what="stretch", limits=limits))
        group.finish_all()
    return outputs


def _encode(
    parts: list[Path],
    target: Path,
    cut: str | None,
    rate: int,
    settings: EncodeSettings,
    limits: ChildLimits,
) -> None:
    inputs = [arg for part in parts for arg in ("-i", str(part))]
    filters = []
    if len(parts) > 1:
        joined = "".join(f"[{index}:a]" for index in range(len(parts)))
        layout = ":channel_layout=stereo" if len(parts) == 2 else ""
        filters.append(f"{joined}join=inputs={len(parts)}{layout}")
    if cut is not None:
        filters.append(cut)
    graph = ["-filter_complex", ",".join(filters)] if filters else []
    if target.suffix == ".mp3":
        codec = ["-c:a", "libmp3lame", "-b:a", f"{settings.mp3_bitrate_kbps}k", "-write_xing", "1"]
    else:
        codec = ["-c:a", "pcm_s24le"]
    run_ffmpeg(
        [*inputs, *graph, *codec, "-ar", str(rate), "-map_metadata", "-1", str(target)],
        what="render encode",
        limits=limits,
    )


def _trim(start: int, end: int) -> str:
    """A sample-accurate cut of frames [start, end), timestamps restarting at zero."""
    return f"atrim=start_sample={start}:end_sample={end},asetpts=N/SR/TB"
