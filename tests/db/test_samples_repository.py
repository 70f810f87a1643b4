"""SampleRepository: lookups, dedupe, tags, step records, downloads, deletes, counts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cratedig.models import SampleSource, SampleStatus, SampleStep, SampleTag
from cratedig.samples.query import SampleFilters
from cratedig.samples.repository import SampleRepository, TagCount
from tests.fixtures.factories import make_creator, make_sample

T0 = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def repo(session: Session) -> SampleRepository:
    return SampleRepository(session)


class TestLookups:
    def test_add_then_get_and_get_by_source(self, repo: SampleRepository) -> None:
        creator = make_creator()
        sample = repo.add(make_sample(source_id="111", creator=creator, tags=["Lofi"]))
        repo.session.expire_all()
        loaded = repo.get(sample.id)
        assert loaded is not None
        assert loaded.source_id == "111"
        assert loaded.creator is not None and loaded.creator.username == creator.username
        assert loaded.tags == ["lofi"]
        assert repo.get_by_source(SampleSource.TIKTOK, "111") is loaded
        assert repo.get_by_source(SampleSource.URL, "111") is None
        assert repo.get(uuid.uuid4()) is None

    def test_defaults_of_a_new_sample(self, repo: SampleRepository) -> None:
        sample = repo.add(make_sample(status=SampleStatus.PENDING))
        assert (sample.generation, sample.attempts, sample.download_count) == (0, 0, 0)
        assert sample.created_at.tzinfo == UTC
        assert sample.updated_at >= sample.created_at

    def test_same_source_id_twice_is_refused(self, repo: SampleRepository) -> None:
        repo.add(make_sample(source_id="222"))
        with pytest.raises(IntegrityError):
            repo.add(make_sample(source_id="222"))

    def test_same_video_id_from_another_source_is_allowed(self, repo: SampleRepository) -> None:
        repo.add(make_sample(source_id="333"))
        repo.add(make_sample(source_id="333", source=SampleSource.URL))
        assert repo.count(filters=None) == 2

    def test_get_or_add_returns_the_existing_sample(self, repo: SampleRepository) -> None:
        first, created = repo.get_or_add(make_sample(source_id="444"))
        again, created_again = repo.get_or_add(make_sample(source_id="444"))
        assert created and not created_again
        assert again.id == first.id


class TestTags:
    def test_set_tags_normalizes_and_replaces(self, repo: SampleRepository) -> None:
        sample = repo.add(make_sample(tags=["#LoFi", " drums ", "lofi", "", "#"]))
        assert sample.tags == ["drums", "lofi"]
        repo.set_tags(sample, ["drums", "Trap"])
        repo.session.expire_all()
        assert repo.get(sample.id) is not None
        assert sample.tags == ["drums", "trap"]
        rows = repo.session.scalars(select(SampleTag.tag).order_by(SampleTag.tag)).all()
        assert rows == ["drums", "trap"]

    def test_popular_tags_count_completed_samples_only(self, repo: SampleRepository) -> None:
        repo.add(make_sample(tags=["lofi", "drums"]))
        repo.add(make_sample(tags=["lofi", "vocal"]))
        repo.add(make_sample(tags=["lofi", "drums"]))
        repo.add(make_sample(tags=["vocal"], status=SampleStatus.FAILED))
        assert repo.popular_tags() == [
            TagCount("lofi", 3),
            TagCount("drums", 2),
            TagCount("vocal", 1),
        ]
        assert repo.popular_tags(limit=1) == [TagCount("lofi", 3)]
        assert TagCount("vocal", 2) in repo.popular_tags(status=None)


class TestSteps:
    def test_start_finish_retry_and_generations(self, repo: SampleRepository) -> None:
        sample = repo.add(make_sample())
        repo.record_step(sample.id, 0, "fetch", 0, started_at=T0)
        repo.record_step(sample.id, 0, "fetch", 0, finished_at=T0 + timedelta(seconds=2))
        repo.record_step(sample.id, 0, "audio", 2, started_at=T0 + timedelta(seconds=2))
        repo.record_step(sample.id, 0, "audio", 2, error="ffmpeg failed")
        repo.record_step(sample.id, 0, "audio", 2, started_at=T0 + timedelta(seconds=5))
        repo.record_step(sample.id, 0, "store_media", 1, started_at=T0, finished_at=T0)
        repo.record_step(sample.id, 1, "fetch", 0, started_at=T0 + timedelta(hours=1))
        repo.session.expire_all()

        steps = repo.steps_for(sample.id, 0)
        assert [s.step for s in steps] == ["fetch", "store_media", "audio"]
        fetch, _, audio = steps
        assert fetch.duration_seconds == 2.0 and fetch.attempts == 1
        assert fetch.started_at == T0
        assert audio.attempts == 2
        assert audio.error is None and audio.finished_at is None
        assert audio.duration_seconds is None
        assert [s.step for s in repo.steps_for(sample.id, 1)] == ["fetch"]
        assert repo.steps_for(uuid.uuid4(), 0) == []


class TestDownloads:
    def test_increment_is_atomic_and_keeps_updated_at(self, repo: SampleRepository) -> None:
        sample = repo.add(make_sample())
        updated_at = sample.updated_at
        assert repo.increment_downloads(sample.id)
        assert repo.increment_downloads(sample.id)
        assert sample.download_count == 2
        repo.session.expire_all()
        assert sample.updated_at == updated_at
        assert not repo.increment_downloads(uuid.uuid4())


class TestDelete:
    def test_delete_cascades_to_tags_steps_and_search(self, repo: SampleRepository) -> None:
        kept = repo.add(make_sample(title="kept groove", tags=["lofi"]))
        gone = repo.add(make_sample(title="gone groove", tags=["lofi", "trap"]))
        repo.record_step(gone.id, 0, "fetch", 0, started_at=T0)
        repo.delete(gone)
        repo.session.expire_all()

        assert repo.get(gone.id) is None
        session = repo.session
        assert session.scalar(select(func.count()).select_from(SampleStep)) == 0
        assert session.scalars(select(SampleTag.sample_id)).all() == [kept.id]
        assert _search_rows(session) == 1
        assert [s.id for s in repo.list_samples(SampleFilters(q="groove")).items] == [kept.id]

    def test_deleting_a_creator_keeps_its_samples(self, repo: SampleRepository) -> None:
        creator = make_creator(username="leaving")
        sample = repo.add(make_sample(creator=creator, title="orphan beat"))
        repo.session.delete(creator)
        repo.session.flush()
        repo.session.expire_all()
        loaded = repo.get(sample.id)
        assert loaded is not None and loaded.creator_id is None
        assert [s.id for s in repo.list_samples(SampleFilters(q="orphan")).items] == [sample.id]
        assert repo.list_samples(SampleFilters(q="leaving")).items == []


class TestCounts:
    def test_count_by_status(self, repo: SampleRepository) -> None:
        repo.add(make_sample(status=SampleStatus.PENDING))
        repo.add(make_sample(status=SampleStatus.PENDING))
        repo.add(make_sample(status=SampleStatus.FAILED))
        counts = {status: repo.count(SampleFilters(status=status)) for status in SampleStatus}
        assert counts == {
            SampleStatus.PENDING: 2,
            SampleStatus.PROCESSING: 0,
            SampleStatus.COMPLETED: 0,
            SampleStatus.FAILED: 1,
        }


def _search_rows(session: Session) -> int:
    dialect = session.get_bind().dialect.name
    table = "samples_fts" if dialect == "sqlite" else "sample_search"
    return int(session.scalar(text(f"SELECT count(*) FROM {table}")) or 0)
