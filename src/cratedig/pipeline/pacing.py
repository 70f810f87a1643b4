"""A request pace shared by every process: one database row holds when the next may go."""

from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from cratedig.models import RateLimit
from cratedig.runtime import current_runtime

MAX_WAIT_SECONDS = 300.0  # past this a reservation is a backlog, not a pace: wait no longer


class SharedPace:
    """Calling it waits for this process's turn: at most `per_second` calls across all workers."""

    def __init__(self, name: str, per_second: float) -> None:
        self.name = name
        self.interval = 1.0 / per_second

    def __call__(self) -> None:
        with current_runtime().transaction() as session:
            _ensure_row(session, self.name)
            row = session.scalars(
                select(RateLimit).where(RateLimit.name == self.name).with_for_update()
            ).one()
            now = time.time()
            slot = max(now, min(row.next_at, now + MAX_WAIT_SECONDS))
            row.next_at = slot + self.interval
        if slot > now:
            time.sleep(slot - now)


def _ensure_row(session: Session, name: str) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(RateLimit).values(name=name, next_at=0.0).on_conflict_do_nothing())
