"""A pipeline wired to the fake TikTok: the helpers TikTok pipeline tests share."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from cratedig.runtime import Runtime
from cratedig.samples.service import submit_sample
from tests.fixtures.mitm_proxy import TestCA, trust_env
from tests.fixtures.tiktok_site import (
    FakePost,
    TikTokMedia,
    TikTokWorld,
    post_url,
    running_fake_tiktok,
)
from tests.pipeline.conftest import run_pipeline, running_pipeline

_ids = itertools.count(7_301_000_000_000_000_001)


@dataclass
class TikTokPipeline:
    """The fake TikTok, and a pipeline configured to reach it through the proxy."""

    world: TikTokWorld
    runtime: Runtime

    def submit(self, url: str) -> uuid.UUID:
        """Submit a URL as the API does; the sample's id."""
        with self.runtime.transaction() as session:
            sample, _ = submit_sample(session, self.runtime.settings, url)
            return sample.id

    def process(self, post: FakePost) -> uuid.UUID:
        """Publish a post on the fake site, submit its URL and run the pipeline."""
        self.world.site.add(post)
        sample_id = self.submit(post_url(post))
        run_pipeline(sample_id)
        return sample_id


def tiktok_pipeline(
    database: str, tmp_path: Path, media: TikTokMedia, ca: TestCA, **overrides: object
) -> Iterator[TikTokPipeline]:
    """Trust the test CA, start the fake TikTok and a pipeline that talks to it."""
    with pytest.MonkeyPatch.context() as env:
        for name, value in trust_env(ca).items():
            env.setenv(name, value)
        with running_fake_tiktok(media, ca) as world:
            settings = {
                "tiktok_proxy": world.proxy.url,
                "tiktok_rps": 50.0,
                "tiktok_timeout_seconds": 5.0,
                "fetch_attempts": 3,
                "fetch_retry_seconds": 0.05,
                **overrides,
            }
            with running_pipeline(database, tmp_path, **settings) as runtime:
                yield TikTokPipeline(world, runtime)


def new_post(**kwargs: object) -> FakePost:
    """A post with a fresh id."""
    return FakePost(str(next(_ids)), **kwargs)  # type: ignore[arg-type]
