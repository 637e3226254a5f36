"""CPU facts the services decide by: native bf16 matrix units and the thread count."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

NATIVE_BF16_FLAGS = ("amx_bf16", "avx512_bf16")


def cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


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


def dtype_for(setting: str) -> torch.dtype:
    """`bfloat16` / `float32` as asked; `auto` = bf16 where the CPU has native bf16 units, else fp32."""
    import torch

    if setting == "bfloat16":
        return torch.bfloat16
    if setting == "float32":
        return torch.float32
    return torch.bfloat16 if cpu_has_native_bf16() else torch.float32
