"""SQLAlchemy models: Sample, Creator, their tags and per-step timings (no I/O here)."""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    ColumnElement,
    Dialect,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    literal_column,
)
from sqlalchemy import DateTime as _DateTime
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

# Deterministic constraint names, so migrations can refer to them on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always stored and returned as timezone-aware UTC."""

    impl = _DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: use timezone-aware UTC")
        value = value.astimezone(UTC)
        # SQLite has no time zones: store naive UTC so text ordering is time ordering.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class SampleSource(enum.StrEnum):
    """Where a sample came from."""

    TIKTOK = "tiktok"
    URL = "url"


class SampleStatus(enum.StrEnum):
    """Where a sample is in its processing."""

    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    # VARCHAR + CHECK on both databases: adding a value later is a plain migration.
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [member.value for member in members],
    )


class Base(DeclarativeBase):
    """Declarative base with the shared naming convention and UTC timestamps."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class TimestampMixin:
    """created_at / updated_at, set by the application in UTC."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Creator(TimestampMixin, Base):
    """A video's author, with profile data and re-hosted avatars."""

    __tablename__ = "creators"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    source_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    sec_uid: Mapped[str | None] = mapped_column(String(255))
    username: Mapped[str] = mapped_column(String(128), unique=True)
    nickname: Mapped[str | None] = mapped_column(Text)
    signature: Mapped[str | None] = mapped_column(Text)
    verified: Mapped[bool] = mapped_column(default=False, server_default=false())
    follower_count: Mapped[int | None] = mapped_column(BigInteger)
    following_count: Mapped[int | None] = mapped_column(BigInteger)
    heart_count: Mapped[int | None] = mapped_column(BigInteger)
    video_count: Mapped[int | None] = mapped_column(BigInteger)
    # cratedig.artifacts.CREATOR_AVATARS names these (a test checks).
    avatar_thumb_key: Mapped[str | None] = mapped_column(String(512))
    avatar_medium_key: Mapped[str | None] = mapped_column(String(512))
    avatar_large_key: Mapped[str | None] = mapped_column(String(512))
    last_fetched_at: Mapped[datetime | None]

    samples: Mapped[list[Sample]] = relationship(back_populates="creator", passive_deletes=True)

    def __repr__(self) -> str:
        return f"Creator(id={self.id}, username={self.username!r})"


