"""Path traversal into storage keys and the local /media route; safe download file names."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from urllib.parse import quote, unquote

import pytest

from cratedig.storage import InvalidKey, open_storage, validate_key
from cratedig.storage.keys import AUDIO_WAV, sample_key
from cratedig.storage.signing import content_disposition
from tests.api.conftest import Api

MARKER = b"OUTSIDE-THE-MEDIA-DIR"
# Every spelling of "one level up, then outside.txt" (the media dir's sibling file).
TRAVERSALS = [
    "..%2foutside.txt",
    "..%2Foutside.txt",
    "%2e%2e/outside.txt",
    "%2E%2E%2Foutside.txt",
    ".%2e/outside.txt",
    "samples/..%2f..%2foutside.txt",
    "samples/%2e%2e/%2e%2e/outside.txt",
    "..%5coutside.txt",
    "samples%5c..%5c..%5coutside.txt",
    "%2f{outside}",
    "%5c{outside}",
    "samples/x%00%2f..%2f..%2foutside.txt",
    "samples/..%00/outside.txt",
    "..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2f{outside}",
]
# The framework decodes path parameters once more: these become ".." too, and are refused.
DOUBLE_ENCODED = ["%252e%252e%252foutside.txt", "samples/%252e%252e/%252e%252e/outside.txt"]


@pytest.fixture
def outside(api: Api) -> Path:
    """A file beside the media dir that no request may read."""
    path = api.media_dir.parent / "outside.txt"
    path.write_bytes(MARKER)
    return path


@pytest.mark.parametrize("spelling", TRAVERSALS + DOUBLE_ENCODED)
def test_media_route_never_reads_outside_the_media_dir(
    api: Api, outside: Path, spelling: str
) -> None:
    path = "/media/" + spelling.format(outside=quote(str(outside).lstrip("/"), safe="/"))
    response = api.client.get(path)
    assert MARKER not in response.content
    assert response.status_code == 400, path  # refused, not merely missing
    assert response.json()["error"]["code"] == "invalid_key"


def test_a_symlink_out_of_the_media_dir_is_refused(api: Api, outside: Path) -> None:
    link = api.media_dir / "samples" / "leak.wav"
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(outside)
    response = api.client.get("/media/samples/leak.wav")
    assert response.status_code == 400
    assert MARKER not in response.content


@pytest.mark.parametrize(
    "key",
    [
        "..",
        "../x",
        "a/../../x",
        "a/./b",
        "a//b",
        "/etc/passwd",
        "a\\..\\b",
        "a\x00b",
        "a\nb",
        "a/",
        "",
        "x" * 1025,
    ],
)
def test_storage_refuses_unsafe_keys(tmp_path: Path, key: str) -> None:
    storage = open_storage(f"file://{tmp_path / 'media'}")
    with pytest.raises(InvalidKey):
        validate_key(key)
    with pytest.raises(InvalidKey):
        storage.put_bytes(key, MARKER)
    with pytest.raises(InvalidKey):
        storage.local_path(key)
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written == []


def test_key_builders_refuse_traversal_in_names() -> None:
    sample_id = uuid.uuid4()
    for name in ("../audio.wav", "hls/../../x", "/abs.wav", "a\\b.wav"):
        with pytest.raises(InvalidKey):
            sample_key(sample_id, name)
    with pytest.raises(InvalidKey):
        sample_key("../other", AUDIO_WAV)


HOSTILE_NAMES = [
    'say "hi".wav',
    "line\r\nSet-Cookie: stolen=1.wav",
    "../../etc/passwd",
    "C:\\Windows\\evil.wav",
    "zoë beats 🎵.wav",
    "🎵",
    "semi;colon=equals.wav",
    "tab\there.wav",
    "\x7f\x00",
    "%0d%0aX-Evil: 1",
]
_TOKEN_STAR = re.compile(r"^[A-Za-z0-9%._~!$&'()*+,;=:@-]*$")


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_content_disposition_is_always_safe(name: str) -> None:
    value = content_disposition(name)
    value.encode("ascii")  # a header value must be plain ASCII
    assert "\r" not in value and "\n" not in value
    match = re.fullmatch(r'attachment; filename="([^"]*)"(?:; filename\*=UTF-8\'\'(\S+))?', value)
    assert match is not None, value
    plain, extended = match.groups()
    assert plain and not set(plain) & set('"\\/\x00\x7f')
    assert all(32 <= ord(ch) < 127 for ch in plain)
    if extended is not None:
        assert _TOKEN_STAR.match(extended) and "/" not in extended and "%2F" not in extended
    if not name.isascii():
        assert extended is not None and unquote(extended).isprintable()


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_the_media_route_sends_one_safe_disposition(api: Api, name: str) -> None:
    key = sample_key(uuid.uuid4(), AUDIO_WAV)
    api.runtime.storage.put_bytes(key, b"RIFF....WAVE")
    response = api.client.get(f"/media/{key}", params={"download": name})
    assert response.status_code == 200
    dispositions = response.headers.get_list("content-disposition")
    assert dispositions == [content_disposition(name)]
    assert "set-cookie" not in response.headers and "x-evil" not in response.headers
