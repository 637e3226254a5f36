"""The compose files validate without an engine and describe the two VMs as documented."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.docker.harness import compose, write_env_file

PINNED_VERSION = "20261126T083100Z"


@pytest.fixture
def env_file(tmp_path: Path) -> Path:
    return write_env_file(
        tmp_path / "test.env", {"MODEL_VERSION": PINNED_VERSION, "SUBMISSION_API_KEYS": "ci:" + "k" * 24}
    )


def resolved(stack: str, env_file: Path) -> dict:
    return json.loads(compose(stack, "config", "--format", "json", env_file=env_file).stdout)


def mount(service: dict, target: str) -> dict:
    return next(volume for volume in service["volumes"] if volume["target"] == target)


@pytest.mark.parametrize("stack", ["vm1", "vm2"])
def test_compose_file_is_valid(compose_cli, stack: str, env_file: Path) -> None:
    assert compose(stack, "config", "-q", env_file=env_file).returncode == 0


def test_vm1_runs_submission_always_and_the_trainer_on_demand(compose_cli, env_file: Path) -> None:
    services = resolved("vm1", env_file)["services"]
    submission, trainer = services["submission"], services["trainer"]
    assert [port["target"] for port in submission["ports"]] == [5001]
    assert submission["init"] is True
    assert "profiles" not in submission
    assert trainer["profiles"] == ["train"]
    for service in (submission, trainer):
        assert not service["user"].startswith("0"), "containers must not run as root"
        assert mount(service, "/app/data")["type"] == "bind"
        assert mount(service, "/app/models")["type"] == "bind"
        assert service["build"]["args"]["BASE_IMAGE"] == "python:3.11-slim"


def test_vm1_postgres_is_optional_and_ships_no_password(compose_cli, env_file: Path) -> None:
    services = resolved("vm1", env_file)["services"]
    assert "postgres" not in services  # only with --profile postgres
    with_postgres = json.loads(
        compose("vm1", "--profile", "postgres", "config", "--format", "json", env_file=env_file).stdout
    )["services"]["postgres"]
    assert with_postgres["profiles"] == ["postgres"]
    assert with_postgres["environment"]["POSTGRES_PASSWORD"] == ""


def test_vm2_serves_the_pinned_version_from_read_only_models(compose_cli, env_file: Path) -> None:
    inference = resolved("vm2", env_file)["services"]["inference"]
    assert [port["target"] for port in inference["ports"]] == [5000]
    assert inference["environment"]["MODEL_VERSION"] == PINNED_VERSION
    assert mount(inference, "/app/models")["read_only"] is True
    assert not mount(inference, "/app/data").get("read_only")  # answers and feedback: VM2's own, writable
    assert inference["environment"]["DATA_DIR"] == "/app/data"
    assert inference["init"] is True
