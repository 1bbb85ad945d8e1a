"""Settings from the environment; the service refuses unsafe defaults outside development."""

from __future__ import annotations

import os

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from projections.records.personal_data import POSTGRES_TOPIC, SQLITE_TOPIC

def _secret(path: Path) -> str:
    """A secret kept in a file (Docker and Kubernetes secrets), without its trailing newline."""
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ValueError(f"cannot read the secret file {path}: {exc.strerror}") from None


class PostgresSettings(BaseSettings):
    """The eventsourcing library's own POSTGRES_* variables."""

    model_config = SettingsConfigDict(env_prefix="POSTGRES_", extra="ignore", populate_by_name=True)

    host: str = "127.0.0.1"
    port: int = 5432
    dbname: str = "ledger"
    user: str = "ledger"
    password: str = Field(default="", repr=False)
    password_file: Path | None = None  # POSTGRES_PASSWORD_FILE: read the password from it (a Docker secret)
    schema_name: str = Field(default="", alias="POSTGRES_SCHEMA")
    pool_size: int = 5
    max_overflow: int = 10
    connect_timeout: int = 10
    pre_ping: bool = True  # check a pooled connection before use: one PostgreSQL terminated is replaced

    @model_validator(mode="after")
    def read_password_file(self) -> PostgresSettings:
        if self.password_file is not None and not self.password:
            self.password = _secret(self.password_file)
        return self


class Settings(BaseSettings):
    """Every LEDGER_* setting, documented in the README."""

    model_config = SettingsConfigDict(env_prefix="LEDGER_", extra="ignore")

    environment: Literal["development", "production"] = "development"
    database: Literal["sqlite", "postgres"] = "sqlite"
    sqlite_path: Path = Path("var/ledger.sqlite")
    max_body_bytes: int = Field(default=65_536, ge=1_024, le=10_485_760)
    max_bank_file_bytes: int = Field(default=16_777_216, ge=1_024, le=67_108_864)  # POST /v1/bank-files
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    projection_wait_s: float = Field(default=5.0, ge=0, le=60)
    journal_follow: bool = True
    workers: int = Field(default=1, ge=1, le=32)  # `ledger serve` processes on one port (PostgreSQL only)
    journal_workers: int = Field(default_factory=lambda: min(4, os.cpu_count() or 1), ge=0, le=16)
    aggregate_cache_size: int = Field(default=2_000, ge=0, le=1_000_000)
    token_cache_s: float = Field(default=5.0, ge=0, le=300)
    audit_interval_s: float = Field(default=5.0, ge=0, le=3_600)
    audit_signing_key: SecretStr | None = Field(default=None, repr=False)
    audit_signing_key_file: Path | None = None  # the key from a file (a Docker secret) instead
    audit_key_path: Path = Path("var/audit-signing.key")
    audit_checkpoint_every: int = Field(default=100, ge=1, le=1_000_000)
    audit_checkpoint_minutes: float = Field(default=5.0, ge=0.01, le=1_440)
    audit_trusted_keys: Path | None = None
    scheduler_metrics_port: int = Field(default=0, ge=0, le=65_535)  # 0: the scheduler serves no metrics
    scheduler_metrics_host: str = Field(default="127.0.0.1", max_length=255)
    postgres: PostgresSettings = Field(default_factory=PostgresSettings)

    @model_validator(mode="after")
    def refuse_unsafe_production(self) -> Settings:
        if self.audit_signing_key is None and self.audit_signing_key_file is not None:
            self.audit_signing_key = SecretStr(_secret(self.audit_signing_key_file))
        if self.workers > 1 and self.database != "postgres":
            raise ValueError("LEDGER_WORKERS (serve --workers) above 1 needs PostgreSQL: an SQLite file "
                             "takes one process")
        if self.environment == "production":
            if self.database != "postgres":
                raise ValueError("production runs on PostgreSQL: set LEDGER_DATABASE=postgres")
            if not self.postgres.password:
                raise ValueError("production needs POSTGRES_PASSWORD")
            if self.audit_signing_key is None:
                raise ValueError("production needs LEDGER_AUDIT_SIGNING_KEY (a key file is for development)")
        return self

    def persistence_env(self) -> dict[str, str]:
        """The environment the eventsourcing application is built with."""
        # Aggregates read recently are kept in memory and brought up to date with one query for any
        # newer events (fast-forward); a command works on a deep copy, so a refused one leaves no trace.
        cache = {"AGGREGATE_CACHE_MAXSIZE": str(self.aggregate_cache_size)} if self.aggregate_cache_size else {}
        if self.database == "sqlite":
            self.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
            return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "APPLICATION_RECORDER_TOPIC": SQLITE_TOPIC,
                    "SQLITE_DBNAME": str(self.sqlite_path), "SQLITE_LOCK_TIMEOUT": "10", **cache}
        pg = self.postgres
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres", "APPLICATION_RECORDER_TOPIC": POSTGRES_TOPIC,
            "POSTGRES_HOST": pg.host,
            "POSTGRES_PORT": str(pg.port), "POSTGRES_DBNAME": pg.dbname, "POSTGRES_USER": pg.user,
            "POSTGRES_PASSWORD": pg.password, "POSTGRES_POOL_SIZE": str(pg.pool_size),
            "POSTGRES_MAX_OVERFLOW": str(pg.max_overflow),
            "POSTGRES_CONNECT_TIMEOUT": str(pg.connect_timeout),
            "POSTGRES_PRE_PING": "y" if pg.pre_ping else "n",
        }
        if pg.schema_name:
            env["POSTGRES_SCHEMA"] = pg.schema_name
        return {**env, **cache}

    def audit_signer(self) -> Any:
        """The checkpoint signer: the configured key, or in development a key file made once."""
        from projections.audit.signing import Ed25519Signer

        every, minutes = self.audit_checkpoint_every, self.audit_checkpoint_minutes
        if self.audit_signing_key is not None:
            return Ed25519Signer.from_base64(self.audit_signing_key.get_secret_value(), every, minutes)
        return Ed25519Signer.development(self.audit_key_path, every, minutes)

    def audit_trust(self, signer: Any) -> Any:
        """The keys verify trusts: the key list file if one is set (it must list the signing key, or the
        service would sign checkpoints its own verify refuses), else the signing key alone."""
        from projections.audit.trust import TrustedKeys

        if self.audit_trusted_keys is None:
            return TrustedKeys.only(signer.public_key)
        trusted = TrustedKeys.load(self.audit_trusted_keys)
        if signer.public_key not in trusted.public_keys():
            raise ValueError(f"LEDGER_AUDIT_TRUSTED_KEYS ({self.audit_trusted_keys}) does not list the signing "
                             "key's public key")
        return trusted
