"""Every dtype runs on every CPU family: no private kernel without a fallback, batching exact on both."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest
import torch

from resolver_core import cpu
from tests.cpu_paths import AVX2_KERNELS
from tests.servers import REPO_ROOT, service_env

DECODER_ON_THIS_PROCESS_KERNELS = """
import json, sys, torch
from inference.decoder import LlamaDecoder
from inference.exactness import exact_batching
from resolver_core import base_model
from resolver_core.prompt import encode_prompt
model = base_model.load_base_model(sys.argv[1], torch.float32)
tokenizer = base_model.load_tokenizer(sys.argv[1])
probes = [encode_prompt(tokenizer, text) for text in ("Docker push denied", "npm ci fails")]
decoder = LlamaDecoder(model, getattr(torch, sys.argv[2]), slots=4, max_positions=160, step_rows=12)
print(json.dumps({"packed": decoder.lm_head.packed, "invariant": exact_batching(decoder, probes)}))
"""


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_decoder_on_avx2_kernels_falls_back_and_stays_exact(dtype, base_model_path):
    env = service_env({**AVX2_KERNELS, "LOG_FORMAT": "text"})
    command = [sys.executable, "-c", DECODER_ON_THIS_PROCESS_KERNELS, str(base_model_path), dtype]
    result = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["invariant"] is True
    if dtype == "bfloat16":  # what an AVX2-only CPU does: oneDNN refuses to pack bf16, F.linear takes over
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
