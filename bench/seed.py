"""Seed a library of many completed samples quickly (bulk inserts), for list benchmarks."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, insert

from cratedig.models import Creator, Sample, SampleSource, SampleStatus, SampleTag

KEYS = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
TAGS = [
    "lofi",
    "trap",
    "house",
    "drill",
    "jazz",
    "soul",
    "piano",
    "guitar",
    "vocal",
    "808",
    "ambient",
    "techno",
    "dnb",
    "boombap",
    "rnb",
    "afrobeat",
    "sample",
    "loop",
    "chill",
    "dark",
]
# Titles draw from ~2,000 made-up words, so a word matches a realistic share of the library.
_SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ra",
    "te",
    "vu",
    "zen",
    "do",
    "fi",
    "sha",
    "nu",
    "bel",
    "cor",
    "dra",
    "ex",
    "gal",
    "hu",
    "jo",
    "ki",
    "lux",
    "mo",
    "nee",
    "pa",
    "qui",
    "ro",
    "sol",
    "tri",
    "um",
    "ve",
    "wo",
    "xi",
    "yo",
    "zu",
    "ae",
    "bri",
    "cha",
    "du",
    "el",
    "fro",
    "gi",
    "ha",
    "in",
    "jy",
    "ko",
    "la",
]
WORDS = [a + b for a in _SYLLABLES for b in _SYLLABLES]


def seed_library(
    engine: Engine, count: int, *, creators: int = 500, seed: int = 7, batch: int = 2000
) -> None:
    """Insert `count` completed samples with tags, spread over `creators` creators."""
    rng = random.Random(seed)
    epoch = datetime(2025, 1, 1, tzinfo=UTC)
    creator_ids = [uuid.uuid4() for _ in range(creators)]
    with engine.begin() as connection:
        connection.execute(
            insert(Creator),
            [
                {
                    "id": cid,
                    "username": f"creator{n}",
                    "nickname": f"Creator {n}",
                    "created_at": epoch,
                    "updated_at": epoch,
                }
                for n, cid in enumerate(creator_ids)
            ],
        )
    for start in range(0, count, batch):
        rows, tags = [], []
        for n in range(start, min(count, start + batch)):
            sid = uuid.uuid4()
            created = epoch + timedelta(seconds=n * 37)
            title = " ".join(rng.sample(WORDS, 3))
            rows.append(
                {
                    "id": sid,
                    "source": SampleSource.TIKTOK,
                    "source_id": str(7_000_000_000 + n),
                    "source_url": f"https://www.tiktok.com/@x/video/{7_000_000_000 + n}",
                    "title": title,
                    "description": f"{title} #{rng.choice(TAGS)}",
                    "creator_id": rng.choice(creator_ids),
                    "view_count": rng.randrange(10**7),
                    "bpm": round(rng.uniform(60, 180), 1),
                    "key": rng.choice(KEYS),
                    "scale": rng.choice(["major", "minor"]),
                    "duration_seconds": 30.0,
                    "status": SampleStatus.COMPLETED,
                    "created_at": created,
                    "updated_at": created,
                    "mp3_key": f"samples/{sid}/audio.mp3",
                    "processed_at": created,
                }
            )
            tags += [{"sample_id": sid, "tag": t} for t in rng.sample(TAGS, 3)]
        with engine.begin() as connection:
            connection.execute(insert(Sample), rows)
            connection.execute(insert(SampleTag), tags)