class SampleTag(Base):
    """One tag of one sample; the table the tag filter and popular tags query."""

    __tablename__ = "sample_tags"

    sample_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("samples.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(100), primary_key=True, index=True)


class SampleStep(Base):
    """When one pipeline step of one generation of a sample started and finished."""

    __tablename__ = "sample_steps"

    sample_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("samples.id", ondelete="CASCADE"), primary_key=True
    )
    generation: Mapped[int] = mapped_column(primary_key=True)
    step: Mapped[str] = mapped_column(String(64), primary_key=True)
    step_index: Mapped[int]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    error: Mapped[str | None] = mapped_column(Text)

    @property
    def duration_seconds(self) -> float | None:
        """How long the step took, if it finished."""
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class Sample(TimestampMixin, Base):
    """One video turned into a sample: metadata, analysis, artifacts and processing state."""

    __tablename__ = "samples"
    __table_args__ = (
        UniqueConstraint("source", "source_id"),
        Index("ix_samples_status_created_at", "status", "created_at", "id"),
        Index("ix_samples_status_bpm", "status", "bpm", "id"),
        Index("ix_samples_key_scale", "key", "scale"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    source: Mapped[SampleSource] = mapped_column(_enum(SampleSource, "sample_source"))
    source_url: Mapped[str] = mapped_column(Text)
    source_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    creator_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("creators.id", ondelete="SET NULL"), index=True
    )
    view_count: Mapped[int | None] = mapped_column(BigInteger)
    like_count: Mapped[int | None] = mapped_column(BigInteger)
    share_count: Mapped[int | None] = mapped_column(BigInteger)
    comment_count: Mapped[int | None] = mapped_column(BigInteger)
    save_count: Mapped[int | None] = mapped_column(BigInteger)
    posted_at: Mapped[datetime | None]
    sound_title: Mapped[str | None] = mapped_column(Text)
    sound_artist: Mapped[str | None] = mapped_column(Text)
    sound_album: Mapped[str | None] = mapped_column(Text)
    sound_is_original: Mapped[bool | None]
    region: Mapped[str | None] = mapped_column(String(8))
    # "video", or "photo" for a slideshow post whose sound is the sample.
    post_type: Mapped[str | None] = mapped_column(String(16))
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    bpm: Mapped[float | None] = mapped_column(Float)
    bpm_confidence: Mapped[float | None] = mapped_column(Float)
    key: Mapped[str | None] = mapped_column(String(8))
    scale: Mapped[str | None] = mapped_column(String(16))
    key_confidence: Mapped[float | None] = mapped_column(Float)
    # `bpm`, `key` and `scale` are what is shown, filtered and sorted on: an admin's
    # correction when there is one, else the analysis (samples.corrections keeps them so).
    # The analysis' own reading and the correction are kept beside them (NULL: none).
    analysed_bpm: Mapped[float | None] = mapped_column(Float)
    analysed_key: Mapped[str | None] = mapped_column(String(8))
    analysed_scale: Mapped[str | None] = mapped_column(String(16))
    corrected_bpm: Mapped[float | None] = mapped_column(Float)
    corrected_key: Mapped[str | None] = mapped_column(String(8))
    corrected_scale: Mapped[str | None] = mapped_column(String(16))
    # The readings the analysis considered, best first: [{bpm, confidence}] and
    # [{key, scale, confidence}]; NULL for a sample analysed before they were kept.
    bpm_candidates: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    key_candidates: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    loudness_lufs: Mapped[float | None] = mapped_column(Float)

    # The artifact columns: cratedig.artifacts.SAMPLE_ARTIFACTS names them (a test checks).
    video_key: Mapped[str | None] = mapped_column(String(512))
    video_bytes: Mapped[int | None] = mapped_column(BigInteger)
    thumbnail_key: Mapped[str | None] = mapped_column(String(512))
    thumbnail_bytes: Mapped[int | None] = mapped_column(BigInteger)
    cover_key: Mapped[str | None] = mapped_column(String(512))
    cover_bytes: Mapped[int | None] = mapped_column(BigInteger)
    origin_cover_key: Mapped[str | None] = mapped_column(String(512))
    origin_cover_bytes: Mapped[int | None] = mapped_column(BigInteger)
    wav_key: Mapped[str | None] = mapped_column(String(512))
    wav_bytes: Mapped[int | None] = mapped_column(BigInteger)
    mp3_key: Mapped[str | None] = mapped_column(String(512))
    mp3_bytes: Mapped[int | None] = mapped_column(BigInteger)
    # The playlist's key; the bytes are the playlist plus all its segments.
    hls_key: Mapped[str | None] = mapped_column(String(512))
    hls_bytes: Mapped[int | None] = mapped_column(BigInteger)
    waveform_png_key: Mapped[str | None] = mapped_column(String(512))
    waveform_png_bytes: Mapped[int | None] = mapped_column(BigInteger)
    waveform_json_key: Mapped[str | None] = mapped_column(String(512))
    waveform_json_bytes: Mapped[int | None] = mapped_column(BigInteger)

    status: Mapped[SampleStatus] = mapped_column(
        _enum(SampleStatus, "sample_status"),
        default=SampleStatus.PENDING,
        server_default=SampleStatus.PENDING.value,
    )
    step: Mapped[str | None] = mapped_column(String(64))
    step_index: Mapped[int | None] = mapped_column(Integer)
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    generation: Mapped[int] = mapped_column(default=0, server_default="0")
    download_count: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    processed_at: Mapped[datetime | None]

    creator: Mapped[Creator | None] = relationship(back_populates="samples")
    tag_rows: Mapped[list[SampleTag]] = relationship(
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by=SampleTag.tag,
        lazy="selectin",
    )
    steps: Mapped[list[SampleStep]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, lazy="raise_on_sql"
    )

    @property
    def tags(self) -> list[str]:
        """The sample's tags, sorted."""
        return sorted(row.tag for row in self.tag_rows)

    @tags.setter
    def tags(self, values: list[str]) -> None:
        wanted = normalize_tags(values)
        self.tag_rows = [row for row in self.tag_rows if row.tag in wanted] + [
            SampleTag(tag=tag) for tag in wanted - {row.tag for row in self.tag_rows}
        ]

    def __repr__(self) -> str:
        return f"Sample(id={self.id}, source={self.source}, source_id={self.source_id!r})"


class Operation(Base):
    """One run of a bulk operation (reprocess, HLS backfill, media migration, link check)."""

    __tablename__ = "operations"
    __table_args__ = (Index("ix_operations_created_at", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="running")
    dry_run: Mapped[bool] = mapped_column(default=False)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    origin: Mapped[str] = mapped_column(String(16), default="api")  # api | cli
    total: Mapped[int] = mapped_column(default=0)
    message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]

    items: Mapped[list[OperationItem]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, lazy="raise_on_sql"
    )


class OperationItem(Base):
    """One sample or creator an operation works on, and what became of it."""

    __tablename__ = "operation_items"
    __table_args__ = (Index("ix_operation_items_state", "operation_id", "state"),)

    operation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), primary_key=True
    )
    subject_type: Mapped[str] = mapped_column(String(16), primary_key=True)  # sample | creator
    subject_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(default=0)
    # pending, then done | skipped | failed; a reprocess item is "queued" once its pipeline is.
    state: Mapped[str] = mapped_column(String(16), default="pending")
    detail: Mapped[str | None] = mapped_column(Text)
    generation: Mapped[int | None]  # reprocess: the generation its pipeline runs
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class RateLimit(Base):
    """A pace shared by every process: the earliest time the next request may go out."""

    __tablename__ = "rate_limits"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    next_at: Mapped[float] = mapped_column(Float)


