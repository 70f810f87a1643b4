"""Which object keys the public may read: the published layout only, never `staging/`.

A request for a key is answered by its shape alone, with no database query: `/media` serves
HLS segments, the hottest path there is. The shape is as strict as a lookup would be, because
only publish (and the operations that point a row at their result) write under `samples/`
and `creators/`, and only under the artifact table's names; raw sources and generations in
the making live under `staging/` until their publish copies them out.
"""

from __future__ import annotations

import re

from cratedig.artifacts import CREATOR_AVATARS, SAMPLE_ARTIFACTS
from cratedig.storage.keys import CREATORS, HLS_DIR, RENDERS_DIR, SAMPLES

_SEGMENT = rf"{re.escape(HLS_DIR)}/segment_\d{{3,}}\.ts"  # keys.HLS_SEGMENT_PATTERN's names
# Matched and loop downloads: keys.render_key, a hex digest per render (renders.py).
_RENDER = rf"{re.escape(RENDERS_DIR)}/[0-9a-f]{{24}}\.(?:wav|mp3)"
_SAMPLE_FILES = "|".join(re.escape(artifact.file) for artifact in SAMPLE_ARTIFACTS)
_AVATAR_FILES = "|".join(re.escape(artifact.file) for artifact in CREATOR_AVATARS)
_PUBLISHED = re.compile(
    rf"{SAMPLES}/[^/]+/(?:g[1-9][0-9]*/)?(?:{_SAMPLE_FILES}|{_SEGMENT}|{_RENDER})"
    rf"|{CREATORS}/[^/]+/(?:{_AVATAR_FILES})"
)


def is_published_key(key: str) -> bool:
    """Whether `key` has the shape of a published sample or creator medium (a valid key)."""
    return _PUBLISHED.fullmatch(key) is not None
