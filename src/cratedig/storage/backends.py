"""Open a Storage from a URL: file://DIR, s3://BUCKET[/PREFIX] or gs://BUCKET[/PREFIX]."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from obstore.exceptions import BaseError
from obstore.store import GCSStore, LocalStore, S3Store

from cratedig.storage.base import Storage
from cratedig.storage.errors import StorageError
from cratedig.storage.validation import validate_prefix

if TYPE_CHECKING:
    from obstore.store import ClientConfig, RetryConfig, S3Config

    from cratedig.config import Settings

# obstore's own retries (10, for up to 3 minutes) would hide an outage inside one call for
# minutes. Keep them to a short burst that rides out a dropped connection or a 503, and let
# the pipeline's durable retries (recorded, visible on the sample) handle a real outage.
STORAGE_RETRY: RetryConfig = {
    "max_retries": 3,
    "retry_timeout": timedelta(seconds=15),
    "backoff": {
        "init_backoff": timedelta(milliseconds=200),
        "max_backoff": timedelta(seconds=2),
        "base": 2,
    },
}
CONNECT_TIMEOUT = timedelta(seconds=5)


def open_storage(
    url: str,
    *,
    s3_endpoint: str | None = None,
    s3_region: str = "auto",
    s3_access_key_id: str | None = None,
    s3_secret_access_key: str | None = None,
    s3_force_path_style: bool = False,
    gcs_service_account_path: str | None = None,
    public_base_url: str = "",
) -> Storage:
    """Open the storage a URL names; unset S3/GCS options fall back to the usual env vars."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    try:
        if scheme == "file":
            return _open_local(url, public_base_url)
        if scheme in ("s3", "s3a"):
            return _open_s3(
                url,
                endpoint=s3_endpoint,
                region=s3_region,
                access_key_id=s3_access_key_id,
                secret_access_key=s3_secret_access_key,
                force_path_style=s3_force_path_style,
                public_base_url=public_base_url,
            )
        if scheme in ("gs", "gcs"):
            return _open_gcs(url, gcs_service_account_path, public_base_url)
    except BaseError as error:
        first_line = str(error).split("\n", 1)[0]
        raise StorageError(f"cannot open storage {_redact(url)}: {first_line}") from error
    raise StorageError(
        f"unsupported storage URL {_redact(url)}: use file://DIR, s3://BUCKET[/PREFIX] "
        "or gs://BUCKET[/PREFIX]"
    )


def storage_from_settings(settings: Settings) -> Storage:
    """Open the storage configured in cratedig's Settings."""
    return open_storage(
        settings.storage_url,
        s3_endpoint=settings.s3_endpoint,
        s3_region=settings.s3_region,
        s3_access_key_id=settings.s3_access_key_id,
        s3_secret_access_key=settings.s3_secret_access_key,
        s3_force_path_style=settings.s3_force_path_style,
        gcs_service_account_path=settings.gcs_service_account_path,
        public_base_url=settings.public_media_base_url,
    )


def _open_local(url: str, public_base_url: str) -> Storage:
    # file://./data/media is relative to the working directory; file:///srv/media absolute.
    raw = url.split("://", 1)[1]
    if not raw:
        raise StorageError("file:// storage URL needs a directory, e.g. file://./data/media")
    root = Path(raw).expanduser().resolve()
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StorageError(f"cannot create the media directory {root}: {error}") from error
    store = LocalStore(root, automatic_cleanup=True)
    return Storage(
        store,
        kind="local",
        description=f"file://{root}",
        local_root=root,
        public_base_url=public_base_url,
    )


def _bucket_and_prefix(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    if not parts.netloc:
        raise StorageError(f"storage URL {_redact(url)} names no bucket")
    prefix = parts.path.strip("/")
    return parts.netloc, validate_prefix(prefix, allow_empty=True)


def _open_s3(
    url: str,
    *,
    endpoint: str | None,
    region: str,
    access_key_id: str | None,
    secret_access_key: str | None,
    force_path_style: bool,
    public_base_url: str,
) -> Storage:
    bucket, prefix = _bucket_and_prefix(url)
    config: S3Config = {"region": region or "auto"}
    if endpoint:
        config["endpoint"] = endpoint.rstrip("/")
    if access_key_id or secret_access_key:
        if not (access_key_id and secret_access_key):
            raise StorageError("S3 storage needs both the access key id and the secret key")
        config["access_key_id"] = access_key_id
        config["secret_access_key"] = secret_access_key
    # obstore's virtual-hosted mode wants the bucket inside a custom endpoint's host, so
    # custom endpoints (R2, MinIO, radosgw) use path style, which all of them accept.
    config["virtual_hosted_style_request"] = not force_path_style and not endpoint
    client: ClientConfig = {
        "allow_http": bool(endpoint and endpoint.startswith("http://")),
        "connect_timeout": CONNECT_TIMEOUT,
    }
    store = S3Store(
        bucket,
        prefix=prefix or None,
        config=config,
        client_options=client,
        retry_config=STORAGE_RETRY,
    )
    where = f" at {endpoint}" if endpoint else ""
    return Storage(
        store,
        kind="s3",
        description=f"s3://{bucket}{'/' + prefix if prefix else ''}{where}",
        public_base_url=public_base_url,
        signing_secret=secret_access_key,
    )


def _open_gcs(url: str, service_account_path: str | None, public_base_url: str) -> Storage:
    bucket, prefix = _bucket_and_prefix(url)
    if service_account_path and not Path(service_account_path).is_file():
        raise StorageError(f"GCS service account file not found: {service_account_path}")
    client: ClientConfig = {"connect_timeout": CONNECT_TIMEOUT}
    store = (
        GCSStore(
            bucket,
            prefix=prefix or None,
            service_account=service_account_path,
            client_options=client,
            retry_config=STORAGE_RETRY,
        )
        if service_account_path
        else GCSStore(
            bucket, prefix=prefix or None, client_options=client, retry_config=STORAGE_RETRY
        )
    )
    return Storage(
        store, kind="gcs", description=f"gs://{bucket}/{prefix}", public_base_url=public_base_url
    )


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(parts.password, "***")
    return url
