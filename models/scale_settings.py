"""Settings of the scale-out topology (README "Scale-out"): read from `LD_SCALE_*` variables.

Every machine of an installation gets the same values; what differs per machine is only which
role it runs (`learning-district scale-out run ROLE`). The application database is the usual
`LD_DATABASE_URL` (PostgreSQL when scaled out).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


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
