"""Alembic migration scripts, shipped inside the package so migrate() finds them anywhere."""

from __future__ import annotations

from typing import Any

# Full-text search objects are created by raw SQL in the migrations, not from the models.
SEARCH_TABLES = frozenset({"samples_fts", "sample_search"})


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Leave the search tables (and FTS5's shadow tables) out of autogenerate."""
    if type_ == "table" and name is not None:
        return name not in SEARCH_TABLES and not name.startswith("samples_fts_")
    return True
