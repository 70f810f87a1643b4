"""Matched renders: the tempo and key our own analysis reads back, sample-accurate loops."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cratedig.media.analysis import analyze_pcm
from cratedig.media.render import Loop, Stretch, render
from cratedig.media.wav import read_wav, write_wav24
from tests.fixtures.media import ffmpeg, ffprobe
from tests.fixtures.music import SR, backbeat_song

SOURCE_BPM = 100.0


@pytest.fixture(scope="module")
def song(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """12 s at 100 BPM in A minor: a backbeat under i-iv-V-i chords, a 24-bit stereo WAV."""
    path = tmp_path_factory.mktemp("render") / "song.wav"
    write_wav24(path, backbeat_song(SOURCE_BPM, "A", "minor"), SR)
    return path


@pytest.mark.parametrize(
    ("bpm", "semitones", "key"),
    [(120.0, 3, "C"), (88.0, -4, "F")],
)
def test_a_render_reads_back_at_the_asked_tempo_and_key(
    song: Path, tmp_path: Path, bpm: float, semitones: int, key: str
) -> None:
    out = render(song, tmp_path / "out.wav", Stretch(bpm / SOURCE_BPM, semitones), None, tmp_path)
    samples, rate = read_wav(out)
    assert (rate, samples.shape[1]) == (SR, 2)
    assert samples.shape[0] == pytest.approx(12.0 * SR * SOURCE_BPM / bpm, rel=0.01)
    found = analyze_pcm(samples, rate)
    assert found.bpm == pytest.approx(bpm, rel=0.02)
    assert (found.key, found.scale) == (key, "minor")


def test_a_loop_without_stretch_is_the_source_cut_at_its_frames(song: Path, tmp_path: Path) -> None:
    loop = Loop(0.6, 0.6 + 4 * 60 / SOURCE_BPM)
    out = render(song, tmp_path / "loop.wav", None, loop, tmp_path)
    cut, _ = read_wav(out)
    source, _ = read_wav(song)
    start, end = loop.frames(SR)
    assert cut.shape[0] == end - start == 115200
    np.testing.assert_array_equal(cut, source[start:end])


def test_a_stretched_loop_has_the_stretched_length_and_joins_itself(
    song: Path, tmp_path: Path
) -> None:
    loop = Loop(0.6, 0.6 + 8 * 60 / SOURCE_BPM)  # two bars
    out = render(song, tmp_path / "loop.wav", Stretch(1.25, 2), loop, tmp_path)
    cut, _ = read_wav(out)
    start, end = loop.frames(SR)
    assert cut.shape[0] == round((end - start) / 1.25)
    assert cut.shape[0] / SR == pytest.approx(8 * 60 / 125, abs=0.01)
    # Played on repeat, the seam (last frame to first) steps no more than the sound itself.
    steps = np.abs(np.diff(cut, axis=0)).max(axis=1)
    seam = np.abs(cut[0] - cut[-1]).max()
    assert seam <= np.percentile(steps, 99.9)


def test_an_mp3_render_is_a_320k_mp3(song: Path, tmp_path: Path) -> None:
    out = render(song, tmp_path / "out.mp3", Stretch(0.9, -1), None, tmp_path)
    stream = ffprobe(out)["streams"][0]
    assert (stream["codec_name"], stream["bit_rate"], stream["channels"]) == ("mp3", "320000", 2)
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".mp3") == ["out.mp3"]


def test_a_wav_written_by_another_tool_is_read_through_ffprobe(tmp_path: Path) -> None:
    source = tmp_path / "extensible.wav"  # ffmpeg writes 24-bit WAVs as WAVE_FORMAT_EXTENSIBLE
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-ac", "2", "-c:a", "pcm_s24le",
           str(source))  # fmt: skip
    out = render(source, tmp_path / "out.wav", Stretch(2.0, 0), None, tmp_path)
    samples, rate = read_wav(out)
    assert samples.shape == (pytest.approx(rate, rel=0.02), 2)
