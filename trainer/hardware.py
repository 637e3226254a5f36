"""CPU facts the trainer decides by: native bf16 support and the thread count."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import torch

log = logging.getLogger(__name__)
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
    """bf16 matmuls are only fast with AMX-BF16 or AVX512-BF16 (oneDNN); elsewhere bf16 is emulated and slower."""
    return torch.backends.mkldnn.is_available() and any(flag in cpu_flags() for flag in NATIVE_BF16_FLAGS)


def frozen_base_dtype(setting: str) -> torch.dtype:
    """dtype of the frozen base weights; LoRA weights stay fp32 either way."""
    if setting == "bfloat16":
        return torch.bfloat16
    if setting == "float32":
        return torch.float32
    return torch.bfloat16 if cpu_has_native_bf16() else torch.float32


def configure_threads(requested: int) -> int:
    threads = requested or len(os.sched_getaffinity(0))
    torch.set_num_threads(threads)
    return threads
