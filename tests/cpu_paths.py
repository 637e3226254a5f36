"""The two CPU families this project meets, for tests: the machine's own kernels, and an AVX2-only CPU's.

Capping oneDNN's and MKL's instruction sets makes an AVX-512/AMX machine run the kernels an AMD EPYC with AVX2
only runs (oneDNN then refuses bf16 weight packing exactly as such a CPU does), so every machine proves both
paths. The variables must be set before torch starts: they are for subprocesses."""

from __future__ import annotations

import pytest

from resolver_core.cpu import cpu_has_native_bf16

AVX2_KERNELS = {"ONEDNN_MAX_CPU_ISA": "AVX2", "MKL_ENABLE_INSTRUCTIONS": "AVX2", "ATEN_CPU_CAPABILITY": "avx2"}

needs_native_bf16 = pytest.mark.skipif(
    not cpu_has_native_bf16(), reason="bf16 runs emulated on this CPU (no AMX-BF16/AVX512-BF16): fp32 is its path"
)

# fp32 always; bf16 only where the CPU has it natively (elsewhere it is not what `auto` serves).
DTYPES = [pytest.param("float32", id="fp32"), pytest.param("bfloat16", id="bf16", marks=needs_native_bf16)]
