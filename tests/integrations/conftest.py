"""The CI integrations against a real VM2 server: the shared test version, answering known failures verbatim."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from joblog.wrapping import wrap_excerpt
from tests.servers import REPO_ROOT, RunningServer
from tests.vm2 import PYTEST_FAILURE, Vm2, vm2_server

TOOLS = REPO_ROOT / "integrations" / "test-tools" / "node_modules" / ".bin"


@dataclass(frozen=True)
class AnsweringVm2:
    server: RunningServer
    known_log: Path  # a made job log with a failure the version knows, buried in ordinary output
    known_issue: str  # that failure's known pair


@pytest.fixture(scope="session")
def answering_vm2(vm2: Vm2, tmp_path_factory) -> Iterator[AnsweringVm2]:
    folder = tmp_path_factory.mktemp("integrations-vm2")
    settings = {"DATA_DIR": str(folder / "data"), "INFERENCE_ANSWER_POLICY": "version"}
    log = folder / "job.log"
    log.write_bytes(wrap_excerpt(PYTEST_FAILURE, "python", 11, 150_000).data)
    issue = next(pair["issue"] for pair in vm2.pairs if "ModuleNotFoundError" in pair["issue"])
    with vm2_server(vm2, folder, **settings) as running:
        yield AnsweringVm2(running, log, issue)


def tool(name: str) -> str:
    """A test tool `make integration-tools` installs (integrations/test-tools)."""
    path = TOOLS / name
    assert path.is_file(), f"{path} is missing: run `make integration-tools`"
    return str(path)


def java_home() -> str:
    """Where the JVM lives (Debian's groovy looks for default-java, which a JDK from elsewhere does not provide)."""
    if os.environ.get("JAVA_HOME"):
        return os.environ["JAVA_HOME"]
    java = shutil.which("java")
    assert java, "java is missing: run `make system-tools`"
    return str(Path(java).resolve().parent.parent)
