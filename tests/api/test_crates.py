"""Crate downloads: one streamed ZIP of matched WAVs, the unmatched kept apart and explained."""

from __future__ import annotations

import io
import uuid
import zipfile
from pathlib import Path

import pytest

from cratedig.media.analysis import analyze_pcm
from cratedig.media.wav import read_wav
from cratedig.models import SampleStatus
from tests.api.conftest import Api, stored_song

URL = "/api/v1/crates/download"


def test_a_crate_of_three_is_one_zip_of_matched_wavs_that_decode(
    api: Api, song_wav: Path, tmp_path: Path
) -> None:
    first, second = stored_song(api, song_wav), stored_song(api, song_wav, bpm=125.0)
    untimed = stored_song(api, song_wav, bpm=None)
    ids = [str(sample.id) for sample in (first, second, untimed)]
    response = api.client.post(URL, json={"ids": ids, "bpm": 120, "key": "C"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"] == 'attachment; filename="cratedig-crate-3.zip"'
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = archive.namelist()
    assert names[-1] == "crate.txt"
    assert names[:2] == [
        f"120bpm_Cminor_{first.creator.username}_{first.id.hex[:8]}.wav",
        f"120bpm_Cminor_{second.creator.username}_{second.id.hex[:8]}.wav",
    ]
    assert names[2] == f"unmatched/Aminor_{untimed.creator.username}_{untimed.id.hex[:8]}.wav"
    assert {info.compress_type for info in archive.infolist()} == {zipfile.ZIP_STORED}
    for index, name in enumerate(names[:3]):
        path = tmp_path / f"{index}.wav"
        path.write_bytes(archive.read(name))
        samples, rate = read_wav(path)
        assert samples.shape[1] == 2
        if index == 0:  # the second says 125 BPM of a 100 BPM song: it plays at 96
            assert analyze_pcm(samples, rate).bpm == pytest.approx(120, rel=0.02)
    notes = archive.read("crate.txt").decode()
    assert notes.startswith("cratedig crate: 3 samples as WAV, matched to 120 BPM, key C")
    assert "has no tempo to match" in notes and names[2] in notes


def test_the_crate_and_single_downloads_share_their_renders(api: Api, song_wav: Path) -> None:
    sample = stored_song(api, song_wav)
    api.client.post(URL, json={"ids": [str(sample.id)], "bpm": 110, "format": "mp3"})
    renders = [info.key for info in api.runtime.storage.list() if "/renders/" in info.key]
    single = api.client.get(
        f"/api/v1/samples/{sample.id}/download",
        params={"bpm": 110, "format": "mp3"},
        follow_redirects=False,
    )
    assert single.headers["location"].split("?")[0] == f"/media/{renders[0]}"
    assert len(renders) == 1


def test_unknown_and_unpublished_ids_are_422_listing_them(api: Api, song_wav: Path) -> None:
    fine = stored_song(api, song_wav)
    failed = stored_song(api, song_wav, status=SampleStatus.FAILED)
    unknown = uuid.uuid4()
    response = api.client.post(URL, json={"ids": [str(fine.id), str(failed.id), str(unknown)]})
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("unknown_samples", "ids")
    assert str(failed.id) in error["message"] and str(unknown) in error["message"]
    assert str(fine.id) not in error["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ids": []}, "ids"),
        ({"ids": [str(uuid.uuid4()) for _ in range(101)]}, "ids"),
        ({"ids": ["nope"]}, "ids.0"),
        ({"ids": [str(uuid.uuid4())], "format": "flac"}, "format"),
        ({"ids": [str(uuid.uuid4())], "bars": 3}, "bars"),
        ({"ids": [str(uuid.uuid4())], "key": "H"}, "key"),
    ],
)
def test_bad_crate_requests_are_422(api: Api, body: dict[str, object], field: str) -> None:
    response = api.client.post(URL, json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field


def test_a_sample_whose_file_is_gone_is_left_out_and_said_so(api: Api, song_wav: Path) -> None:
    fine, gone = stored_song(api, song_wav), stored_song(api, song_wav)
    assert gone.wav_key is not None
    api.runtime.storage.delete(gone.wav_key)
    response = api.client.post(URL, json={"ids": [str(fine.id), str(gone.id)]})
    assert response.status_code == 200, response.text
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.namelist() == [
        f"100bpm_Aminor_{fine.creator.username}_{fine.id.hex[:8]}.wav",
        "crate.txt",
    ]
    notes = archive.read("crate.txt").decode()
    assert f"(no file): Night drive by @{gone.creator.username}" in notes
    assert f"left out: the wav of sample {gone.id} is missing" in notes
