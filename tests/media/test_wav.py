"""Reading WAVs back: our 24-bit files exactly, other integer widths, and the rest via ffmpeg."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from cratedig.media.errors import MediaError
from cratedig.media.wav import read_wav, write_wav24
from tests.fixtures.media import ffmpeg


def test_a_24_bit_file_reads_back_to_its_samples(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    samples = rng.uniform(-1, 1, (4801, 2)).astype(np.float32)
    samples[:3] = [[-1.0, 1.0], [0.0, -0.0], [-(2.0**-23), 2.0**-23]]  # edges and one LSB
    write_wav24(tmp_path / "a.wav", samples, 44100)
    read, rate = read_wav(tmp_path / "a.wav")
    assert rate == 44100 and read.shape == samples.shape and read.dtype == np.float32
    assert np.abs(read - samples).max() <= 2.0**-23
    mono, _ = read_wav(tmp_path / "a.wav", mono=True)
    assert mono.shape == (4801,)
    assert np.allclose(mono, samples.mean(axis=1), atol=2.0**-22)


@pytest.mark.parametrize(("width", "dtype"), [(2, "<i2"), (4, "<i4")])
def test_16_and_32_bit_files(tmp_path: Path, width: int, dtype: str) -> None:
    full = 2 ** (8 * width - 1)
    ints = np.array([[-full, full - 1], [0, full // 2]], dtype=dtype)
    with wave.open(str(tmp_path / "b.wav"), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(width)
        out.setframerate(48000)
        out.writeframes(ints.tobytes())
    read, _ = read_wav(tmp_path / "b.wav")
    assert read.tolist() == [[-1.0, pytest.approx(1.0, abs=1e-4)], [0.0, 0.5]]


def test_a_float_wav_goes_through_ffmpeg(tmp_path: Path) -> None:
    path = tmp_path / "float.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "pcm_f32le", str(path))
    read, rate = read_wav(path)
    assert rate == 48000 and read.shape == (48000, 2)
    assert 0.05 < float(np.abs(read).max()) <= 1.0


def test_garbage_is_a_media_error(tmp_path: Path) -> None:
    path = tmp_path / "garbage.wav"
    path.write_bytes(b"RIFF....WAVEnot really")
    with pytest.raises(MediaError):
        read_wav(path)


def test_a_header_claiming_more_frames_than_the_file_holds(tmp_path: Path) -> None:
    write_wav24(tmp_path / "c.wav", np.zeros((1000, 2), np.float32), 48000)
    data = bytearray((tmp_path / "c.wav").read_bytes())
    data[40:44] = (2**31).to_bytes(4, "little")  # the data chunk's size: 2 GB
    (tmp_path / "c.wav").write_bytes(bytes(data))
    read, _ = read_wav(tmp_path / "c.wav")
    assert read.shape == (1000, 2)
