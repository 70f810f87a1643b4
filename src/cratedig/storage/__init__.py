"""Object storage for cratedig's media: local dir, S3/R2 or GCS behind one API (obstore)."""

from cratedig.storage.backends import open_storage, storage_from_settings
from cratedig.storage.base import ObjectInfo, Storage
from cratedig.storage.errors import InvalidKey, ObjectNotFound, StorageError, StorageUnavailable
from cratedig.storage.validation import CACHE_CONTROL, content_type_for, validate_key

__all__ = [
    "CACHE_CONTROL",
    "InvalidKey",
    "ObjectInfo",
    "ObjectNotFound",
    "Storage",
    "StorageError",
    "StorageUnavailable",
    "content_type_for",
    "open_storage",
    "storage_from_settings",
    "validate_key",
]
