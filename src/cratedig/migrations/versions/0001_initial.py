"""Initial schema: creators, samples, tags, step timings and full-text search.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)
SORT_KEY_SQL = {
    "bpm_asc": "coalesce(bpm, 1000000000.0)",
    "bpm_desc": "coalesce(bpm, -1.0)",
    "view_count_desc": "coalesce(view_count, -1)",
}

# SQLite: an FTS5 table kept in sync by triggers, so every write path (ORM, bulk SQL, FK
# actions) updates it. FTS5 cannot index sample_id, so a side table maps each sample to its
# FTS rowid: a refresh finds the old row by primary key instead of scanning the index
# (a scan per write made bulk inserts quadratic). New rowids come from max(fts_rowid) + n.
SQLITE_REFRESH = """
DELETE FROM samples_fts WHERE rowid IN
  (SELECT fts_rowid FROM samples_fts_ids WHERE sample_id IN ({ids}));
DELETE FROM samples_fts_ids WHERE sample_id IN ({ids});
INSERT INTO samples_fts_ids (sample_id, fts_rowid)
SELECT id, (SELECT coalesce(max(fts_rowid), 0) FROM samples_fts_ids) + row_number() OVER ()
FROM samples WHERE id IN ({ids});
INSERT INTO samples_fts (rowid, sample_id, title, description, tags, creator, sound)
SELECT m.fts_rowid, s.id, coalesce(s.title, ''), coalesce(s.description, ''),
       coalesce((SELECT group_concat(t.tag, ' ') FROM sample_tags t WHERE t.sample_id = s.id), ''),
       coalesce(c.username, '') || ' ' || coalesce(c.nickname, ''),
       coalesce(s.sound_title, '') || ' ' || coalesce(s.sound_artist, '')
