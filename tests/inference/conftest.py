"""More VM2 servers and helpers for the inference tests (the shared VM2 and its server: tests/vm2.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.cpu_paths import AVX2_KERNELS
from tests.servers import RunningServer
from tests.vm2 import EXPORT_KEY, MAX_NEW_TOKENS, Vm2, run_deploy, vm2_server

__all__ = ["EXPORT_KEY", "MAX_NEW_TOKENS", "Vm2", "add_version_copy", "corrupt", "run_deploy"]


@pytest.fixture(scope="session")
def avx2_fp32_server(vm2: Vm2, tmp_path_factory) -> RunningServer:
    """The same version served the way an AVX2-only CPU serves it: fp32 on AVX2 kernels."""
    with vm2_server(
        vm2, tmp_path_factory.mktemp("inference-avx2"), INFERENCE_DTYPE="float32", **AVX2_KERNELS
    ) as running:
        yield running


def add_version_copy(vm2: Vm2, new_id: str) -> Path:
    """Another version folder beside the deployed one (same files, writable), e.g. to damage it."""
    destination = vm2.models_dir / new_id
    shutil.copytree(vm2.models_dir / vm2.version, destination)
    for path in destination.iterdir():
        path.chmod(0o644)
    return destination


def corrupt(path: Path) -> None:
    """Flip one byte in the middle of a file (what a bad disk or an interrupted copy leaves)."""
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
