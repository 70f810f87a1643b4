"""SampleRepository.list_samples: filters, full-text search, sort orders, keyset pages."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
from sqlalchemy.orm import Session

from cratedig.models import Sample, SampleStatus
from cratedig.samples.query import InvalidCursorError, SampleFilters, SampleSort
from cratedig.samples.repository import SampleRepository
from tests.fixtures.factories import make_creator, make_sample

HEX = "0123456789abcdef0123456789abcdef"
NASTY = ['"', '""', "AND", "OR NOT", "*", ":", "a:*", "'", "(", ")", "^", "-", "NEAR(", "&|!", "\\"]


@pytest.fixture
def repo(session: Session) -> SampleRepository:
    return SampleRepository(session)


def _b64(payload: str) -> str:
    return base64.urlsafe_b64encode(payload.encode()).decode()


def _cursor(*parts: object) -> str:
    return _b64(json.dumps(list(parts)))


def ids(samples: list[Sample]) -> list[uuid.UUID]:
    return [sample.id for sample in samples]


def listed(repo: SampleRepository, **filters: object) -> set[uuid.UUID]:
    page = repo.list_samples(SampleFilters(**filters), limit=100)  # type: ignore[arg-type]
    return set(ids(page.items))


def walk(repo: SampleRepository, sort: SampleSort, limit: int, **filters: object) -> list[Sample]:
    """Every page of a listing, following next_cursor to the end."""
    seen: list[Sample] = []
    cursor = None
    while True:
        page = repo.list_samples(SampleFilters(**filters), sort, cursor, limit)  # type: ignore[arg-type]
        seen += page.items
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


class TestFilters:
    def test_status_defaults_to_completed(self, repo: SampleRepository) -> None:
        done = repo.add(make_sample())
        pending = repo.add(make_sample(status=SampleStatus.PENDING))
        assert listed(repo) == {done.id}
        assert listed(repo, status=SampleStatus.PENDING) == {pending.id}
        assert listed(repo, status=None) == {done.id, pending.id}

    def test_bpm_range_is_inclusive(self, repo: SampleRepository) -> None:
        slow, mid, fast = (repo.add(make_sample(bpm=bpm)) for bpm in (80.0, 100.0, 140.0))
        repo.add(make_sample(bpm=None))
        assert listed(repo, bpm_min=100) == {mid.id, fast.id}
        assert listed(repo, bpm_max=100) == {slow.id, mid.id}
        assert listed(repo, bpm_min=90, bpm_max=139.9) == {mid.id}

    def test_tempo_multiples_match_half_and_double_time(self, repo: SampleRepository) -> None:
        half, inside, double = (repo.add(make_sample(bpm=b)) for b in (70.0, 140.0, 280.0))
        other = repo.add(make_sample(bpm=100.0))  # 50 / 200 in half/double time: out
        repo.add(make_sample(bpm=None))
        assert listed(repo, bpm_min=135, bpm_max=145) == {inside.id}
        found = listed(repo, bpm_min=135, bpm_max=145, tempo_multiples=True)
        assert found == {half.id, inside.id, double.id}
        # One bound only: at least 135 in any reading is at least 67.5 as stored.
        fast = {half.id, inside.id, double.id, other.id}
        assert listed(repo, bpm_min=135, tempo_multiples=True) == fast
        # At most 60 in half time is at most 120 as stored.
        assert listed(repo, bpm_max=60, tempo_multiples=True) == {half.id, other.id}
        assert listed(repo, tempo_multiples=True) == listed(repo)  # no range: no filter

    def test_key_and_scale(self, repo: SampleRepository) -> None:
        a_minor = repo.add(make_sample(key="A", scale="minor"))
        a_major = repo.add(make_sample(key="A", scale="major"))
        c_minor = repo.add(make_sample(key="C", scale="minor"))
        assert listed(repo, key="A") == {a_minor.id, a_major.id}
        assert listed(repo, scale="minor") == {a_minor.id, c_minor.id}
        assert listed(repo, key="A", scale="major") == {a_major.id}

    def test_tags_match_any(self, repo: SampleRepository) -> None:
        lofi = repo.add(make_sample(tags=["lofi", "chill"]))
        trap = repo.add(make_sample(tags=["trap"]))
        repo.add(make_sample(tags=["jazz"]))
        assert listed(repo, tags=("lofi", "#TRAP", "nope")) == {lofi.id, trap.id}
        assert listed(repo, tags=("chill",)) == {lofi.id}
        assert len(listed(repo, tags=("#",))) == 3  # nothing left to filter by

    def test_creator_by_username(self, repo: SampleRepository) -> None:
        mine = repo.add(make_sample(creator=make_creator(username="beatmaker")))
        repo.add(make_sample(creator=make_creator(username="other")))
        repo.add(make_sample())
        assert listed(repo, creator="@BeatMaker") == {mine.id}
        assert listed(repo, creator="nobody") == set()

    def test_filters_combine(self, repo: SampleRepository) -> None:
        hit = repo.add(make_sample(bpm=90.0, key="D", tags=["lofi"], title="rain"))
        repo.add(make_sample(bpm=90.0, key="E", tags=["lofi"], title="rain"))
        repo.add(make_sample(bpm=150.0, key="D", tags=["lofi"], title="rain"))
        found = listed(repo, bpm_max=100, key="D", tags=("lofi",), q="rain")
        assert found == {hit.id}
        assert repo.count(SampleFilters(tags=("lofi",))) == 3


class TestFullText:
    @pytest.fixture
    def library(self, repo: SampleRepository) -> dict[str, Sample]:
        creator = make_creator(username="dj_kofi", nickname="Kofi Beats")
        return {
            "title": repo.add(make_sample(title="Dusty Vinyl Loop")),
            "description": repo.add(make_sample(description="warm rhodes chords #jazzy")),
            "tags": repo.add(make_sample(tags=["boombap"])),
            "creator": repo.add(make_sample(creator=creator)),
            "sound": repo.add(make_sample(sound_title="Café del Mar", sound_artist="Énergie")),
        }

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("vinyl", "title"),
            ("DUSTY loop", "title"),
            ("rhodes", "description"),
            ("jazzy", "description"),
            ("#boombap", "tags"),
            ("kofi", "creator"),
            ("Kofi Beats", "creator"),
            ("del mar", "sound"),
            ("cafe", "sound"),
            ("vin", "title"),  # prefix of the last word typed
        ],
    )
    def test_finds_each_field(
        self, repo: SampleRepository, library: dict[str, Sample], query: str, expected: str
    ) -> None:
        assert listed(repo, q=query) == {library[expected].id}

    def test_all_words_must_match(self, repo: SampleRepository, library: dict[str, Sample]) -> None:
        assert listed(repo, q="dusty rhodes") == set()

    def test_edits_reindex(self, repo: SampleRepository, library: dict[str, Sample]) -> None:
        sample = library["title"]
        sample.title = "Crunchy Tape"
        repo.set_tags(sample, ["cassette"])
        assert library["creator"].creator is not None
        library["creator"].creator.nickname = "Renamed Person"
        repo.session.flush()
        assert listed(repo, q="vinyl") == set()
        assert listed(repo, q="crunchy") == {sample.id}
        assert listed(repo, q="cassette") == {sample.id}
        assert listed(repo, q="renamed person") == {library["creator"].id}
        assert listed(repo, q="kofi beats") == set()

    @pytest.mark.parametrize("query", NASTY)
    def test_operator_characters_are_harmless(
        self, repo: SampleRepository, library: dict[str, Sample], query: str
    ) -> None:
        everything = listed(repo)
        result = listed(repo, q=query)
        assert result <= everything

    def test_operator_words_are_plain_words(self, repo: SampleRepository) -> None:
        hit = repo.add(make_sample(title="rock AND roll NOT dead"))
        repo.add(make_sample(title="something else"))
        assert listed(repo, q="AND") == {hit.id}
        assert listed(repo, q='"not" dead*') == {hit.id}
        assert listed(repo, q="roll:* & (dead | x)") == set()


class TestSorting:
    @pytest.fixture
    def three(self, repo: SampleRepository) -> list[Sample]:
        return [
            repo.add(make_sample(bpm=100.0, view_count=50)),
            repo.add(make_sample(bpm=80.0, view_count=500)),
            repo.add(make_sample(bpm=None, view_count=None)),
        ]

    @pytest.mark.parametrize(
        ("sort", "order"),
        [
            (SampleSort.NEWEST, [2, 1, 0]),
            (SampleSort.OLDEST, [0, 1, 2]),
            (SampleSort.POPULAR, [1, 0, 2]),
            (SampleSort.BPM_ASC, [1, 0, 2]),
            (SampleSort.BPM_DESC, [0, 1, 2]),
        ],
    )
    def test_orders_with_nulls_last(
        self, repo: SampleRepository, three: list[Sample], sort: SampleSort, order: list[int]
    ) -> None:
        page = repo.list_samples(sort=sort)
        assert ids(page.items) == [three[i].id for i in order]
        assert page.next_cursor is None


class TestPagination:
    @pytest.mark.parametrize("sort", list(SampleSort))
    def test_pages_cover_everything_once_despite_ties(
        self, repo: SampleRepository, sort: SampleSort
    ) -> None:
        same_time = make_sample().created_at
        for n in range(13):
            # Few distinct values: most rows tie on the sort key and on created_at.
            bpm = None if n % 5 == 0 else 90.0 + n % 3
            views = None if n % 4 == 0 else 10 * (n % 2)
            repo.add(make_sample(bpm=bpm, view_count=views, created_at=same_time))
        everything = repo.list_samples(sort=sort, limit=100).items
        for limit in (1, 2, 5):
            assert ids(walk(repo, sort, limit)) == ids(everything)

    @pytest.mark.parametrize("sort", list(SampleSort))
    def test_tempo_multiples_pages_cover_every_match_once(
        self, repo: SampleRepository, sort: SampleSort
    ) -> None:
        same_time = make_sample().created_at
        wanted = set()
        for n in range(14):
            bpm = (None, 62.0, 65.0, 124.0, 130.0, 250.0, 99.0)[n % 7]
            sample = repo.add(make_sample(bpm=bpm, view_count=n % 3, created_at=same_time))
            if bpm is not None and bpm != 99.0:
                wanted.add(sample.id)
        filters = {"bpm_min": 120.0, "bpm_max": 130.0, "tempo_multiples": True}
        everything = repo.list_samples(SampleFilters(**filters), sort, limit=100).items  # type: ignore[arg-type]
        assert set(ids(everything)) == wanted and len(everything) == len(wanted)
        for limit in (1, 3):
            assert ids(walk(repo, sort, limit, **filters)) == ids(everything)

    def test_cursor_is_stable_under_inserts(self, repo: SampleRepository) -> None:
        first = [repo.add(make_sample()) for _ in range(4)]
        page = repo.list_samples(sort=SampleSort.NEWEST, limit=2)
        assert ids(page.items) == [first[3].id, first[2].id]
        repo.add(make_sample())  # newer: belongs before the cursor
        rest = repo.list_samples(sort=SampleSort.NEWEST, cursor=page.next_cursor, limit=2)
        assert ids(rest.items) == [first[1].id, first[0].id]
        assert rest.next_cursor is None

    def test_pagination_with_filters(self, repo: SampleRepository) -> None:
        wanted = {repo.add(make_sample(tags=["lofi"], title="rain")).id for _ in range(5)}
        repo.add(make_sample(tags=["trap"], title="rain"))
        found = walk(repo, SampleSort.POPULAR, 2, tags=("lofi",), q="rain")
        assert {s.id for s in found} == wanted and len(found) == 5

    @pytest.mark.parametrize("limit", [0, -1, 101])
    def test_limit_out_of_bounds(self, repo: SampleRepository, limit: int) -> None:
        with pytest.raises(ValueError, match="limit"):
            repo.list_samples(limit=limit)

    def test_limit_bounds_are_allowed(self, repo: SampleRepository) -> None:
        for _ in range(3):
            repo.add(make_sample())
        assert len(repo.list_samples(limit=1).items) == 1
        assert len(repo.list_samples(limit=100).items) == 3

    def test_cursor_from_another_sort_is_refused(self, repo: SampleRepository) -> None:
        for _ in range(3):
            repo.add(make_sample())
        cursor = repo.list_samples(sort=SampleSort.NEWEST, limit=1).next_cursor
        assert cursor is not None
        with pytest.raises(InvalidCursorError):
            repo.list_samples(sort=SampleSort.BPM_ASC, cursor=cursor)

    @pytest.mark.parametrize(
        ("sort", "cursor"),
        [
            (SampleSort.NEWEST, "garbage"),
            (SampleSort.NEWEST, "!!!"),
            (SampleSort.NEWEST, _b64("[1,2]")),
            (SampleSort.NEWEST, _b64('{"a": 1}')),
            (SampleSort.NEWEST, _cursor("newest", "yesterday", HEX)),
            (SampleSort.NEWEST, _cursor("newest", "2026-01-01T00:00:00+00:00", "00")),
            (SampleSort.NEWEST, _cursor("newest", "2026-01-01T00:00:00+00:00", 5)),
            (SampleSort.NEWEST, _cursor("newest", "2026-01-01T00:00:00", HEX)),
            (SampleSort.NEWEST, _cursor("newest", 12, HEX)),
            (SampleSort.BPM_ASC, _cursor("bpm_asc", "fast", HEX)),
            (SampleSort.BPM_ASC, _cursor("bpm_asc", True, HEX)),
        ],
    )
    def test_malformed_cursor_is_refused(
        self, repo: SampleRepository, sort: SampleSort, cursor: str
    ) -> None:
        with pytest.raises(InvalidCursorError):
            repo.list_samples(sort=sort, cursor=cursor)
