"""The `cratedig` command line as a user runs it: exit codes, one-line errors, JSON output."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.media import make_clip, make_long_mp3, make_video_only


def cratedig(
    *args: str, tmpdir: Path | None = None, env_extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the installed console script."""
    env = dict(os.environ) | (env_extra or {})
    if tmpdir is not None:
        env["TMPDIR"] = str(tmpdir)
    exe = Path(sys.executable).parent / "cratedig"
    return subprocess.run(
        [str(exe), *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def test_process_file_prints_progress_and_the_analysis(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "clip.mp4", 3.0, video=True)
    done = cratedig("process-file", str(clip), "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert "decoding clip.mp4" in done.stderr and "done in" in done.stderr
    report = json.loads(done.stdout)
    assert report["duration_seconds"] == pytest.approx(3.0, abs=0.05)
    assert (tmp_path / "out" / "thumbnail.jpg").is_file()


def test_analyze_prints_one_json_line(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "clip.mp3", 4.0)
    done = cratedig("analyze", str(clip))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1
    report = json.loads(lines[0])
    assert {
        "bpm",
        "bpm_confidence",
        "key",
        "scale",
        "key_confidence",
        "bpm_candidates",
        "key_candidates",
        "beats",
        "downbeats",
        "beats_per_bar",
        "loops",
        "duration_seconds",
        "loudness_lufs",
    } <= set(report)
    assert report["gain_db"] == 0.0


def _bad(tmp_path: Path, name: str) -> Path:
    if name == "missing":
        return tmp_path / "nope.mp4"
    if name == "empty":
        path = tmp_path / "empty.mp3"
        path.write_bytes(b"")
        return path
    if name == "corrupt":
        path = tmp_path / "corrupt.mp4"
        # Seeded: now and then fresh random bytes happen to probe as a stream with no audio.
        path.write_bytes(random.Random(0).randbytes(50_000))
        return path
    if name == "no-audio":
        return make_video_only(tmp_path / "silent-film.mp4")
    if name == "three-hours":
        return make_long_mp3(tmp_path / "three-hours.mp3")
    raise AssertionError(name)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("missing", "no such file"),
        ("empty", "file is empty"),
        ("corrupt", "not a readable media file"),
        ("no-audio", "has no audio stream"),
        ("three-hours", "min long; the maximum is 10.0 min"),
    ],
)
@pytest.mark.parametrize("command", ["process-file", "analyze"])
def test_bad_input_gets_one_clear_line_and_a_nonzero_exit(
    tmp_path: Path, name: str, reason: str, command: str
) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    path = _bad(tmp_path, name)
    extra = ["--out", str(tmp_path / "out")] if command == "process-file" else []
    done = cratedig(
        command, str(path), *extra, "--quiet" if extra else "--max-duration=600", tmpdir=temp
    )
    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("cratedig: error: ") and reason in lines[0]
    assert list(temp.iterdir()) == []
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_max_duration_is_configurable(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "clip.wav", 6.0)
    done = cratedig("analyze", str(clip), "--max-duration", "5")
    assert done.returncode == 1
    assert "the maximum is 0.1 min" in done.stderr


def test_silence_has_no_tempo_and_no_key(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "silence.wav", 4.0, sound="silence")
    done = cratedig("process-file", str(clip), "--out", str(tmp_path / "out"), "--quiet")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["bpm"] is None and report["key"] is None and report["scale"] is None
    assert report["bpm_candidates"] == [] and report["key_candidates"] == []
    assert report["loudness_lufs"] is None and report["gain_db"] == 0.0


def test_bad_flag_value_is_an_error(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "clip.wav", 1.0)
    done = cratedig("process-file", str(clip), "--out", str(tmp_path), "--waveform-size", "big")
    assert done.returncode == 1
    assert "--waveform-size must look like 1800x280" in done.stderr


def test_demo_processes_a_generated_groove_end_to_end(tmp_path: Path) -> None:
    done = cratedig("demo", "--out", str(tmp_path / "demo"))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["bpm"] == pytest.approx(120, rel=0.04)
    assert (report["key"], report["scale"]) == ("A", "minor")
    best_tempo, best_key = report["bpm_candidates"][0], report["key_candidates"][0]
    assert best_tempo == {"bpm": report["bpm"], "confidence": report["bpm_confidence"]}
    assert best_key == {"key": "A", "scale": "minor", "confidence": report["key_confidence"]}
    assert (tmp_path / "demo" / "thumbnail.jpg").is_file()
    assert (tmp_path / "demo" / "hls" / "playlist.m3u8").is_file()


@pytest.mark.parametrize(
    ("flags", "env", "problem"),
    [
        (["--target-lufs", "5"], {}, "invalid setting target_lufs: Input should be less than"),
        (["--waveform-size", "8x8"], {}, "invalid setting waveform_width"),
        (["--waveform-color", "orange"], {}, "not a colour: 'orange'"),
        ([], {"CRATEDIG_MEDIA__TARGET_LUFS": "loud"}, "invalid setting media.target_lufs"),
    ],
)
def test_bad_settings_are_one_clear_line(
    tmp_path: Path, flags: list[str], env: dict[str, str], problem: str
) -> None:
    clip = make_clip(tmp_path / "clip.wav", 1.0)
    out = tmp_path / "out"
    done = cratedig("process-file", str(clip), "--out", str(out), *flags, env_extra=env)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert problem in lines[0]
    assert not out.exists()


def test_an_output_path_that_is_a_file_is_a_clear_error(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "clip.wav", 1.0)
    (tmp_path / "taken").write_text("")
    done = cratedig("process-file", str(clip), "--out", str(tmp_path / "taken"), "--quiet")
    assert done.returncode == 1
    assert done.stderr.strip() == f"cratedig: error: File exists: {tmp_path / 'taken'}"


# Importing any of these takes from 0.1 s to a second: a command that does not use one
# must not pay for it, and `cratedig --help` uses none.
HEAVY_MODULES = (
    "sqlalchemy",
    "alembic",
    "dbos",
    "yt_dlp",
    "scipy",
    "numpy",
    "PIL",
    "pydantic",
    "pydantic_settings",
    "httpx",
    "fastapi",
    "uvicorn",
)
# Runs the console script's code, then names the heavy modules it imported.
IMPORTS_AFTER = """
import json, sys
from cratedig.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
heavy = sorted({name.split(".")[0] for name in sys.modules} & set(json.loads(HEAVY_JSON)))
print("HEAVY=" + json.dumps(heavy), file=sys.stderr)
"""


def heavy_imports(*args: str) -> list[str]:
    """The heavy modules a `cratedig ARGS` process imported."""
    code = IMPORTS_AFTER.replace("HEAVY_JSON", repr(json.dumps(HEAVY_MODULES)))
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60
    )
    marker = done.stderr.rsplit("HEAVY=", 1)
    assert len(marker) == 2, done.stderr
    found: list[str] = json.loads(marker[1])
    return found


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        [],
        ["no-such-command"],
        ["process-file", "--help"],
        ["analyze", "--help"],
        ["serve", "--help"],
        ["worker", "--help"],
        ["submit", "--help"],
        ["migrate", "--help"],
    ],
    ids=lambda args: " ".join(args) or "(nothing)",
)
def test_parsing_imports_no_heavy_module(args: list[str]) -> None:
    assert heavy_imports(*args) == []


