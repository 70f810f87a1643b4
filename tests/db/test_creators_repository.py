"""CreatorRepository: lookups, upsert by handle, a creator's samples."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cratedig.creators.repository import CreatorRepository
from cratedig.models import SampleStatus
from cratedig.samples.query import SampleFilters, SampleSort
from cratedig.samples.repository import SampleRepository
from tests.fixtures.factories import make_creator, make_sample


@pytest.fixture
def repo(session: Session) -> CreatorRepository:
    return CreatorRepository(session)


class TestLookups:
    def test_get_by_id_username_and_source_id(self, repo: CreatorRepository) -> None:
        creator = make_creator(username="lofi.girl", source_id="6812345")
        repo.session.add(creator)
        repo.session.flush()
        assert repo.get(creator.id) is creator
        assert repo.get_by_username("@Lofi.Girl ") is creator
        assert repo.get_by_source_id("6812345") is creator
        assert repo.get(uuid.uuid4()) is None
        assert repo.get_by_username("someone_else") is None

    def test_username_is_unique(self, repo: CreatorRepository) -> None:
        repo.session.add(make_creator(username="twin"))
        repo.session.flush()
        repo.session.add(make_creator(username="twin"))
        with pytest.raises(IntegrityError):
            repo.session.flush()


class TestUpsert:
    def test_creates_then_updates_without_clobbering(self, repo: CreatorRepository) -> None:
        fetched = datetime(2026, 6, 1, tzinfo=UTC)
        created = repo.upsert_by_username(
            "@DrumGuy", nickname="Drum Guy", follower_count=10, source_id="42"
        )
        assert created.username == "drumguy" and created.verified is False
        updated = repo.upsert_by_username(
            "drumguy",
            nickname=None,
            follower_count=20,
            verified=True,
            avatar_thumb_key=f"creators/{created.id}/avatar_thumb.jpg",
            last_fetched_at=fetched,
        )
        assert updated.id == created.id
        repo.session.expire_all()
        loaded = repo.get(created.id)
        assert loaded is not None
        assert (loaded.nickname, loaded.follower_count, loaded.verified) == ("Drum Guy", 20, True)
        assert loaded.source_id == "42" and loaded.last_fetched_at == fetched
        assert loaded.avatar_thumb_key == f"creators/{created.id}/avatar_thumb.jpg"

    def test_refuses_unknown_fields_and_empty_handles(self, repo: CreatorRepository) -> None:
        with pytest.raises(TypeError, match="followers"):
            repo.upsert_by_username("x", followers=1)
        with pytest.raises(TypeError, match="id"):
            repo.upsert_by_username("x", id=uuid.uuid4())
        with pytest.raises(ValueError, match="empty"):
            repo.upsert_by_username(" @ ")


class TestSamplesOf:
    def test_pages_of_a_creators_samples(self, repo: CreatorRepository) -> None:
        creator = repo.upsert_by_username("maker")
        samples = SampleRepository(repo.session)
        mine = [samples.add(make_sample(creator=creator, view_count=n)) for n in range(5)]
        samples.add(make_sample(creator=creator, status=SampleStatus.FAILED))
        samples.add(make_sample(creator=make_creator()))

        first = repo.samples_of(creator, sort=SampleSort.POPULAR, limit=3)
        rest = repo.samples_of(creator, sort=SampleSort.POPULAR, cursor=first.next_cursor)
        assert [s.id for s in first.items + rest.items] == [s.id for s in reversed(mine)]
        assert rest.next_cursor is None
        assert len(repo.samples_of(creator, status=None, limit=10).items) == 6

    def test_renaming_a_creator_reaches_search(self, repo: CreatorRepository) -> None:
        creator = repo.upsert_by_username("oldname")
        samples = SampleRepository(repo.session)
        sample = samples.add(make_sample(creator=creator))
        repo.upsert_by_username("oldname", nickname="Brand New")
        found = samples.list_samples(SampleFilters(q="brand new")).items
        assert [s.id for s in found] == [sample.id]
