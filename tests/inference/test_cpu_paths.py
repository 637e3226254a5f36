"""Every dtype runs on every CPU family: no private kernel without a fallback, batching exact on both."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F

from decoding.linear import exact_row_counts
from resolver_core import cpu
from tests.cpu_paths import AVX2_KERNELS, needs_native_bf16
from tests.servers import REPO_ROOT, service_env

DECODER_ON_THIS_PROCESS_KERNELS = """
import json, sys, torch
from decoding.decoder import LlamaDecoder
from decoding.exactness import exact_batching
from resolver_core import base_model
from resolver_core.prompt import encode_prompt
model = base_model.load_base_model(sys.argv[1], torch.float32)
tokenizer = base_model.load_tokenizer(sys.argv[1])
probes = [encode_prompt(tokenizer, text) for text in ("Docker push denied", "npm ci fails")]
decoder = LlamaDecoder(model, getattr(torch, sys.argv[2]), slots=4, max_positions=160, step_rows=12)
print(json.dumps({"packed": decoder.lm_head.packed, "invariant": exact_batching(decoder, probes)}))
"""


@pytest.mark.parametrize(
    ("kernels", "dtype"),
    [
        pytest.param(AVX2_KERNELS, "float32", id="avx2-fp32"),
        pytest.param(AVX2_KERNELS, "bfloat16", id="avx2-bf16"),
        pytest.param({}, "float32", id="this-cpu-fp32"),
        pytest.param({}, "bfloat16", id="this-cpu-bf16", marks=needs_native_bf16),
    ],
)
def test_decoder_is_batch_invariant_on_each_kernel_set(kernels, dtype, base_model_path):
    env = service_env({**kernels, "LOG_FORMAT": "text"})
    command = [sys.executable, "-c", DECODER_ON_THIS_PROCESS_KERNELS, str(base_model_path), dtype]
    result = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["invariant"] is True
    if kernels and dtype == "bfloat16":  # what an AVX2-only CPU does: oneDNN refuses to pack bf16, F.linear runs
        assert report["packed"] is False
        assert "weight packing is unavailable" in result.stderr


def test_auto_picks_fp32_without_native_bf16_and_warns_when_bf16_is_forced(monkeypatch, caplog):
    monkeypatch.setattr(cpu, "cpu_flags", lambda: {"avx", "avx2", "fma"})
    assert cpu.dtype_for("auto") == torch.float32
    with caplog.at_level(logging.WARNING):
        assert cpu.dtype_for("bfloat16", "INFERENCE_DTYPE") == torch.bfloat16
    assert "INFERENCE_DTYPE=bfloat16 on a CPU without AMX-BF16/AVX512-BF16" in caplog.text


def test_auto_picks_bf16_with_native_units(monkeypatch):
    monkeypatch.setattr(cpu, "cpu_flags", lambda: {"avx2", "avx512f", "amx_bf16"})
    assert cpu.dtype_for("auto") == torch.bfloat16


def _exact_product(weight: torch.Tensor):
    """Every row summed alike whatever the row count (float64 elementwise products, one reduction per row)."""
    return lambda x: (x.double().unsqueeze(1) * weight.double().unsqueeze(0)).sum(-1).to(weight.dtype)


def _one_row_split_k_product(weight: torch.Tensor):
    """Like a kernel that splits the reduction in two for a single row (as some GEMVs do across threads)."""
    exact, half = _exact_product(weight), weight.shape[1] // 2

    def product(x: torch.Tensor) -> torch.Tensor:
        if x.shape[0] > 1:
            return exact(x)
        parts = [F.linear(x[:, s].float(), weight[:, s].float()) for s in (slice(0, half), slice(half, None))]
        return (parts[0] + parts[1]).to(weight.dtype)

    return product


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16], ids=["fp32", "bf16"])
def test_row_count_check_catches_a_one_row_kernel_that_rounds_otherwise(dtype):
    """bf16 outputs round most reduction-order differences away on random data; the probe must not be fooled."""
    shape = torch.Size((96, 512))
    split = exact_row_counts(_one_row_split_k_product, shape, dtype, 16, kind=f"test-split-{dtype}")
    exact = exact_row_counts(_exact_product, shape, dtype, 16, kind=f"test-exact-{dtype}")
    assert 1 not in split and split[-1] == 16
    assert exact == (1, 2, 4, 8, 16)
