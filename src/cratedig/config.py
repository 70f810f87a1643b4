"""One Settings object, read once from CRATEDIG_* environment variables and .env."""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from cratedig.media_settings import MediaSettings
from cratedig.sources.urls import parse_allowed_hosts
from cratedig.sqlite_paths import sqlite_file

DEFAULT_NOISE_TAGS = (
    "fyp,foryou,foryoupage,fy,fypシ,fypage,fypp,viral,viralvideo,trending,trend,xyzbca,"
    "tiktok,explore,explorepage,capcut,duet,stitch"
)
PROXY_SCHEMES = ("http://", "https://", "socks5://", "socks5h://", "socks4://", "socks4a://")


class Settings(BaseSettings):
    """All of cratedig's configuration."""

    model_config = SettingsConfigDict(
        env_prefix="CRATEDIG_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    env: str = Field("development", pattern="^(development|production)$")
    data_dir: Path = Path("data")
    # Where jobs work on files: one folder per live process (empty: <system temp dir>/cratedig).
    temp_dir: Path | None = None
    # Database: an SQLite file by default (DATA_DIR/cratedig.db), PostgreSQL in production.
    database_url: str = Field("", repr=False)  # may carry a password
    # Object storage: file://DIR (default DATA_DIR/media), s3://BUCKET[/PREFIX] (AWS, R2, any
    # S3 API), gs://BUCKET[/PREFIX].
    storage_url: str = ""
    s3_endpoint: str | None = None
    s3_region: str = "auto"
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = Field(None, repr=False)
    s3_force_path_style: bool = False
    gcs_service_account_path: str | None = None
    # Where browsers fetch media from (a CDN or an R2 public domain); empty: the API's /media.
    public_media_base_url: str = ""
    admin_token: str = Field("", repr=False)
    allowed_source_hosts: str = ""
    # HTTP surface: browser origins allowed by CORS (none by default), submissions per minute
    # per client (0: no limit), proxies whose X-Forwarded-For names the client, log format.
    cors_origins: str = ""
    submit_rate_per_minute: int = Field(30, ge=0, le=100_000)
    trusted_proxies: str = ""
    # Public reads (detail, status, listings) running at once per API process: each holds
    # one pooled database connection of its own, kept open between requests.
    read_connections: int = Field(8, ge=1, le=200)
    log_format: str = Field("auto", pattern="^(auto|text|json)$")
    log_level: str = Field("INFO", pattern="^(DEBUG|INFO|WARNING|ERROR)$")
    # Pipeline: DBOS system database (empty: beside the app database), queue limits.
    dbos_system_database_url: str = Field("", repr=False)
    worker_id: str = ""  # a stable name per worker slot; a restart with it resumes its work
    embedded_worker: bool = True  # the API process also runs pipelines (the default set-up)
    worker_concurrency: int = Field(2, ge=1, le=64)
    global_concurrency: int | None = Field(None, ge=1)
    fetch_rate_per_minute: int = Field(60, ge=1)
    # On SIGTERM a worker lets running steps finish this long, then exits; the rest rerun.
    shutdown_grace_seconds: float = Field(25.0, ge=0.0, le=3600.0)
    # Retries of network steps (fetch, images, creator, publish): attempts and first delay,
    # doubling each time; only retryable reasons (network, rate_limited, media_expired,
    # under_review) retry.
    fetch_attempts: int = Field(4, ge=1, le=20)
    fetch_retry_seconds: float = Field(2.0, ge=0.0, le=600.0)
    # A source's media download (direct or TikTok): its whole wall-clock time, and the pace it
    # must keep (bytes per second over any window of that many seconds; 0: no floor). Either
    # broken fails as `too_slow`, not retried. Pages and images keep their own limits.
    download_timeout_seconds: float = Field(600.0, gt=0.0, le=86_400.0)
    download_min_bytes_per_second: int = Field(16 * 1024, ge=0)
    download_slow_window_seconds: float = Field(30.0, gt=0.0, le=3600.0)
    # TikTok: an http(s)/socks proxy, a Netscape cookies file, the pace of page requests
    # across all workers, a timeout per request, and how long a creator's profile is fresh.
    tiktok_proxy: str | None = Field(None, repr=False)  # may carry credentials
    tiktok_cookies_file: Path | None = None
    tiktok_rps: float = Field(1.0, gt=0.0, le=100.0)
    tiktok_timeout_seconds: float = Field(20.0, gt=0.0, le=300.0)
    creator_ttl_hours: float = Field(24.0, ge=0.0)
    # Hashtags that say nothing about the sound, dropped from tags (comma-separated).
    noise_tags: str = DEFAULT_NOISE_TAGS
    media: MediaSettings = Field(default_factory=MediaSettings)

    @model_validator(mode="after")
    def _defaults_in_data_dir(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{_url_path(self.data_dir / 'cratedig.db')}"
        if not self.storage_url:
            self.storage_url = f"file://{_url_path(self.data_dir / 'media')}"
        return self

    def production_problems(self) -> list[str]:
        """What makes these settings unfit for production (empty outside production mode)."""
        if self.env != "production":
            return []
        problems = []
        if len(self.admin_token.strip()) < 24:
            problems.append("CRATEDIG_ADMIN_TOKEN must be set (24+ characters)")
        if self.database_url.startswith("sqlite"):
            problems.append("CRATEDIG_DATABASE_URL must be PostgreSQL, not SQLite")
        elif self.system_database_url.startswith("sqlite"):
            problems.append("CRATEDIG_DBOS_SYSTEM_DATABASE_URL must be PostgreSQL, not SQLite")
        return problems

    @field_validator("tiktok_proxy")
    @classmethod
    def _proxy_scheme(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith(PROXY_SCHEMES):
            raise ValueError(f"use a proxy URL starting with one of {', '.join(PROXY_SCHEMES)}")
        return value

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: str) -> str:
        for origin in (o.strip() for o in value.split(",") if o.strip()):
            if origin != "*" and not origin.startswith(("http://", "https://")):
                raise ValueError(f"not an origin: {origin!r} (use https://host[:port] or *)")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_networks(cls, value: str) -> str:
        parse_networks(value)
        return value

    @field_validator("tiktok_cookies_file")
    @classmethod
    def _cookies_exist(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no cookies file at {value}")
        return value

    @property
    def cors_origin_list(self) -> list[str]:
        """CRATEDIG_CORS_ORIGINS as a list of origins (`scheme://host[:port]`, or `*`)."""
        return [o.strip().rstrip("/") for o in self.cors_origins.split(",") if o.strip()]

    @property
    def json_logs(self) -> bool:
        """One JSON object per log line: asked for, or production mode with `auto`."""
        return self.log_format == "json" or (self.log_format == "auto" and self.env == "production")

    @property
    def noise_tag_set(self) -> frozenset[str]:
        """CRATEDIG_NOISE_TAGS as a set of lower-case tags without '#'."""
        return frozenset(
            t.strip().lstrip("#").lower() for t in self.noise_tags.split(",") if t.strip()
        )

    @property
    def allowed_hosts(self) -> frozenset[str]:
        """CRATEDIG_ALLOWED_SOURCE_HOSTS as a set of lower-case host names."""
        return parse_allowed_hosts(self.allowed_source_hosts)

    @property
    def system_database_url(self) -> str:
        """Where DBOS keeps workflow state: the given URL, or beside the app database (its
        SQLite file's folder, or the same PostgreSQL database)."""
        if self.dbos_system_database_url:
            return self.dbos_system_database_url
        if self.database_url.startswith("sqlite"):
            app_file = sqlite_file(self.database_url)
            folder = app_file.parent if app_file is not None else self.data_dir
            return f"sqlite:///{_url_path(folder / 'dbos.sqlite')}"
        return self.database_url.replace("postgresql+psycopg://", "postgresql://", 1)


def _url_path(path: Path) -> str:
    """A path as a URL spells it: relative ones start with ./ (sqlite:///./data/x.db)."""
    return path.as_posix() if path.is_absolute() else f"./{path.as_posix()}"


def parse_networks(value: str) -> tuple[IPv4Network | IPv6Network, ...]:
    """Comma-separated addresses or CIDR networks (CRATEDIG_TRUSTED_PROXIES)."""
    try:
        return tuple(ip_network(part.strip()) for part in value.split(",") if part.strip())
    except ValueError as exc:
        raise ValueError(f"not an address or network list: {value!r} ({exc})") from exc


def load_settings() -> Settings:
    """Read the settings from the environment (and .env) once."""
    return Settings()
