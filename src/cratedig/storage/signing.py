"""Add response-header overrides to an S3 presigned URL by re-signing it (AWS SigV4).

obstore's ``sign()`` takes no extra query parameters, and any parameter appended to its
URL breaks the signature. With the secret key at hand we rebuild the same SigV4 query
signature with ``response-content-disposition`` included, so the download carries a name.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

_ALGORITHM = "AWS4-HMAC-SHA256"


def content_disposition(filename: str) -> str:
    """Return an ``attachment`` Content-Disposition for ``filename`` (RFC 6266 / 5987)."""
    cleaned = "".join(ch for ch in filename if ch.isprintable() and ch not in '"\\/').strip()
    cleaned = cleaned or "download"
    ascii_name = unicodedata.normalize("NFKD", cleaned).encode("ascii", "ignore").decode()
    ascii_name = ascii_name.strip() or "download"
    value = f'attachment; filename="{ascii_name}"'
    if ascii_name != cleaned:
        value += f"; filename*=UTF-8''{quote(cleaned, safe='')}"
    return value


def resign_with_params(url: str, secret_access_key: str, extra: dict[str, str]) -> str | None:
    """Return ``url`` (a SigV4 query-signed S3 URL) re-signed with ``extra`` query params.

    Returns None when the URL is not a plain host-only SigV4 query signature.
    """
    parts = urlsplit(url)
    params = parse_qsl(parts.query, keep_blank_values=True)
    fields = dict(params)
    if fields.get("X-Amz-Algorithm") != _ALGORITHM or fields.get("X-Amz-SignedHeaders") != "host":
        return None
    credential = fields.get("X-Amz-Credential", "").split("/")
    if len(credential) != 5:
        return None
    _, date, region, service, terminator = credential
    params = [(k, v) for k, v in params if k != "X-Amz-Signature"]
    params += list(extra.items())
    query = "&".join(f"{k}={v}" for k, v in sorted((_encode(k), _encode(v)) for k, v in params))
    canonical = "\n".join(
        ["GET", parts.path or "/", query, f"host:{parts.netloc}", "", "host", "UNSIGNED-PAYLOAD"]
    )
    scope = f"{date}/{region}/{service}/{terminator}"
    to_sign = "\n".join(
        [_ALGORITHM, fields["X-Amz-Date"], scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = ("AWS4" + secret_access_key).encode()
    for part in (date, region, service, terminator):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return urlunsplit(parts._replace(query=f"{query}&X-Amz-Signature={signature}"))


def _encode(text: str) -> str:
    return quote(text, safe="-_.~")
