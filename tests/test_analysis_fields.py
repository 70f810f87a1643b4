"""Every field the analysis computes reaches each layer: column, publish payload, re-analysis
and the sample detail (a new field forgotten in one of them fails here)."""

from __future__ import annotations

from dataclasses import fields

from cratedig.media.analysis import Analysis
from cratedig.models import Sample
from cratedig.operations.reanalysis_repository import ANALYSIS_FIELDS
from cratedig.pipeline.payloads import Analysis as PublishedAnalysis
from cratedig.samples.schemas import SampleDetail, SampleOut

COMPUTED = {field.name for field in fields(Analysis)}
RHYTHM = {"beats", "downbeats", "beats_per_bar", "loops"}


def test_every_computed_field_is_a_column_published_and_reanalysed() -> None:
    assert set(Sample.__table__.c.keys()) >= COMPUTED
    assert set(PublishedAnalysis.__annotations__) >= COMPUTED
    assert set(ANALYSIS_FIELDS) == COMPUTED


def test_the_detail_shows_every_field_and_the_listing_all_but_the_rhythm() -> None:
    assert set(SampleDetail.model_fields) >= COMPUTED
    assert RHYTHM <= COMPUTED
    assert not RHYTHM & set(SampleOut.model_fields)
    assert set(SampleOut.model_fields) >= COMPUTED - RHYTHM
