"""Where SQLite files live, and making their folders before a database opens them."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cratedig.config import Settings


class UnusablePathError(ValueError):
    """A SQLite file cannot be created or written where a setting puts it (one line)."""


def sqlite_file(url: str) -> Path | None:
    """The file a sqlite:// URL names; None for other databases and in-memory SQLite."""
    scheme, _, rest = url.partition("://")
    if scheme.split("+")[0] != "sqlite" or not rest.startswith("/"):
        return None
    name = rest[1:].partition("?")[0]
    if name in ("", ":memory:") or name.startswith("file:"):
        return None
    return Path(name).expanduser()


def prepare_sqlite_files(settings: Settings) -> None:
    """Create the folders of the app's and DBOS's SQLite files; UnusablePathError, naming
    the setting, when one cannot be created or written."""
    databases = [
        ("CRATEDIG_DATABASE_URL", settings.database_url),
        (system_database_setting(settings), settings.system_database_url),
    ]
    for setting, url in databases:
        path = sqlite_file(url)
        if path is not None:
            _prepare(setting, path)


def system_database_setting(settings: Settings) -> str:
    """The setting that decides where DBOS's database is (for error messages)."""
    if settings.dbos_system_database_url:
        return "CRATEDIG_DBOS_SYSTEM_DATABASE_URL"
    return "CRATEDIG_DATABASE_URL (DBOS's database goes beside it)"


def _prepare(setting: str, path: Path) -> None:
    folder = path.parent
    blocking = next((p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise UnusablePathError(f"{setting}: {blocking} is a file, not a folder (for {path})")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UnusablePathError(
            f"{setting}: cannot create the folder {folder} for {path.name}: {_reason(exc)}"
        ) from None
    if path.exists() and not path.is_file():
        raise UnusablePathError(f"{setting}: {path} is not a file")
    try:
        if path.exists():
            # An open for writing is the one check that holds for root and read-only mounts.
            with path.open("r+b"):
                pass
        else:
            with tempfile.TemporaryFile(dir=folder):
                pass
    except OSError as exc:
        where = path if path.exists() else f"the folder {folder}"
        raise UnusablePathError(f"{setting}: cannot write {where}: {_reason(exc)}") from None


def _reason(error: OSError) -> str:
    return error.strerror or os.strerror(error.errno or 0) or type(error).__name__
