"""process_file end to end: every artifact checked with ffprobe, ffmpeg and Pillow."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from PIL import Image

from cratedig.media.decode import decode_pcm
from cratedig.media.errors import ToolError
from cratedig.media.hls import PLAYLIST_NAME
from cratedig.media.process import ProcessOptions, ProcessResult, process_file
from cratedig.media.waveform import WaveformStyle
from tests.fixtures.media import VIDEO_CODECS, decoded_frames, ebur128, ffmpeg, ffprobe, make_clip

FRAME_TOLERANCE = 1152 / 48000  # one MP3 frame
WAVEFORM_SCHEMA = json.loads((Path(__file__).parent / "waveform.schema.json").read_text())


@pytest.fixture(scope="module")
def video_result(tmp_path_factory: pytest.TempPathFactory) -> ProcessResult:
    """One 7.3 s video with a groove, processed with default options."""
    root = tmp_path_factory.mktemp("video")
    clip = make_clip(root / "clip.mp4", 7.3, video=True)
    return process_file(clip, root / "out")


def test_writes_every_artifact(video_result: ProcessResult) -> None:
    names = set(video_result.files)
    assert {
        "audio.wav",
        "audio.mp3",
        "waveform.png",
        "waveform.json",
        "analysis.json",
        "thumbnail.jpg",
        f"hls/{PLAYLIST_NAME}",
        "hls/segment_000.ts",
    } <= names
    assert not [p for p in video_result.out_dir.iterdir() if p.name.startswith("cratedig-job")]


def test_wav_is_24bit_48k_stereo_of_the_right_length(video_result: ProcessResult) -> None:
    info = ffprobe(video_result.out_dir / "audio.wav")
    stream = info["streams"][0]
    assert (stream["codec_name"], stream["sample_rate"], stream["channels"]) == (
        "pcm_s24le",
        "48000",
        2,
    )
    assert float(info["format"]["duration"]) == pytest.approx(7.3, abs=FRAME_TOLERANCE)


def test_mp3_is_320k_cbr_and_plays_for_the_same_length(video_result: ProcessResult) -> None:
    out = video_result.out_dir
    stream = ffprobe(out / "audio.mp3")["streams"][0]
    assert (stream["codec_name"], stream["sample_rate"], stream["channels"]) == ("mp3", "48000", 2)
    assert int(stream["bit_rate"]) == 320000
    drift = abs(decoded_frames(out / "audio.mp3") - decoded_frames(out / "audio.wav"))
    assert drift <= 1152


def test_loudness_is_normalised_to_target_in_wav_and_mp3(video_result: ProcessResult) -> None:
    for name in ("audio.wav", "audio.mp3"):
        integrated, peak = ebur128(video_result.out_dir / name)
        assert integrated == pytest.approx(-16.0, abs=0.5), name
        assert peak <= -1.0, name
    assert video_result.analysis["gain_limited_by_true_peak"] is False
    assert video_result.analysis["loudness_lufs"] == pytest.approx(-16.0, abs=0.05)


def test_hls_is_a_vod_playlist_of_short_aac_segments(video_result: ProcessResult) -> None:
    hls_dir = video_result.out_dir / "hls"
    lines = (hls_dir / PLAYLIST_NAME).read_text().splitlines()
    assert lines[0] == "#EXTM3U"
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in lines
    assert lines[-1] == "#EXT-X-ENDLIST"
    target = int(next(x for x in lines if x.startswith("#EXT-X-TARGETDURATION:")).split(":")[1])
    durations = [float(x.split(":")[1].rstrip(",")) for x in lines if x.startswith("#EXTINF:")]
    names = [x for x in lines if x and not x.startswith("#")]
    assert len(names) == len(durations) == math.ceil(7.3 / 2)
    assert max(durations) <= 2.05
    assert min(durations) >= 0.5  # no runt tail
    assert all(round(d) <= target for d in durations)
    assert sum(durations) == pytest.approx(7.3, abs=0.05)
    for name in names:
        stream = ffprobe(hls_dir / name)["streams"][0]
        assert (stream["codec_name"], stream["sample_rate"], stream["channels"]) == (
            "aac",
            "48000",
            2,
        )


def test_hls_plays_as_a_whole_for_the_full_duration(video_result: ProcessResult) -> None:
    frames = decoded_frames(video_result.out_dir / "hls" / PLAYLIST_NAME)
    assert frames / 48000 == pytest.approx(7.3, abs=0.05)


def test_waveform_json_follows_audiowaveform_format(video_result: ProcessResult) -> None:
    data = json.loads((video_result.out_dir / "waveform.json").read_text())
    jsonschema.validate(data, WAVEFORM_SCHEMA)
    assert data["sample_rate"] == 48000
    frames = decoded_frames(video_result.out_dir / "audio.wav")
    assert data["length"] == 1800
    assert data["samples_per_pixel"] == frames // 1800
    assert len(data["data"]) == 2 * data["length"]
    lows, highs = data["data"][0::2], data["data"][1::2]
    assert all(low <= high for low, high in zip(lows, highs, strict=True))
    assert max(highs) > 40  # a normalised groove reaches well into the 8-bit range


def test_waveform_png_has_default_size_and_draws_something(video_result: ProcessResult) -> None:
    with Image.open(video_result.out_dir / "waveform.png") as image:
        assert image.size == (1800, 280)
        pixels = np.asarray(image.convert("RGBA"))
    drawn = (pixels[:, :, :3] == (255, 85, 0)).all(axis=2)
    assert 0.05 < drawn.mean() < 0.95
    assert drawn[:, :20].any() and drawn[:, -20:].any()  # spans the whole clip


def test_thumbnail_is_a_frame_of_the_video(video_result: ProcessResult) -> None:
    with Image.open(video_result.out_dir / "thumbnail.jpg") as image:
        assert image.format == "JPEG"
        assert image.size == (320, 568)


def test_analysis_json_has_every_field(video_result: ProcessResult) -> None:
    report = json.loads((video_result.out_dir / "analysis.json").read_text())
    assert report == video_result.analysis
    # AAC in MP4 decodes up to one (44.1 kHz) frame longer than asked: that is the source.
    assert report["duration_seconds"] == pytest.approx(7.3, abs=FRAME_TOLERANCE)
    assert report["sample_rate"] == 48000 and report["channels"] == 2
    for field in (
        "bpm",
        "bpm_confidence",
        "key",
        "scale",
        "key_confidence",
        "loudness_lufs",
        "toolkit_version",
    ):
        assert field in report
    assert 0.0 <= report["bpm_confidence"] <= 1.0
    assert 0.0 <= report["key_confidence"] <= 1.0


@pytest.mark.parametrize("suffix", [".mp4", ".mov", ".webm", ".m4a", ".mp3", ".wav", ".ogg"])
def test_every_supported_container_becomes_a_sample(tmp_path: Path, suffix: str) -> None:
    video = suffix in (".mp4", ".mov", ".webm")
    clip = make_clip(tmp_path / f"in{suffix}", 3.0, video=video)
    result = process_file(clip, tmp_path / "out")
    assert ("thumbnail.jpg" in result.files) is video
    assert result.analysis["duration_seconds"] == pytest.approx(3.0, abs=0.05)
    assert ebur128(tmp_path / "out" / "audio.wav")[0] == pytest.approx(-16.0, abs=0.5)


def test_mono_source_is_duplicated_at_full_level(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "mono.wav", 2.0, sound="tone", channels=1, volume_db=-20)
    result = process_file(clip, tmp_path / "out", ProcessOptions(normalize=False))
    samples = decode_pcm(tmp_path / "out" / "audio.wav")
    source = decode_pcm(clip, source_channels=1)
    assert np.array_equal(samples[:, 0], samples[:, 1])
    assert np.abs(samples[:, 0] - source[:, 0]).max() < 1e-6  # not 3 dB down
    assert result.analysis["gain_db"] == 0.0


def test_true_peak_ceiling_limits_the_gain(tmp_path: Path) -> None:
    # Sparse clicks are quiet for their peak: reaching -16 LUFS would push them past -1.5 dBTP.
    clip = make_clip(tmp_path / "clicks.wav", 3.0, sound="spiky", volume_db=-10)
    result = process_file(clip, tmp_path / "out")
    integrated, peak = ebur128(tmp_path / "out" / "audio.wav")
    assert result.analysis["gain_limited_by_true_peak"] is True
    assert result.analysis["true_peak_dbtp"] == pytest.approx(-1.5, abs=0.01)
    assert peak == pytest.approx(-1.5, abs=0.2)
    assert integrated < -16.5


def test_normalisation_can_be_turned_off(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "quiet.wav", 3.0, volume_db=-12)
    before, _ = ebur128(clip)
    process_file(clip, tmp_path / "out", ProcessOptions(normalize=False))
    after, _ = ebur128(tmp_path / "out" / "audio.wav")
    assert after == pytest.approx(before, abs=0.1)


def test_waveform_size_and_transparency_are_configurable(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "in.mp3", 2.0)
    style = WaveformStyle(width=600, height=120, transparent=True)
    process_file(
        clip,
        tmp_path / "out",
        replace(ProcessOptions(), waveform_style=style, waveform_columns=300),
    )
    with Image.open(tmp_path / "out" / "waveform.png") as image:
        assert image.size == (600, 120)
        alpha = np.asarray(image.convert("RGBA"))[:, :, 3]
    assert (alpha == 0).mean() > 0.05 and (alpha == 255).any()
    assert json.loads((tmp_path / "out" / "waveform.json").read_text())["length"] == 300


def test_rerun_replaces_artifacts_and_leaves_no_stale_segments(tmp_path: Path) -> None:
    out = tmp_path / "out"
    process_file(make_clip(tmp_path / "long.mp3", 9.0), out)
    process_file(make_clip(tmp_path / "short.mp3", 3.0), out)
    playlist = (out / "hls" / PLAYLIST_NAME).read_text()
    on_disk = sorted(p.name for p in (out / "hls").glob("*.ts"))
    assert on_disk == sorted(x for x in playlist.splitlines() if x.endswith(".ts"))


def test_failure_leaves_no_partial_output(tmp_path: Path, private_tmp: Path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40)
    with pytest.raises(ToolError) as failure:
        process_file(bad, tmp_path / "out")
    assert failure.value.tool == "ffprobe"
    assert "Invalid data" in failure.value.stderr_tail or "moov atom" in failure.value.stderr_tail
    assert list((tmp_path / "out").iterdir()) == []
    assert list(private_tmp.iterdir()) == []


def test_an_exact_multiple_of_the_segment_length_has_no_runt(tmp_path: Path) -> None:
    # 4.000 s of PCM becomes 4.021 s of AAC (one priming frame): the classic 21 ms runt.
    process_file(make_clip(tmp_path / "exact.wav", 4.0), tmp_path / "out")
    lines = (tmp_path / "out" / "hls" / PLAYLIST_NAME).read_text().splitlines()
    durations = [float(x.split(":")[1].rstrip(",")) for x in lines if x.startswith("#EXTINF:")]
    assert len(durations) == 2
    assert all(1.9 <= d <= 2.05 for d in durations)


def test_a_successful_run_leaves_nothing_in_temp_dirs(tmp_path: Path, private_tmp: Path) -> None:
    out = tmp_path / "out"
    process_file(make_clip(tmp_path / "clip.mp4", 2.0, video=True), out)
    assert list(private_tmp.iterdir()) == []
    assert sorted(p.name for p in out.iterdir()) == [
        "analysis.json",
        "audio.mp3",
        "audio.wav",
        "hls",
        "thumbnail.jpg",
        "waveform.json",
        "waveform.png",
    ]


def test_a_video_over_the_pixel_limit_gets_audio_and_no_thumbnail(tmp_path: Path) -> None:
    video = tmp_path / "big.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=640x480:rate=25:duration=3",
        "-f", "lavfi", "-i", "sine=f=440:r=48000:d=3",
        *VIDEO_CODECS[".mp4"], "-c:a", "aac", "-shortest", str(video),
    )  # fmt: skip
    said: list[str] = []
    options = ProcessOptions(max_video_pixels=320 * 240)
    result = process_file(video, tmp_path / "out", options, progress=said.append)
    assert "thumbnail.jpg" not in result.files
    assert {"audio.wav", "audio.mp3", "waveform.png", f"hls/{PLAYLIST_NAME}"} <= set(result.files)
    assert "video of 640x480 is over the pixel limit: no thumbnail" in said
    at_limit = process_file(video, tmp_path / "at", ProcessOptions(max_video_pixels=640 * 480))
    assert "thumbnail.jpg" in at_limit.files
