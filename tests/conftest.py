"""Shared fixtures. Servers run for real as subprocesses on loopback; the store is real SQLite."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from resolver_core.settings import DEFAULT_BASE_MODEL_PATH
from tests.servers import REPO_ROOT


@pytest.fixture(scope="session")
def base_model_path() -> Path:
    """The embedded base model, prepared by `make base-model` (make test runs it first)."""
    path = REPO_ROOT / DEFAULT_BASE_MODEL_PATH
    if not (path / "config.json").is_file():
        from resolver_core.base_model import prepare_embedded_base

        prepare_embedded_base(path)
    return path


def new_key() -> str:
    return secrets.token_urlsafe(24)
