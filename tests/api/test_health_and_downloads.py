"""/health writes to the store, and a download is counted only when its object is there."""

from __future__ import annotations

import contextlib
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from cratedig.samples.repository import SampleRepository
from cratedig.storage.keys import AUDIO_WAV, sample_key
from tests.api.conftest import Api
from tests.fixtures.factories import make_creator, make_sample


@contextlib.contextmanager
def unwritable(folder: Path) -> Iterator[None]:
    """Make `folder` refuse new files (root ignores modes: it gets the immutable flag too)."""
    mode = folder.stat().st_mode
    folder.chmod(0o555)
    immutable = os.geteuid() == 0 and subprocess.run(["chattr", "+i", str(folder)]).returncode == 0
    try:
        try:
            (folder / "try").write_bytes(b"x")
        except OSError:
            pass
        else:
            (folder / "try").unlink()
            pytest.fail("cannot make a folder unwritable here (needs chmod, or chattr as root)")
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        folder.chmod(mode)


def test_health_fails_when_the_media_folder_is_unwritable(api: Api) -> None:
    assert api.client.get("/health").status_code == 200
    with unwritable(api.media_dir):
        response = api.client.get("/health")
    assert response.status_code == 503, response.text
    checks = response.json()["checks"]
    assert checks["storage"]["ok"] is False
    assert checks["database"]["ok"] and checks["queue"]["ok"]
    assert api.client.get("/health").status_code == 200
    assert list(api.media_dir.rglob("*probe*")) == []  # the probe cleans up after itself


def test_a_download_of_a_missing_object_is_404_and_not_counted(api: Api) -> None:
    creator = make_creator(username="djkay")
    sample = make_sample(id=uuid.uuid4(), creator=creator)
    sample.wav_key = sample_key(sample.id, AUDIO_WAV)  # recorded, but never stored
    api.add(creator, sample)
    answer = api.client.get(f"/api/v1/samples/{sample.id}/download", follow_redirects=False)
    assert answer.status_code == 404, answer.text
    assert answer.json()["error"]["field"] == "format"
    with api.runtime.transaction() as session:
        stored = SampleRepository(session).get(sample.id)
        assert stored is not None and stored.download_count == 0
