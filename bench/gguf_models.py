"""Models for bench/engines.py: GGUFs of a Hugging Face folder, and a servable version of Llama-3.2-1B's shape
(random-init base, an adapter that changes nothing, its GGUF) — made in a scratch folder, nothing downloaded."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import torch

from bench.shapes import llama_1b_config
from decoding.gguf import GGUF_FILE, export_gguf
from decoding.llamacpp import llama_cpp_version
from resolver_core import base_model, registry
from resolver_core.manifest import BaseFingerprint, GgufInfo, Manifest, TokenizerInfo
from resolver_core.prompt import template_fingerprint
from resolver_core.settings import DEFAULT_BASE_MODEL_PATH

REPO = Path(__file__).resolve().parent.parent
TOKENIZER_DIR = REPO / DEFAULT_BASE_MODEL_PATH  # the embedded model's tokenizer: its ids fit any vocabulary as big


def quantize_gguf(hf_dir: Path, destination: Path, quantization: str) -> Path:
    """The model in `hf_dir` as a GGUF of `quantization`."""
    model = base_model.load_base_model(hf_dir, torch.float32)
    return export_gguf(model, TOKENIZER_DIR, destination, quantization)  # type: ignore[arg-type]


def one_b_versions(scratch: Path, quantizations: list[str]) -> list[dict[str, Any]]:
    """Versions of the 1B shape VM2 can serve, one per quantization over one random-init base:
    [{models_dir, base_path, version, gguf, quantization}]."""
    from transformers import LlamaForCausalLM

    base_path = scratch / "base-llama-1b-shape"
    torch.manual_seed(0)
    model = LlamaForCausalLM(llama_1b_config()).eval()
    model.save_pretrained(base_path)
    for name in ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja"):
        if (TOKENIZER_DIR / name).is_file():
            shutil.copy(TOKENIZER_DIR / name, base_path / name)
    fingerprint = base_model.fingerprint(base_path)
    versions = [_version(model, base_path, fingerprint, scratch / "models", q) for q in quantizations]
    del model
    return versions


def _version(model: Any, base_path: Path, fingerprint: dict, models_dir: Path, quantization: str) -> dict[str, Any]:
    from peft import LoraConfig, get_peft_model

    version = registry.new_version_id(models_dir)
    staging = registry.staging_dir(models_dir, version)
    staging.mkdir(parents=True)
    export_gguf(model, TOKENIZER_DIR, staging / GGUF_FILE, quantization)  # type: ignore[arg-type]
    adapter = LoraConfig(r=16, lora_alpha=32, target_modules="all-linear", task_type="CAUSAL_LM")  # B = 0
    peft_model = get_peft_model(model, adapter)  # wraps the model in place: undone below
    peft_model.save_pretrained(staging)
    peft_model.unload()
    (staging / "README.md").unlink(missing_ok=True)
    manifest = Manifest(
        version=version,
        base_model=BaseFingerprint(**fingerprint),
        tokenizer=TokenizerInfo(template_sha256=template_fingerprint(base_model.load_tokenizer(base_path))),
        gguf=GgufInfo(file=GGUF_FILE, quantization=quantization, converter=llama_cpp_version() or "?"),
    )
    registry.write_manifest(staging, manifest)
    registry.publish_version(models_dir, version)
    folder = models_dir / version
    return {
        "models_dir": models_dir,
        "base_path": base_path,
        "version": version,
        "gguf": folder / GGUF_FILE,
        "quantization": quantization,
    }
