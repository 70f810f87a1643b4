"""Every object key cratedig writes: the one place that knows the storage layout.

```
samples/{id}/video.mp4  thumbnail.jpg  cover.jpg  origin_cover.jpg  audio.wav  audio.mp3
samples/{id}/waveform.png  waveform.json  hls/playlist.m3u8  hls/segment_000.ts ...
creators/{creator_id}/avatar_thumb.jpg  avatar_medium.jpg  avatar_large.jpg
samples/{id}/g{generation}/<the same names>   (generation 1 and later: reprocessed media)
samples/{id}/[g{generation}/]renders/{digest}.wav|mp3   (matched and loop downloads, cached)
staging/{sample_id}/{generation}/<the same names as under samples/{id}/>
```

Reprocessing writes a new generation under ``staging/``, copies it to keys of its own
(``generation_key``) and only then points the row at them, so the media being served are
never overwritten: the previous generation's objects are deleted after the switch.
"""

from __future__ import annotations

from cratedig import artifacts
from cratedig.artifacts import Artifact
from cratedig.storage.errors import InvalidKey
from cratedig.storage.validation import validate_key

SAMPLES = "samples"
CREATORS = "creators"
STAGING = "staging"

# The fixed per-sample names, from the artifact table; HLS segments come on top.
VIDEO = artifacts.VIDEO.file
THUMBNAIL = artifacts.THUMBNAIL.file
COVER = artifacts.COVER.file
ORIGIN_COVER = artifacts.ORIGIN_COVER.file
AUDIO_WAV = artifacts.WAV.file
AUDIO_MP3 = artifacts.MP3.file
WAVEFORM_PNG = artifacts.WAVEFORM_PNG.file
WAVEFORM_JSON = artifacts.WAVEFORM_JSON.file
HLS_PLAYLIST = artifacts.HLS.file
HLS_DIR = str(artifacts.HLS.folder)
RENDERS_DIR = "renders"
HLS_SEGMENT_PATTERN = "segment_%03d.ts"
"""The ffmpeg ``-hls_segment_filename`` pattern, relative to the HLS directory."""


def _id(value: object, what: str) -> str:
    text = str(value)
    if not text or "/" in text or text in (".", ".."):
        raise InvalidKey(f"{what} must be a non-empty single path segment: {text!r}")
    return text


def hls_segment_name(index: int) -> str:
    """Return the sample-relative name of HLS segment ``index`` (``hls/segment_000.ts``)."""
    if index < 0:
        raise InvalidKey(f"HLS segment index must be >= 0: {index}")
    return f"{HLS_DIR}/{HLS_SEGMENT_PATTERN % index}"


def sample_prefix(sample_id: object) -> str:
    """Return the prefix holding all of a sample's media (``samples/{id}``)."""
    return validate_key(f"{SAMPLES}/{_id(sample_id, 'sample id')}")


def sample_key(sample_id: object, name: str) -> str:
    """Return the key of one sample artifact, e.g. ``sample_key(7, AUDIO_MP3)``."""
    return validate_key(f"{sample_prefix(sample_id)}/{name}")


def generation_prefix(sample_id: object, generation: int) -> str:
    """Return where a published generation's media live (``samples/{id}`` for generation 0)."""
    if generation < 0:
        raise InvalidKey(f"generation must be >= 0: {generation}")
    if generation == 0:
        return sample_prefix(sample_id)
    return validate_key(f"{sample_prefix(sample_id)}/g{generation}")


def generation_key(sample_id: object, generation: int, name: str) -> str:
    """Return the published key of one artifact of a generation (``samples/{id}/g2/audio.mp3``)."""
    return validate_key(f"{generation_prefix(sample_id, generation)}/{name}")


def render_key(sample_id: object, generation: int, digest: str, ext: str) -> str:
    """Return the key of a cached matched/loop render of one generation's WAV."""
    name = f"{_id(digest, 'render digest')}.{_id(ext, 'extension')}"
    return generation_key(sample_id, generation, f"{RENDERS_DIR}/{name}")


def hls_prefix(sample_id: object) -> str:
    """Return the prefix holding a sample's HLS playlist and segments."""
    return sample_key(sample_id, HLS_DIR)


def creator_prefix(creator_id: object) -> str:
    """Return the prefix holding a creator's media (``creators/{creator_id}``)."""
    return validate_key(f"{CREATORS}/{_id(creator_id, 'creator id')}")


def avatar_key(creator_id: object, size: Artifact | str) -> str:
    """Return the key of a creator avatar (``creators/{id}/avatar_{size}.jpg``)."""
    avatar = size if isinstance(size, Artifact) else artifacts.avatar(size)
    return validate_key(f"{creator_prefix(creator_id)}/{avatar.file}")


def staging_prefix(sample_id: object, generation: int) -> str:
    """Return the prefix a reprocessing generation writes to before it is published."""
    if generation < 0:
        raise InvalidKey(f"generation must be >= 0: {generation}")
    return validate_key(f"{sample_staging_prefix(sample_id)}/{generation}")


def sample_staging_prefix(sample_id: object) -> str:
    """Return the prefix holding every staged generation of a sample."""
    return validate_key(f"{STAGING}/{_id(sample_id, 'sample id')}")


def staging_key(sample_id: object, generation: int, name: str) -> str:
    """Return the staged key of one artifact of a reprocessing generation."""
    return validate_key(f"{staging_prefix(sample_id, generation)}/{name}")


def staged_generation(key: str) -> tuple[str, int] | None:
    """The sample id and generation of a staged key (``staging/{id}/{generation}/...``)."""
    parts = key.split("/", 3)
    if len(parts) < 4 or parts[0] != STAGING or not parts[2].isdigit():
        return None
    return parts[1], int(parts[2])


def relative_name(key: str, prefix: str) -> str:
    """Return ``key`` relative to ``prefix`` (e.g. ``hls/segment_003.ts``)."""
    head = prefix.rstrip("/") + "/"
    if not key.startswith(head) or key == head:
        raise InvalidKey(f"{key!r} is not under {prefix!r}")
    return validate_key(key[len(head) :])


def published_key(staged_key: str) -> str:
    """Map ``staging/{id}/{generation}/<name>`` to its published key (see ``generation_key``)."""
    parts = validate_key(staged_key).split("/", 3)
    if len(parts) != 4 or parts[0] != STAGING or not parts[2].isdigit():
        raise InvalidKey(f"not a staged sample key: {staged_key!r}")
    return generation_key(parts[1], int(parts[2]), parts[3])
