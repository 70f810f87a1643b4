"""The Storage API: one implementation over obstore for a local dir, S3/R2 and GCS."""

from __future__ import annotations

import builtins
import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import quote

import obstore
from obstore.exceptions import BaseError
from obstore.store import AzureStore, GCSStore, S3Store

from cratedig.storage.errors import (
    InvalidKey,
    ObjectNotFound,
    StorageError,
    StorageUnavailable,
    is_outage,
)
from cratedig.storage.signing import content_disposition, resign_with_params
from cratedig.storage.validation import (
    CACHE_CONTROL,
    content_type_for,
    is_plain_key,
    validate_key,
    validate_prefix,
)

if TYPE_CHECKING:
    from obstore import Attributes
    from obstore.store import ObjectStore

BackendKind = Literal["local", "s3", "gcs"]

_MULTIPART_CHUNK = 8 * 1024 * 1024
_DELETE_BATCH = 1000
_MAX_MESSAGE = 600


@dataclass(frozen=True)
class ObjectInfo:
    """What the store knows about one object (content_type is None in listings)."""

    key: str
    size: int
    content_type: str | None = None
    etag: str | None = None
    last_modified: datetime | None = None


class Storage:
    """Object storage for cratedig's media, addressed by validated keys (see keys.py)."""

    def __init__(
        self,
        store: ObjectStore,
        *,
        kind: BackendKind,
        description: str,
        local_root: Path | None = None,
        public_base_url: str = "",
        signing_secret: str | None = None,
    ) -> None:
        self._store = store
        self.kind: BackendKind = kind
        self.description = description
        self._root = local_root
        self._public_base_url = public_base_url.rstrip("/")
        self._secret = signing_secret

    def __repr__(self) -> str:
        return f"Storage({self.description})"

    @property
    def supports_download_names(self) -> bool:
        """Whether presigned_get_url can set a download filename (S3 with a static secret)."""
        return self.kind == "s3" and bool(self._secret)

    # -- writing -------------------------------------------------------------------------

    def put_file(
        self, key: str, path: str | os.PathLike[str], content_type: str | None = None
    ) -> None:
        """Upload a local file (multipart when large) with its Content-Type and Cache-Control."""
        validate_key(key)
        source = Path(path)
        if not source.is_file():
            raise StorageError(f"cannot upload {key}: {source} is not a file")
        with self._errors("upload", key, writing=True):
            obstore.put(
                self._store,
                key,
                source,
                attributes=self._attributes(key, content_type),
                chunk_size=_MULTIPART_CHUNK,
                max_concurrency=4,
            )

    def put_bytes(self, key: str, data: bytes, content_type: str | None = None) -> None:
        """Store ``data`` at ``key`` with its Content-Type and Cache-Control."""
        validate_key(key)
        with self._errors("put", key, writing=True):
            obstore.put(self._store, key, data, attributes=self._attributes(key, content_type))

    def copy(self, src_key: str, dst_key: str) -> None:
        """Copy an object (server-side where the backend can), keeping its attributes."""
        validate_key(src_key)
        validate_key(dst_key)
        with self._errors("copy", src_key):
            obstore.copy(self._store, src_key, dst_key, overwrite=True)

    def delete(self, key: str) -> None:
        """Delete an object; deleting a missing object is not an error."""
        validate_key(key)
        with contextlib.suppress(ObjectNotFound), self._errors("delete", key):
            obstore.delete(self._store, key)

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object under ``prefix`` (a whole path segment) and return how many."""
        keys = [info.key for info in self.list(validate_prefix(prefix))]
        for start in range(0, len(keys), _DELETE_BATCH):
            batch = keys[start : start + _DELETE_BATCH]
            with contextlib.suppress(ObjectNotFound), self._errors("delete", prefix):
                obstore.delete(self._store, batch)
        return len(keys)

    # -- reading -------------------------------------------------------------------------

    def get_bytes(self, key: str) -> bytes:
        """Return an object's whole content."""
        validate_key(key)
        with self._errors("get", key):
            return obstore.get(self._store, key).bytes().to_bytes()

    def stream(self, key: str) -> Iterator[bytes]:
        """Yield an object's content a chunk at a time (never all of it in memory)."""
        validate_key(key)
        with self._errors("stream", key):
            yield from obstore.get(self._store, key).stream()

    def get_range(self, key: str, start: int, end: int) -> bytes:
        """Return bytes ``start`` (inclusive) to ``end`` (exclusive), clipped at the object end."""
        validate_key(key)
        if start < 0 or end <= start:
            raise StorageError(f"bad byte range [{start}, {end}) for {key}")
        with self._errors("get range of", key):
            return obstore.get_range(self._store, key, start=start, end=end).to_bytes()

    def download(self, key: str, path: str | os.PathLike[str]) -> Path:
        """Stream an object into a local file (written atomically) and return its path."""
        validate_key(key)
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, partial = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as out, self._errors("download", key):
                for chunk in obstore.get(self._store, key).stream():
                    out.write(chunk)
            os.replace(partial, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(partial)
            raise
        return target

    def head(self, key: str) -> ObjectInfo | None:
        """Return an object's size, Content-Type and ETag, or None when it does not exist."""
        validate_key(key)
        try:
            with self._errors("head", key):
                result = obstore.get(self._store, key, options={"head": True})
                meta, attributes = result.meta, result.attributes
        except ObjectNotFound:
            return None
        content_type = attributes.get("Content-Type")
        if self.kind == "local":
            # Local files carry no attributes: report what the /media route will serve.
            content_type = content_type_for(key)
        return ObjectInfo(
            key=key,
            size=meta["size"],
            content_type=content_type,
            etag=meta["e_tag"],
            last_modified=meta["last_modified"],
        )

    def exists(self, key: str) -> bool:
        """Whether an object exists at ``key``."""
        return self.head(key) is not None

    def list(self, prefix: str = "") -> builtins.list[ObjectInfo]:
        """List every object under ``prefix`` (whole path segments), sorted by key."""
        clean = validate_prefix(prefix, allow_empty=True)
        found: builtins.list[ObjectInfo] = []
        with self._errors("list", clean or "/"):
            for chunk in obstore.list(self._store, clean or None):
                found.extend(
                    ObjectInfo(
                        key=meta["path"],
                        size=meta["size"],
                        etag=meta["e_tag"],
                        last_modified=meta["last_modified"],
                    )
                    for meta in chunk
                )
        return sorted(found, key=lambda info: info.key)

    # -- URLs ----------------------------------------------------------------------------

    def public_url(self, key: str) -> str:
        """Return the browser URL: the public base URL + key, or the API's ``/media/{key}``."""
        # Listings build hundreds of these per page: keys of the usual shape skip the checks.
        path = key if is_plain_key(key) else quote(validate_key(key), safe="/")
        if self._public_base_url:
            return f"{self._public_base_url}/{path}"
        return f"/media/{path}"

    def presigned_get_url(
        self, key: str, expires_seconds: int = 3600, download_name: str | None = None
    ) -> str | None:
        """Return a signed GET URL (S3/GCS), or None for local storage.

        ``download_name`` makes the response an attachment with that filename on S3 when
        the secret key is configured; GCS and ambient S3 credentials ignore it.
        """
        validate_key(key)
        if self.kind == "local":
            return None
        if expires_seconds <= 0:
            raise StorageError("expires_seconds must be positive")
        store = self._store
        if not isinstance(store, S3Store | GCSStore | AzureStore):
            return None
        with self._errors("sign", key):
            url = obstore.sign(store, "GET", key, timedelta(seconds=expires_seconds))
        if download_name and self.supports_download_names and self._secret:
            disposition = content_disposition(download_name)
            extra = {"response-content-disposition": disposition}
            resigned = resign_with_params(url, self._secret, extra)
            if resigned is not None:
                return resigned
        return url

    def local_path(self, key: str) -> Path | None:
        """Return the file behind ``key`` on local storage (None elsewhere or when missing)."""
        validate_key(key)
        if self._root is None:
            return None
        path = (self._root / key).resolve()
        if not path.is_relative_to(self._root):
            raise InvalidKey(f"object key escapes the storage root: {key!r}")
        return path if path.is_file() else None

    # -- internals -----------------------------------------------------------------------

    def _attributes(self, key: str, content_type: str | None) -> Attributes | None:
        if self.kind == "local":
            return None  # LocalStore rejects attributes.
        attributes: Attributes = {"Cache-Control": CACHE_CONTROL}
        resolved = content_type or content_type_for(key)
        if resolved:
            attributes["Content-Type"] = resolved
        return attributes

    @contextlib.contextmanager
    def _errors(self, action: str, key: str, *, writing: bool = False) -> Iterator[None]:
        try:
            yield
        except FileNotFoundError as error:
            if writing:  # a 404 on a write means the bucket is missing, not the object
                raise StorageError(
                    f"{action} {key} on {self.description} failed: {self._clean(error)}"
                ) from error
            raise ObjectNotFound(key) from error
        except (BaseError, OSError) as error:
            detail = f"{action} {key} on {self.description} failed: {self._clean(error)}"
            if isinstance(error, BaseError) and is_outage(error):
                raise StorageUnavailable(detail) from error
            raise StorageError(detail) from error

    def _clean(self, error: BaseException) -> str:
        # obstore appends a multi-line "Debug source" dump: keep the readable head only.
        text = str(error).split("\n\nDebug source:", 1)[0].strip()
        if self._secret:
            text = text.replace(self._secret, "***")
        name = type(error).__name__
        if len(text) > _MAX_MESSAGE:
            text = text[:_MAX_MESSAGE] + "..."
        return f"{name}: {text}"
