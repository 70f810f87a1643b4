"""What a failed generation leaves behind: its staged files, removed when storage allows."""

from __future__ import annotations

import logging

from cratedig.runtime import current_runtime
from cratedig.storage import StorageError
from cratedig.storage.keys import staging_prefix

log = logging.getLogger(__name__)

DB_WRITE_ATTEMPTS = 6
"""Attempts of a workflow's bookkeeping step (a few seconds of database reconnects)."""
DB_WRITE_INTERVAL_SECONDS = 0.5


def discard_staging(sample_id: str, generation: int) -> None:
    """Delete a failed generation's staged files; with storage down they stay, logged."""
    try:
        current_runtime().storage.delete_prefix(staging_prefix(sample_id, generation))
    except StorageError as exc:
        # The sample's failure is already recorded; its reason matters more than the leftovers.
        log.warning("staged files of sample %s g%s left behind: %s", sample_id, generation, exc)
