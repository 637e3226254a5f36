"""Answering as VM2 answers, for every score a version records.

The adapter being trained is saved, merged into a fresh fp32 copy of the base (decoding.build.merged_model, the
function VM2 loads a version with) and decoded by the serving engine: batched, with the nearest known resolutions
as exact drafts, greedy. Requests and answers come from decoding.answer, the path VM2 serves through, under VM2's
default limits: the answers a version is scored on are the ones VM2 gives for the same questions and dtype, and
scoring costs what serving costs (bench/scoring.py measures it against `model.generate`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import torch

from decoding.answer import Answering, Asked
from decoding.build import EngineOptions, build_engine, merged_model
from decoding.engine import Engine
from decoding.protocol import GenerationRequest, GenerationResult
from resolver_core.grounding import CLOSENESS, Grounding
from resolver_core.manifest import NEVER_CLOSE
from resolver_core.prompt import end_of_turn_id
from resolver_core.retrieval import SimilarPairs
from resolver_core.settings import InferenceSettings

__all__ = ["MAX_NEW_TOKENS", "Answerer", "VersionAnswerer", "version_answerer"]

_SERVING = InferenceSettings.model_fields  # VM2's defaults: versions are scored under the limits VM2 serves with
MAX_PROMPT_TOKENS: int = _SERVING["inference_max_prompt_tokens"].default
MAX_NEW_TOKENS: int = _SERVING["inference_max_new_tokens"].default
SIMILAR_K: int = _SERVING["inference_similar_k"].default
SCORING_BATCH: int = _SERVING["inference_max_batch"].default  # answers do not depend on it: batching is exact
SCORING_DRAFT_TOKENS: int = _SERVING["inference_draft_tokens"].default


class Answerer(Protocol):
    """What scores a version's answers: an engine over it, and the dtype or quantization it decodes in."""

    @property
    def dtype(self) -> str: ...

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]: ...


class VersionAnswerer:
    """The serving engine over the adapter being trained, fed the requests decoding.answer builds."""

    def __init__(self, engine: Engine, tokenizer: Any) -> None:
        self.engine = engine
        self.tokenizer = tokenizer
        self.end_of_turn = end_of_turn_id(tokenizer)

    @property
    def dtype(self) -> str:
        return str(self.engine.decoder.dtype).removeprefix("torch.")

    def answering(self, index: SimilarPairs, context_pairs: int) -> Answering:
        """How VM2 answers with this version's known pairs, before its grounding is calibrated: every answer
        generated (the policy and threshold are chosen on these answers)."""
        generated = Grounding(context_pairs, NEVER_CLOSE, "model", "model", CLOSENESS)
        return Answering(self.tokenizer, index, generated, self.end_of_turn, MAX_PROMPT_TOKENS, SIMILAR_K)

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        """Decoded together, results in the order asked."""
        futures = [self.engine.submit(request) for request in requests]
        return [future.result() for future in futures]

    def texts(self, answering: Answering, asked: Sequence[Asked], max_new_tokens: int) -> list[str]:
        """The generated answers to `asked`, as VM2 gives them with the policy "model"."""
        results = self.generate([answering.request(a, max_new_tokens) for a in asked])
        return [answering.answer(a, result).text for a, result in zip(asked, results, strict=True)]


@contextmanager
def version_answerer(
    model: Any, tokenizer: Any, base_path: Path, dtype: torch.dtype, max_new_tokens: int
) -> Iterator[VersionAnswerer]:
    """An answerer over `model`'s current adapter (a PEFT model), for as long as the block runs."""
    with tempfile.TemporaryDirectory(prefix="ci-resolver-answering-") as folder:
        model.save_pretrained(folder, save_embedding_layers=False)
        merged = merged_model(base_path, Path(folder))
    options = EngineOptions(
        dtype=dtype,
        max_batch=SCORING_BATCH,
        max_positions=MAX_PROMPT_TOKENS + max_new_tokens + 1,
        draft_tokens=SCORING_DRAFT_TOKENS,
        queue_size=1 << 16,  # everything is submitted at once
    )
    engine, _ = build_engine(merged, tokenizer, options)
    del merged
    try:
        yield VersionAnswerer(engine, tokenizer)
    finally:
        engine.stop(drain=False)
