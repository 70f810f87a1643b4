"""Alembic environment: uses a connection handed over by cratedig.db.migrate, else a URL."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection

from cratedig.db import make_engine, normalize_url
from cratedig.migrations import include_object
from cratedig.models import Base

if context.config.config_file_name is not None:
    fileConfig(context.config.config_file_name, disable_existing_loggers=False)


def database_url() -> str:
    """sqlalchemy.url from alembic.ini or -x url=..., else the app's settings."""
    url = context.get_x_argument(as_dictionary=True).get("url")
    url = url or context.config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from cratedig.config import load_settings

    return load_settings().database_url


def run(connection: Connection) -> None:
    """Run the migrations on an open connection."""
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        include_object=include_object,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(
        url=normalize_url(database_url()),
        target_metadata=Base.metadata,
        include_object=include_object,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()
elif context.config.attributes.get("connection") is not None:
    run(context.config.attributes["connection"])
else:
    engine = make_engine(database_url())
    try:
        with engine.begin() as connection:
            run(connection)
    finally:
        engine.dispose()
