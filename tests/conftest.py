"""Shared pytest fixtures: a private temp dir per test so leftovers can be detected."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

# Required tools fail the run loudly rather than skipping the tests that need them.
_REQUIRED = {
    "ffmpeg": shutil.which("ffmpeg"),
    "ffprobe": shutil.which("ffprobe"),
    "fluidsynth": shutil.which("fluidsynth"),
    "fluid-soundfont-gm": Path("/usr/share/sounds/sf2/FluidR3_GM.sf2").exists() or None,
}
_MISSING = [name for name, found in _REQUIRED.items() if not found]
if _MISSING:
    raise pytest.UsageError(f"missing {', '.join(_MISSING)}: run `make test`, which installs them")


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point TMPDIR at an empty directory for the test, so leftovers can be checked."""
    temp = tmp_path / "system-tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    return temp
