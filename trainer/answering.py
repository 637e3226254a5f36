"""Answering as VM2 answers, for every score a version records.

The adapter being trained is saved, merged into a fresh fp32 copy of the base (decoding.build.merged_model, the
function VM2 loads a version with) and decoded by the serving engine: batched, with the nearest known resolutions
as exact drafts, greedy. So the answers a version is scored on are the ones VM2 gives for the same prompts and
dtype, and scoring costs what serving costs (bench/scoring.py: 1.7× faster than `model.generate` in fp32 on
AVX2 kernels, 1.2× in bf16).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch

from decoding.build import EngineOptions, build_engine, merged_model
from decoding.engine import Engine
from decoding.serving import GenerationRequest
from resolver_core.generation import answer_text
from resolver_core.prompt import KnownPair, encode_answer, end_of_turn_id, fit_prompt

__all__ = ["MAX_PROMPT_TOKENS", "VersionAnswerer", "version_answerer"]

MAX_PROMPT_TOKENS = 1024  # VM2's default INFERENCE_MAX_PROMPT_TOKENS
SCORING_BATCH = 8  # VM2's default INFERENCE_MAX_BATCH (answers do not depend on it: batching is exact)
SCORING_DRAFT_TOKENS = 8  # VM2's default INFERENCE_DRAFT_TOKENS


class VersionAnswerer:
    """Greedy answers from a started engine, in the order asked."""

    def __init__(self, engine: Engine, tokenizer: Any, max_new_tokens: int) -> None:
        self.engine = engine
        self.tokenizer = tokenizer
        self.max_new_tokens = max_new_tokens
        self.end_of_turn = end_of_turn_id(tokenizer)

    def __call__(
        self,
        issues: Sequence[str],
        contexts: Sequence[Sequence[KnownPair]],
        drafts: Sequence[Sequence[KnownPair]] | None = None,
        max_new_tokens: int | None = None,
    ) -> list[str]:
        """Each issue beside its context (pairs dropped from the last to fit, as VM2 does), drafting from the
        resolutions in `drafts`; at most `max_new_tokens` (default: the answerer's) per answer."""
        drafts = drafts if drafts is not None else [()] * len(issues)
        futures = [
            self.engine.submit(self._request(issue, context, sources, max_new_tokens or self.max_new_tokens))
            for issue, context, sources in zip(issues, contexts, drafts, strict=True)
        ]
        return [answer_text(self.tokenizer, future.result().token_ids, self.end_of_turn) for future in futures]

    def _request(
        self, issue: str, context: Sequence[KnownPair], sources: Sequence[KnownPair], max_new_tokens: int
    ) -> GenerationRequest:
        prompt_ids = fit_prompt(self.tokenizer, issue, context, MAX_PROMPT_TOKENS)[-MAX_PROMPT_TOKENS:]
        return GenerationRequest(
            prompt_ids=prompt_ids,
            max_new_tokens=min(max_new_tokens, self.max_new_tokens),
            drafts=[encode_answer(self.tokenizer, pair.resolution, self.end_of_turn) for pair in sources],
        )


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
        yield VersionAnswerer(engine, tokenizer, max_new_tokens)
    finally:
        engine.stop(drain=False)
