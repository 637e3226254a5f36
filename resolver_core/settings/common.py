"""What every process shares: the common settings, named API keys, configuration errors, the dotenv file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", "your_secret_api_key_here", "key", "password"}
MIN_KEY_LENGTH = 16
DEFAULT_BASE_MODEL_PATH = Path("models/base/smollm2-135m-instruct")


class ConfigError(RuntimeError):
    """A configuration problem the user must fix; the message says how."""


def parse_named_keys(raw: str, variable: str) -> dict[str, str]:
    """Parse ``name:key,name:key`` into {key: name}, refusing placeholders and short keys."""
    keys: dict[str, str] = {}
    for entry in filter(None, (part.strip() for part in raw.split(","))):
        name, sep, key = entry.partition(":")
        if not sep or not name.strip() or not key.strip():
            raise ConfigError(f"{variable}: entry {name.strip() or '?'!r} must look like name:key")
        key = key.strip()
        if key.lower() in PLACEHOLDER_SECRETS or len(key) < MIN_KEY_LENGTH:
            raise ConfigError(
                f"{variable}: the key for {name.strip()!r} is a placeholder or shorter than {MIN_KEY_LENGTH} "
                "characters; generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        keys[key] = name.strip()
    return keys


def env_file() -> str | None:
    """The dotenv file the settings read: ENV_FILE if set, else ./.env when it exists."""
    explicit = os.environ.get("ENV_FILE")
    if explicit:
        return explicit
    return ".env" if Path(".env").is_file() else None


class CommonSettings(BaseSettings):
    """Shared by every process."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    data_dir: Path = Field(
        Path("data"),
        description="VM1: the pair store (pairs.db) and the seed import file; VM2: answers and feedback (feedback.db).",
    )
    database_url: SecretStr = Field(
        SecretStr(""),
        description="Pair store: empty = SQLite at DATA_DIR/pairs.db; postgresql://user:password@host:5432/db.",
    )
    models_dir: Path = Field(Path("models"), description="Model registry: one immutable folder per version.")
    base_model_path: Path = Field(
        DEFAULT_BASE_MODEL_PATH, description="Local HF causal-LM folder of the base model (make base-model)."
    )
    log_level: str = Field("INFO", description="Logging level: DEBUG, INFO, WARNING, ERROR.")
    log_format: Literal["json", "text"] = Field("json", description="Log lines as JSON objects or plain text.")

    @classmethod
    def load(cls, **overrides: object):
        return cls(_env_file=env_file(), **overrides)  # type: ignore[call-arg]
