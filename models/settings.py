"""Application settings, read from environment variables and `.env`.

`Settings` (`LD_*`) is what every process needs; `ScaleOutSettings` (`LD_SCALE_*`) only what the
multi-machine topology adds. Every machine of a scaled-out installation gets the same values; what
differs per machine is only which role it runs.
"""

from __future__ import annotations

from functools import cached_property, lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where the data lives and how the edges are reached. Built lazily by `get_settings()`."""

    model_config = SettingsConfigDict(env_prefix="LD_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default=Path(".learning-district"),
        description="Everything local lives here: SQLite database, notification outbox, reports.",
    )
    database_url: SecretStr | None = Field(
        default=None,
        description="SQLAlchemy URL; default SQLite under data_dir. "
        "PostgreSQL: postgresql+psycopg://user@host/db",
    )
    profile: Path | None = Field(
        default=None, description="District profile YAML; default the bundled profile."
    )
    apprise_config: Path | None = Field(
        default=None,
        description="Apprise YAML config with audience tags; default the local outbox file.",
    )
    delivery_concurrency: int = Field(
        default=64,
        ge=1,
        le=1024,
        description="Notification sends in flight at once, each to a different target "
        "(one target's messages go out one at a time, in order).",
    )
    intake_rate_per_minute: int = Field(
        default=120,
        ge=1,
        description="Posts accepted per client IP per minute, by `POST /ideas` and by each "
        "reply form `POST /r/…` (a bucket each) "
        "(a token bucket holding one minute's worth); beyond it 429 with Retry-After.",
    )
    intake_max_body_bytes: int = Field(
        default=64 * 1024,
        ge=1024,
        description="Largest request body `POST /ideas` reads; a larger one gets 413.",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8765",
        description="The portal's public base address (https://…): every personal link a "
        "message carries is <public_url>/r/<token>.",
    )

    @field_validator("public_url")
    @classmethod
    def _base_address(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("https://", "http://")) or "?" in value or "#" in value:
            raise ValueError(
                "LD_PUBLIC_URL must be an http(s) address without query, e.g. https://…"
            )
        return value

    @cached_property
    def sqlalchemy_url(self) -> str:
        """The database's URL, resolved once (every query asks for it)."""
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite:///{(self.data_dir / 'learning-district.db').resolve()}"

    @property
    def configured_public_url(self) -> str | None:
        """The portal's address if one was configured (`LD_PUBLIC_URL`), else None: a link to
        the local default would lead people nowhere."""
        return self.public_url if "public_url" in self.model_fields_set else None

    @property
    def outbox_file(self) -> Path:
        """The JSON-lines file that receives messages when no Apprise config is set."""
        return self.data_dir / "outbox.jsonl"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"


@lru_cache
def get_settings() -> Settings:
    """The settings of this process, read once on first use (never at import time)."""
    return Settings()


class ScaleOutSettings(BaseSettings):
    """Where the shared pieces of a multi-machine installation are."""

    model_config = SettingsConfigDict(env_prefix="LD_SCALE_", env_file=".env", extra="ignore")

    prefect_database_url: SecretStr = Field(
        min_length=1,
        description="The Prefect server's own PostgreSQL database: "
        "postgresql+asyncpg://user:password@host:5432/prefect",
    )
    redis_url: SecretStr = Field(
        min_length=1,
        description="Redis for Prefect's messaging, ordering, leases and docket: "
        "redis://host:6379/0",
    )
    work_pool: str = Field(default="district", description="The process work pool's name.")
    storage_path: Path | None = Field(
        default=None,
        description="Result and cache-record storage shared by every worker machine "
        "(a shared mount); default PREFECT_HOME/storage of each machine.",
    )
