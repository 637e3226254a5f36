"""CPU facts the services decide by: native bf16 matrix units and the thread count."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

NATIVE_BF16_FLAGS = ("amx_bf16", "avx512_bf16")
REPORTED_FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile")
# The CPU families benchmark results are kept under, each named by the first of these flags a CPU has.
FAMILY_FLAGS = (("amx_bf16", "amx"), ("avx512_bf16", "avx512-bf16"), ("avx2", "avx2"))
CPU_FAMILIES = tuple(family for _, family in FAMILY_FLAGS)
OTHER_FAMILY = "other"
log = logging.getLogger(__name__)


def _cpuinfo_field(name: str) -> str | None:
    """The first `name : value` line of /proc/cpuinfo (None where there is none, e.g. not Linux)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return None
    return next((line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith(name)), None)


def cpu_family(flags: Iterable[str]) -> str:
    """The family of a CPU with these flags (CPU_FAMILIES), or OTHER_FAMILY."""
    held = set(flags)
    return next((family for flag, family in FAMILY_FLAGS if flag in held), OTHER_FAMILY)


def cpu_flags() -> set[str]:
    return set((_cpuinfo_field("flags") or "").split())


def cpu_model() -> str:
    return _cpuinfo_field("model name") or "unknown"


def cpu_report() -> dict[str, object]:
    """What benchmarks record: the CPU model, which of the flags that matter here it has, and native bf16."""
    flags = cpu_flags()
    return {
        "cpu_model": cpu_model(),
        "cpu_flags": [flag for flag in REPORTED_FLAGS if flag in flags],
        "native_bf16": cpu_has_native_bf16(),
    }


def cpu_has_native_bf16() -> bool:
    """bf16 matmuls are fast only with AMX-BF16 or AVX512-BF16 (oneDNN); elsewhere bf16 is emulated and slower."""
    import torch

    return torch.backends.mkldnn.is_available() and any(flag in cpu_flags() for flag in NATIVE_BF16_FLAGS)


def configure_threads(requested: int) -> int:
    """Torch intra-op threads: `requested`, or every core this process may run on when 0."""
    import torch

    threads = requested or len(os.sched_getaffinity(0))
    torch.set_num_threads(threads)
    return threads


def dtype_for(setting: str, name: str = "dtype") -> torch.dtype:
    """`bfloat16` / `float32` as asked; `auto` = bf16 where the CPU has native bf16 units, else fp32.

    bf16 asked for on a CPU without native units still runs (torch emulates it, several times slower): warned."""
    import torch

    if setting == "bfloat16":
        if not cpu_has_native_bf16():
            log.warning(
                f"{name}=bfloat16 on a CPU without AMX-BF16/AVX512-BF16: bf16 is emulated there and much slower "
                f"than float32 — set {name}=auto or float32",
                extra={"cpu": cpu_model()},
            )
        return torch.bfloat16
    if setting == "float32":
        return torch.float32
    return torch.bfloat16 if cpu_has_native_bf16() else torch.float32
