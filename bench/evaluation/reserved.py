"""Sources kept for independent evaluation: the development sets must never read them."""

from __future__ import annotations

import fnmatch

# Debian packages the issue reserves (patterns as the issue writes them).
RESERVED_PACKAGES = (
    "fretsonfire-songs-*",
    "openttd-openmsx",
    "simutrans-data",
    "planetblupi-music-midi",
    "freedink-data",
    "kobodeluxe-data",
    "ironseed-data",
    "gemdropx",
    "bb",
    "pekka-kana-2-data",
    "gltron",
    "tecnoballz-data",
    "rockdodger",
    "madbomber-data",
    "biniax2-data",
    "heroes-sound-tracks",
    "penguin-command",
    "monsterz-data",
    "tomatoes-data",
    "bomberclone-data",
)
# music21 corpus folders the issue reserves.
RESERVED_CORPORA = ("bach", "mozart", "beethoven", "joplin", "corelli", "cpebach")


class ReservedSourceError(ValueError):
    """A development set asked for a source kept for independent evaluation."""


def check_package(name: str) -> str:
    """Return the Debian package name, or raise when the issue reserves it."""
    for pattern in RESERVED_PACKAGES:
        if fnmatch.fnmatchcase(name, pattern):
            raise ReservedSourceError(f"Debian package {name!r} is reserved ({pattern})")
    return name


def check_corpus_path(path: str) -> str:
    """Return a music21 corpus path, or raise when it lies in a reserved composer's folder."""
    parts = path.replace("\\", "/").lower().split("/")
    # Corpus paths look like .../music21/corpus/<composer>/...; a bare '<composer>/...' too.
    tail = parts[parts.index("corpus") + 1 :] if "corpus" in parts else parts
    if tail and tail[0] in RESERVED_CORPORA:
        raise ReservedSourceError(f"music21 corpus {tail[0]!r} is reserved: {path}")
    return path
