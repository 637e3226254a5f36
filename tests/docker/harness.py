"""Helpers for the Docker tests: docker/engine.sh, `docker compose` with a test env file, skip-or-fail."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import REPO_ROOT

ENGINE_SCRIPT = REPO_ROOT / "docker" / "engine.sh"
COMPOSE_FILES = {"vm1": REPO_ROOT / "compose.vm1.yml", "vm2": REPO_ROOT / "compose.vm2.yml"}


def docker_required() -> bool:
    """.ci/run sets CI_REQUIRE_DOCKER=1: there a missing engine is a failure, not a skip."""
    return os.environ.get("CI_REQUIRE_DOCKER") == "1"


def unavailable(reason: str) -> None:
    if docker_required():
        pytest.fail(f"{reason} (CI_REQUIRE_DOCKER=1 makes this a failure)")
    pytest.skip(reason)


def engine_script(command: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run docker/engine.sh COMMAND; its log lines go to stderr, its result (if any) to stdout."""
    return subprocess.run(
        [str(ENGINE_SCRIPT), command],
        cwd=REPO_ROOT,
        env={**os.environ, "PY": sys.executable},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def compose(
    stack: str, *args: str, env_file: Path, project: str | None = None, timeout: float = 600, check: bool = True
) -> subprocess.CompletedProcess:
    """`docker compose -f compose.<stack>.yml` with ENV_FILE as both the interpolation and the containers' env file,
    so a developer's own .env never leaks into a test."""
    command = ["docker", "compose", "--env-file", str(env_file), "-f", str(COMPOSE_FILES[stack])]
    if project:
        command += ["-p", project]
    command += ["--profile", "train", *args]
    result = subprocess.run(
        command,
        cwd=REPO_ROOT,
        env={**environment_without(env_file), "ENV_FILE": str(env_file)},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(command)} exited {result.returncode}\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )
    return result


def environment_without(env_file: Path) -> dict[str, str]:
    """os.environ minus the env file's variables: compose lets the caller's environment win over --env-file."""
    keys = {line.partition("=")[0] for line in env_file.read_text().splitlines() if "=" in line}
    return {name: value for name, value in os.environ.items() if name not in keys}


def write_env_file(path: Path, values: dict[str, str]) -> Path:
    path.write_text("".join(f"{key}={value}\n" for key, value in values.items()))
    return path
