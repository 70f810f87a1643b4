"""The artifact table agrees with the model's columns, the API's fields and the key layout."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import BigInteger, String

from cratedig import artifacts
from cratedig.artifacts import CREATOR_AVATARS, SAMPLE_ARTIFACTS, is_external
from cratedig.creators.schemas import CreatorOut
from cratedig.models import Creator, Sample
from cratedig.samples.schemas import SampleOut
from cratedig.sources.tiktok_metadata import AVATAR_FIELDS
from cratedig.storage import content_type_for
from cratedig.storage.keys import avatar_key, sample_key


def _columns(model: type[Sample] | type[Creator], pattern: str) -> set[str]:
    return {column.key for column in model.__table__.columns if re.fullmatch(pattern, column.key)}


class TestSampleArtifacts:
    def test_every_artifact_column_of_the_model_is_in_the_table(self) -> None:
        musical = {"analysed_key", "corrected_key"}  # a sample's key in music, not an object's
        assert _columns(Sample, r".+_key") - musical == {a.column for a in SAMPLE_ARTIFACTS}
        assert _columns(Sample, r".+_bytes") == {a.bytes_column for a in SAMPLE_ARTIFACTS}

    def test_column_types(self) -> None:
        table = Sample.__table__.columns
        for artifact in SAMPLE_ARTIFACTS:
            assert isinstance(table[artifact.column].type, String), artifact
            assert isinstance(table[str(artifact.bytes_column)].type, BigInteger), artifact

    def test_the_api_serves_a_url_and_a_size_per_artifact(self) -> None:
        media_urls = {
            name
            for name in SampleOut.model_fields
            if name.endswith("_url") and name != "source_url"
        } | {name for name in SampleOut.model_fields if name.startswith("audio_url_")}
        assert media_urls == {a.url_field for a in SAMPLE_ARTIFACTS}
        assert {str(a.bytes_column) for a in SAMPLE_ARTIFACTS} <= set(SampleOut.model_fields)

    def test_names_and_files_are_unique_and_keys_valid(self) -> None:
        assert len({a.name for a in SAMPLE_ARTIFACTS}) == len(SAMPLE_ARTIFACTS)
        assert len({a.file for a in SAMPLE_ARTIFACTS}) == len(SAMPLE_ARTIFACTS)
        for artifact in SAMPLE_ARTIFACTS:
            assert sample_key(7, artifact.file) == f"samples/7/{artifact.file}"
            assert content_type_for(artifact.file) == artifact.content_type
            assert artifacts.sample_artifact(artifact.name) is artifact

    def test_the_folder_artifact_lives_in_its_folder(self) -> None:
        folders = [a for a in SAMPLE_ARTIFACTS if a.folder is not None]
        assert [a.name for a in folders] == ["hls"]
        assert all(a.file.startswith(f"{a.folder}/") for a in folders)

    def test_store_and_read_back(self) -> None:
        sample = Sample()
        artifacts.MP3.store(sample, "samples/1/audio.mp3", 1234)
        assert (sample.mp3_key, sample.mp3_bytes) == ("samples/1/audio.mp3", 1234)
        assert artifacts.MP3.stored(sample) == "samples/1/audio.mp3"
        assert artifacts.WAV.stored(sample) is None


class TestCreatorAvatars:
    def test_every_avatar_column_of_the_model_is_in_the_table(self) -> None:
        assert _columns(Creator, r"avatar_.+_key") == {a.column for a in CREATOR_AVATARS}
        assert all(a.bytes_column is None for a in CREATOR_AVATARS)

    def test_the_api_serves_each_avatar(self) -> None:
        fields = {name for name in CreatorOut.model_fields if name.startswith("avatar_")}
        assert fields == {a.url_field for a in CREATOR_AVATARS}

    def test_sizes_are_tiktoks(self) -> None:
        assert [a.name for a in CREATOR_AVATARS] == list(AVATAR_FIELDS)

    def test_keys(self) -> None:
        for avatar in CREATOR_AVATARS:
            assert (
                avatar_key(3, avatar) == avatar_key(3, avatar.name) == f"creators/3/{avatar.file}"
            )
            assert content_type_for(avatar.file) == avatar.content_type
        with pytest.raises(ValueError, match="huge"):
            artifacts.avatar("huge")


def test_is_external() -> None:
    assert is_external("https://p16.tiktokcdn.com/a.jpg") and is_external("http://x/y")
    assert not is_external("samples/1/audio.mp3") and not is_external(None)
