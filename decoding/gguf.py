"""A version as one GGUF file, for the llama.cpp engine: base and adapter merged, then written by llama.cpp's own
converter (convert_hf_to_gguf.py from the llama-cpp-python source `make llamacpp` built, kept in the venv).

Merged, not base GGUF + GGUF LoRA: it decodes fastest, and the version stays self-contained — one file listed and
verified in its manifest like every other, copied by deploy, swapped by a reload (docs/decisions/llamacpp.md).
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Literal

__all__ = ["GGUF_FILE", "GgufExportError", "Quantization", "converter_script", "export_version_gguf"]

log = logging.getLogger(__name__)

GGUF_FILE = "model.gguf"
Quantization = Literal["q8_0", "q4_0", "q4_k_m", "f16", "bf16", "f32"]
_WRITTEN_BY_CONVERTER = ("q8_0", "f16", "bf16", "f32")
# The 4-bit types are made by llama.cpp's own quantizer (llama_model_quantize) from an F16 GGUF.
_LLAMA_FTYPES = {"q4_0": "LLAMA_FTYPE_MOSTLY_Q4_0", "q4_k_m": "LLAMA_FTYPE_MOSTLY_Q4_K_M"}
CONVERTER_HOME = Path(sys.prefix) / "share" / "ci-resolver" / "llama.cpp"  # where `make llamacpp` puts it
# transformers' newer tokenizer class name, which the converter's tokenizer loading does not know: the exported
# folder names the class it does, with the same tokenizer.json.
_CONVERTER_TOKENIZER_CLASS = "PreTrainedTokenizerFast"
_NOT_TOKENIZER_FILES = {"config.json", "model.safetensors.index.json"}


class GgufExportError(RuntimeError):
    """The converter is missing or failed; the message says what to do."""


def converter_script() -> Path | None:
    """llama.cpp's HF→GGUF converter, when `make llamacpp` installed it into this environment."""
    script = CONVERTER_HOME / "convert_hf_to_gguf.py"
    return script if script.is_file() else None


def export_version_gguf(base_path: Path, adapter_dir: Path, destination: Path, quantization: Quantization) -> Path:
    """Write base + the adapter in `adapter_dir`, merged, as `destination` (a GGUF of `quantization`)."""
    from decoding.build import merged_model  # torch: only when a GGUF is written

    return export_gguf(merged_model(Path(base_path), Path(adapter_dir)), Path(base_path), destination, quantization)


def export_gguf(model: Any, tokenizer_dir: Path, destination: Path, quantization: Quantization) -> Path:
    """Write a Hugging Face causal LM (in memory) with the tokenizer files of `tokenizer_dir` as `destination`."""
    script = converter_script()
    if script is None:
        raise GgufExportError(f"llama.cpp's converter is not installed in {CONVERTER_HOME}: run `make llamacpp`")
    with tempfile.TemporaryDirectory(prefix="ci-resolver-gguf-") as work:
        hf_dir = Path(work) / "model"
        model.save_pretrained(hf_dir)
        _copy_tokenizer(Path(tokenizer_dir), hf_dir)
        partial = Path(work) / "model.partial.gguf"
        if quantization in _WRITTEN_BY_CONVERTER:
            _convert(script, hf_dir, partial, quantization)
        else:
            _convert(script, hf_dir, Path(work) / "model.f16.gguf", "f16")
            _quantize(Path(work) / "model.f16.gguf", partial, quantization)
        shutil.move(partial, destination)
    log.info("GGUF written", extra={"file": str(destination), "quantization": quantization})
    return destination


def _copy_tokenizer(base_path: Path, folder: Path) -> None:
    """The base's tokenizer and template files beside the merged weights (the converter reads the vocabulary)."""
    for path in base_path.iterdir():
        if path.is_file() and path.name not in _NOT_TOKENIZER_FILES and path.suffix not in (".safetensors", ".bin"):
            shutil.copy(path, folder / path.name)
    config_path = folder / "tokenizer_config.json"
    if config_path.is_file():
        config = json.loads(config_path.read_text())
        if config.get("tokenizer_class") == "TokenizersBackend":
            config["tokenizer_class"] = _CONVERTER_TOKENIZER_CLASS
            config_path.write_text(json.dumps(config))


def _convert(script: Path, merged_dir: Path, destination: Path, quantization: Quantization) -> None:
    command = [sys.executable, str(script), str(merged_dir), "--outtype", quantization, "--outfile", str(destination)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    env.pop("NO_LOCAL_GGUF", None)  # the converter's own gguf-py beside it: the version it was written for
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0 or not destination.is_file():
        tail = "\n".join(done.stderr.strip().splitlines()[-8:])
        raise GgufExportError(f"llama.cpp's converter failed (exit {done.returncode}):\n{tail}")


def _quantize(source: Path, destination: Path, quantization: str) -> None:
    from decoding.llamacpp import llama_module

    llama_cpp = llama_module()
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, _LLAMA_FTYPES[quantization])
    if llama_cpp.llama_model_quantize(str(source).encode(), str(destination).encode(), ctypes.byref(params)) != 0:
        raise GgufExportError(f"llama.cpp could not quantize {source.name} to {quantization}")