FROM samples s JOIN samples_fts_ids m ON m.sample_id = s.id
LEFT JOIN creators c ON c.id = s.creator_id WHERE s.id IN ({ids});
"""
SQLITE_TRIGGERS = {
    "samples_fts_insert": ("AFTER INSERT ON samples", "new.id"),
    "samples_fts_update": (
        "AFTER UPDATE OF title, description, sound_title, sound_artist, creator_id ON samples",
        "new.id",
    ),
    "sample_tags_fts_insert": ("AFTER INSERT ON sample_tags", "new.sample_id"),
    "sample_tags_fts_delete": ("AFTER DELETE ON sample_tags", "old.sample_id"),
    "creators_fts_update": (
        "AFTER UPDATE OF username, nickname ON creators",
        "SELECT id FROM samples WHERE creator_id = new.id",
    ),
}

# PostgreSQL: a tsvector per sample in a side table with a GIN index, kept by triggers.
# The 'simple' configuration (no stemming, no stop words) with unaccent matches FTS5's
# unicode61 with remove_diacritics: case and accents are ignored on both.
POSTGRES_SEARCH = [
    # unaccent is a trusted extension (PG 13+): the database owner may create it.
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    """CREATE TABLE sample_search (
        sample_id uuid PRIMARY KEY REFERENCES samples (id) ON DELETE CASCADE,
        document tsvector NOT NULL)""",
    "CREATE INDEX ix_sample_search_document ON sample_search USING gin (document)",
    """CREATE FUNCTION cratedig_refresh_search(target uuid) RETURNS void LANGUAGE sql AS $$
    INSERT INTO sample_search (sample_id, document)
    SELECT s.id, to_tsvector('simple'::regconfig, unaccent(concat_ws(' ', s.title,
             s.description,
             (SELECT string_agg(t.tag, ' ') FROM sample_tags t WHERE t.sample_id = s.id),
             c.username, c.nickname, s.sound_title, s.sound_artist)))
    FROM samples s LEFT JOIN creators c ON c.id = s.creator_id WHERE s.id = target
    ON CONFLICT (sample_id) DO UPDATE SET document = excluded.document
    $$""",
    """CREATE FUNCTION cratedig_search_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_TABLE_NAME = 'samples' THEN
        PERFORM cratedig_refresh_search(NEW.id);
      ELSIF TG_TABLE_NAME = 'creators' THEN
        PERFORM cratedig_refresh_search(s.id) FROM samples s WHERE s.creator_id = NEW.id;
      ELSIF TG_OP = 'DELETE' THEN
        PERFORM cratedig_refresh_search(OLD.sample_id);
      ELSE
        PERFORM cratedig_refresh_search(NEW.sample_id);
      END IF;
      RETURN NULL;
    END $$""",
    """CREATE TRIGGER samples_search AFTER INSERT OR UPDATE OF title, description,
       sound_title, sound_artist, creator_id ON samples
       FOR EACH ROW EXECUTE FUNCTION cratedig_search_trigger()""",
    """CREATE TRIGGER sample_tags_search AFTER INSERT OR DELETE ON sample_tags
       FOR EACH ROW EXECUTE FUNCTION cratedig_search_trigger()""",
    """CREATE TRIGGER creators_search AFTER UPDATE OF username, nickname ON creators
       FOR EACH ROW EXECUTE FUNCTION cratedig_search_trigger()""",
]


def create_search(dialect: str) -> None:
    """Create the full-text index and the triggers that keep it current."""
    if dialect == "sqlite":
        op.execute(
            "CREATE TABLE samples_fts_ids (sample_id CHAR(32) PRIMARY KEY,"
            " fts_rowid INTEGER NOT NULL UNIQUE)"
        )
        op.execute(
            "CREATE VIRTUAL TABLE samples_fts USING fts5(sample_id UNINDEXED, title,"
            " description, tags, creator, sound, tokenize='unicode61 remove_diacritics 2')"
        )
        for name, (when, ids) in SQLITE_TRIGGERS.items():
            body = SQLITE_REFRESH.format(ids=ids)
            op.execute(f"CREATE TRIGGER {name} {when} BEGIN {body} END")
        op.execute(
            "CREATE TRIGGER samples_fts_delete AFTER DELETE ON samples"
            " BEGIN DELETE FROM samples_fts WHERE rowid IN"
            " (SELECT fts_rowid FROM samples_fts_ids WHERE sample_id = old.id);"
            " DELETE FROM samples_fts_ids WHERE sample_id = old.id; END"
        )
    elif dialect == "postgresql":
        for statement in POSTGRES_SEARCH:
            op.execute(statement)
    else:
        raise NotImplementedError(f"full-text search on {dialect}")


def drop_search(dialect: str) -> None:
    """Drop what create_search() made."""
    if dialect == "sqlite":
        for name in [*SQLITE_TRIGGERS, "samples_fts_delete"]:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS samples_fts")
        op.execute("DROP TABLE IF EXISTS samples_fts_ids")
    else:
        op.execute("DROP TABLE IF EXISTS sample_search")
        for table in ("samples", "sample_tags", "creators"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_search ON {table}")
        op.execute("DROP FUNCTION IF EXISTS cratedig_search_trigger()")
        op.execute("DROP FUNCTION IF EXISTS cratedig_refresh_search(uuid)")


def _key(name: str) -> list[sa.Column[object]]:
    return [sa.Column(f"{name}_key", sa.String(512)), sa.Column(f"{name}_bytes", sa.BigInteger())]


def upgrade() -> None:
    """Create every table, index and the search index of the database's kind."""
    op.create_table(
        "creators",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("source_id", sa.String(64)),
        sa.Column("sec_uid", sa.String(255)),
        sa.Column("username", sa.String(128), nullable=False),
        sa.Column("nickname", sa.Text()),
        sa.Column("signature", sa.Text()),
        sa.Column("verified", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("follower_count", sa.BigInteger()),
        sa.Column("following_count", sa.BigInteger()),
        sa.Column("heart_count", sa.BigInteger()),
        sa.Column("video_count", sa.BigInteger()),
        sa.Column("avatar_thumb_key", sa.String(512)),
        sa.Column("avatar_medium_key", sa.String(512)),
        sa.Column("avatar_large_key", sa.String(512)),
        sa.Column("last_fetched_at", TIMESTAMP),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_creators"),
        sa.UniqueConstraint("source_id", name="uq_creators_source_id"),
        sa.UniqueConstraint("username", name="uq_creators_username"),
    )
    op.create_table(
        "samples",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "tiktok",
                "url",
                name="sample_source",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("source_url", sa.Text(), nullable=False),
        sa.Column("source_id", sa.String(255), nullable=False),
        sa.Column("title", sa.Text()),
        sa.Column("description", sa.Text()),
        sa.Column("creator_id", sa.Uuid()),
        sa.Column("view_count", sa.BigInteger()),
        sa.Column("like_count", sa.BigInteger()),
        sa.Column("share_count", sa.BigInteger()),
        sa.Column("comment_count", sa.BigInteger()),
        sa.Column("posted_at", TIMESTAMP),
        sa.Column("sound_title", sa.Text()),
        sa.Column("sound_artist", sa.Text()),
        sa.Column("duration_seconds", sa.Float()),
        sa.Column("bpm", sa.Float()),
        sa.Column("bpm_confidence", sa.Float()),
        sa.Column("key", sa.String(8)),
        sa.Column("scale", sa.String(16)),
        sa.Column("key_confidence", sa.Float()),
        sa.Column("loudness_lufs", sa.Float()),
        *_key("video"),
        *_key("thumbnail"),
        *_key("cover"),
        *_key("wav"),
        *_key("mp3"),
        *_key("hls"),
        *_key("waveform_png"),
        *_key("waveform_json"),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "processing",
                "completed",
                "failed",
                name="sample_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
            server_default="pending",
        ),
        sa.Column("step", sa.String(64)),
        sa.Column("step_index", sa.Integer()),
        sa.Column("error_code", sa.String(64)),
        sa.Column("error_message", sa.Text()),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("generation", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("download_count", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("processed_at", TIMESTAMP),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_samples"),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["creators.id"],
            name="fk_samples_creator_id_creators",
            ondelete="SET NULL",
        ),
        sa.UniqueConstraint("source", "source_id", name="uq_samples_source_source_id"),
    )
    op.create_index("ix_samples_creator_id", "samples", ["creator_id"])
    op.create_index("ix_samples_status_created_at", "samples", ["status", "created_at", "id"])
    op.create_index("ix_samples_status_bpm", "samples", ["status", "bpm", "id"])
    op.create_index("ix_samples_key_scale", "samples", ["key", "scale"])
    # The ORDER BY keys of the nullable sorts (models.SORT_KEYS), NULLs last.
    for name, expression in SORT_KEY_SQL.items():
        op.create_index(
            f"ix_samples_status_{name}", "samples", ["status", sa.text(expression), "id"]
        )
    op.create_table(
        "sample_tags",
        sa.Column("sample_id", sa.Uuid(), nullable=False),
        sa.Column("tag", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("sample_id", "tag", name="pk_sample_tags"),
        sa.ForeignKeyConstraint(
            ["sample_id"],
            ["samples.id"],
            name="fk_sample_tags_sample_id_samples",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_sample_tags_tag", "sample_tags", ["tag"])
    op.create_table(
        "sample_steps",
        sa.Column("sample_id", sa.Uuid(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(64), nullable=False),
        sa.Column("step_index", sa.Integer(), nullable=False),
        sa.Column("started_at", TIMESTAMP),
        sa.Column("finished_at", TIMESTAMP),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("error", sa.Text()),
        sa.PrimaryKeyConstraint("sample_id", "generation", "step", name="pk_sample_steps"),
        sa.ForeignKeyConstraint(
            ["sample_id"],
            ["samples.id"],
            name="fk_sample_steps_sample_id_samples",
            ondelete="CASCADE",
        ),
    )
    create_search(op.get_bind().dialect.name)


def downgrade() -> None:
    """Drop everything upgrade() created."""
    drop_search(op.get_bind().dialect.name)
    op.drop_table("sample_steps")
    op.drop_index("ix_sample_tags_tag", table_name="sample_tags")
    op.drop_table("sample_tags")
    op.drop_table("samples")
    op.drop_table("creators")
