"""Settings: production mode refuses unsafe defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

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


@pytest.mark.parametrize("proxy", ["http://127.0.0.1:3128", "socks5h://proxy.internal:1080"])
def test_tiktok_proxy_accepts_http_and_socks(proxy: str) -> None:
    assert Settings(tiktok_proxy=proxy).tiktok_proxy == proxy
    assert Settings(tiktok_proxy="").tiktok_proxy is None


def test_tiktok_settings_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="proxy URL"):
        Settings(tiktok_proxy="ftp://proxy:21")
    with pytest.raises(ValidationError, match="no cookies file"):
        Settings(tiktok_cookies_file=tmp_path / "missing.txt")
    with pytest.raises(ValidationError):
        Settings(tiktok_rps=0)
    cookies = tmp_path / "cookies.txt"
    cookies.write_text("# Netscape HTTP Cookie File\n")
    assert Settings(tiktok_cookies_file=cookies).tiktok_cookies_file == cookies


def test_tiktok_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRATEDIG_TIKTOK_RPS", "2.5")
    monkeypatch.setenv("CRATEDIG_CREATOR_TTL_HOURS", "6")
    monkeypatch.setenv("CRATEDIG_NOISE_TAGS", "#FYP, viral ,")
    settings = Settings()
    assert settings.tiktok_rps == 2.5 and settings.creator_ttl_hours == 6
    assert settings.noise_tag_set == frozenset({"fyp", "viral"})
    monkeypatch.delenv("CRATEDIG_NOISE_TAGS")
    assert {"fyp", "foryou", "foryoupage", "viral", "trending"} <= Settings().noise_tag_set


def test_dbos_database_goes_beside_an_absolute_app_database(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'db' / 'cratedig.db'}")
    assert settings.system_database_url == f"sqlite:///{tmp_path / 'db' / 'dbos.sqlite'}"
    relative = Settings(database_url="sqlite:///./state/app.db")
    assert relative.system_database_url == "sqlite:///./state/dbos.sqlite"


def test_the_default_files_live_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.database_url == f"sqlite:///{tmp_path / 'cratedig.db'}"
    assert settings.system_database_url == f"sqlite:///{tmp_path / 'dbos.sqlite'}"
    assert settings.storage_url == f"file://{tmp_path / 'media'}"
    default = Settings()
    assert default.database_url == "sqlite:///./data/cratedig.db"
    assert default.storage_url == "file://./data/media"
    assert default.system_database_url == "sqlite:///./data/dbos.sqlite"


def test_postgresql_keeps_dbos_in_the_same_database() -> None:
    settings = Settings(database_url="postgresql+psycopg://u@db.internal/cratedig")
    assert settings.system_database_url == "postgresql://u@db.internal/cratedig"
