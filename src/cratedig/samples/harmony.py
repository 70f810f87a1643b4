"""Which keys mix well: the Camelot wheel's neighbours (same key, relative, one fifth away)."""

from __future__ import annotations

from cratedig.media.key import KEY_NAMES

KeyScale = tuple[str, str]


def compatible_keys(key: str, scale: str) -> tuple[KeyScale, ...]:
    """The key itself, its relative major/minor, and a fifth up and down in the same scale."""
    tonic = KEY_NAMES.index(key)
    relative = (tonic + 3) % 12 if scale == "minor" else (tonic + 9) % 12
    other = "major" if scale == "minor" else "minor"
    return (
        (key, scale),
        (KEY_NAMES[relative], other),
        (KEY_NAMES[(tonic + 7) % 12], scale),
        (KEY_NAMES[(tonic + 5) % 12], scale),
    )


def camelot(key: str, scale: str) -> str:
    """The Camelot code of a key, e.g. A minor → 8A, C major → 8B."""
    tonic = KEY_NAMES.index(key)
    # Each fifth up is one step round the wheel; C major is 8B and A minor 8A.
    anchor = 0 if scale == "major" else 9
    steps = (tonic - anchor) * 7 % 12
    return f"{(steps + 7) % 12 + 1}{'B' if scale == 'major' else 'A'}"