def test_a_command_imports_only_what_it_uses() -> None:
    # submit needs the HTTP client, not the database, the pipeline or the media toolkit.
    assert heavy_imports("submit", "http://127.0.0.1:9/x.mp4", "--api", "http://127.0.0.1:9") == [
        "httpx"
    ]


def test_registering_the_operation_commands_imports_no_heavy_module() -> None:
    code = (
        "import argparse, sys\n"
        "from cratedig.operations.cli import register\n"
        "register(argparse.ArgumentParser().add_subparsers())\n"
        f"heavy = {{n.split('.')[0] for n in sys.modules}} & {set(HEAVY_MODULES)!r}\n"
        "print(sorted(heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_help_lists_every_operation_kind() -> None:
    from cratedig.cli import build_parser

    listed = build_parser().format_help()
    for command in (
        "reprocess",
        "backfill-hls",
        "migrate-media",
        "check-links",
        "reanalyze",
        "operations",
    ):
        assert command in listed


@pytest.mark.parametrize("command", ["reprocess", "reanalyze", "operations"])
def test_an_operation_command_gets_its_own_flags(command: str) -> None:
    done = cratedig(command, "--help")
    assert done.returncode == 0, done.stderr
    assert "--dry-run" in done.stdout or "--follow" in done.stdout