class SubmitBucket(Base):
    """One client's submission token bucket, shared by every API process."""

    __tablename__ = "submit_buckets"
    __table_args__ = (Index("ix_submit_buckets_updated_at", "updated_at"),)

    client: Mapped[str] = mapped_column(String(64), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)  # the database's clock, epoch seconds


def normalize_tag(value: str) -> str:
    """A tag as stored: trimmed, without a leading '#', lower case."""
    return value.strip().lstrip("#").strip().lower()[:100]


def normalize_tags(values: list[str]) -> set[str]:
    """The distinct non-empty normalized tags among `values`."""
    return {tag for tag in (normalize_tag(value) for value in values) if tag}


def normalize_username(value: str) -> str:
    """A creator handle as stored: trimmed, without a leading '@', lower case."""
    return value.strip().lstrip("@").strip().lower()


# Sort keys for nullable columns: NULL becomes a sentinel past every real value, so NULLs
# come last in either direction and an expression index serves the ORDER BY on SQLite and
# PostgreSQL alike. The literals are inline SQL so queries match the index expressions.
SORT_SENTINELS: dict[tuple[str, bool], float] = {
    ("bpm", False): 1_000_000_000.0,
    ("bpm", True): -1.0,
    ("view_count", True): -1,
}
SORT_KEYS: dict[str, ColumnElement[Any]] = {
    "bpm_asc": func.coalesce(Sample.bpm, literal_column("1000000000.0")),
    "bpm_desc": func.coalesce(Sample.bpm, literal_column("-1.0")),
    "view_count_desc": func.coalesce(Sample.view_count, literal_column("-1")),
}
for _name, _key in SORT_KEYS.items():
    Index(f"ix_samples_status_{_name}", Sample.status, _key, Sample.id)
