"""Shared pytest fixtures: a private temp dir per test so leftovers can be detected."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

if shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None:
    raise pytest.UsageError("ffmpeg/ffprobe are required: run `make test` (it installs them)")


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point TMPDIR at an empty directory for the test, so leftovers can be checked."""
    temp = tmp_path / "system-tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    return temp
