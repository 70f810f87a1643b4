"""Settings: production mode refuses unsafe defaults."""

from __future__ import annotations

import pytest

from cratedig.config import Settings
from cratedig.runtime import start_runtime


def test_production_refuses_default_token_and_sqlite() -> None:
    settings = Settings(env="production")
    problems = settings.production_problems()
    assert any("CRATEDIG_ADMIN_TOKEN" in p for p in problems)
    assert any("PostgreSQL" in p for p in problems)
    with pytest.raises(RuntimeError, match="refusing to start in production mode"):
        start_runtime(settings)


def test_production_with_a_token_and_postgresql_is_fine() -> None:
    settings = Settings(
        env="production",
        admin_token="x" * 32,
        database_url="postgresql+psycopg://postgres@127.0.0.1/test",
    )
    assert settings.production_problems() == []
    assert Settings().production_problems() == []
