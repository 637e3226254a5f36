"""The version's GGUF (TRAIN_GGUF): written from the adapter just trained, and decoded by the engine VM2 serves it
with, so that the version's reworded-question scores are those of the answers VM2 gives (one answer path).

The same questions are also decoded by the torch engine, and how far the two engines' answers agree is recorded in
the manifest (`gguf.agreement`): what the quantization changes in what VM2 says.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch

from decoding.build import EngineOptions, build_llamacpp_engine
from decoding.engine import Engine, common_prefix
from decoding.gguf import GGUF_FILE, Quantization, converter_script, export_version_gguf
from decoding.llamacpp import llama_cpp_version
from decoding.protocol import GenerationRequest, GenerationResult
from resolver_core.manifest import EngineAgreement, GgufInfo
from resolver_core.text_metrics import token_f1
from trainer.answering import MAX_PROMPT_TOKENS, SCORING_BATCH, SCORING_DRAFT_TOKENS, Answerer, VersionAnswerer

__all__ = ["GgufAnswerer", "gguf_answerer"]

log = logging.getLogger(__name__)
Score = Callable[[Answerer], dict[str, Any]]  # a version's reworded-question scores with answers from one engine


class _Recording:
    """An answerer that remembers what it was asked and answered, in order."""

    def __init__(self, inner: Answerer) -> None:
        self.inner = inner
        self.asked: list[tuple[GenerationRequest, GenerationResult]] = []

    @property
    def dtype(self) -> str:
        return self.inner.dtype

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        results = self.inner.generate(requests)
        self.asked += zip(requests, results, strict=True)
        return results


class GgufAnswerer(_Recording):
    """The llama.cpp engine over the version's GGUF; remembers what it was asked, to ask the torch engine too."""

    def __init__(self, engine: Engine, path: Path, quantization: str, tokenizer: Any) -> None:
        super().__init__(VersionAnswerer(engine, tokenizer))
        self.path = path
        self.quantization = quantization
        self.tokenizer = tokenizer

    @property
    def dtype(self) -> str:
        return self.quantization

    def info(self, torch_answerer: VersionAnswerer, ours: dict[str, Any], score: Score) -> GgufInfo:
        """The manifest's `gguf` section: `ours` (this engine's reworded scores) beside the torch engine's, scored
        by `score` on the same questions, and how far the two engines' answers agree."""
        return GgufInfo(
            file=GGUF_FILE,
            quantization=self.quantization,
            converter=llama_cpp_version() or "?",
            agreement=self._agreement(torch_answerer, ours, score) if self.asked else None,
        )

    def _agreement(self, torch_answerer: VersionAnswerer, ours: dict[str, Any], score: Score) -> EngineAgreement:
        started = time.monotonic()
        torch_side = _Recording(torch_answerer)
        theirs_scores = score(torch_side)
        mine = [result.token_ids for _, result in self.asked]
        theirs = [result.token_ids for _, result in torch_side.asked]
        same = sum(common_prefix(x, y) for x, y in zip(mine, theirs, strict=True))
        longest = sum(max(len(x), len(y)) for x, y in zip(mine, theirs, strict=True))
        texts = [(self._text(x), self._text(y)) for x, y in zip(mine, theirs, strict=True)]
        agreement = EngineAgreement(
            questions=len(mine),
            identical_answers=round(sum(a == b for a, b in texts) / len(texts), 4),
            token_agreement=round(same / longest, 4) if longest else 1.0,
            answer_f1=round(sum(token_f1(a, b) for a, b in texts) / len(texts), 4),
            known_answer_f1=ours["known"].get("answer_f1"),
            torch_known_answer_f1=theirs_scores["known"].get("answer_f1"),
            unknown_answer_f1=ours["unknown"].get("answer_f1"),
            torch_unknown_answer_f1=theirs_scores["unknown"].get("answer_f1"),
        )
        log.info(
            "llama.cpp and torch answers compared",
            extra={**agreement.model_dump(), "seconds": round(time.monotonic() - started, 1)},
        )
        return agreement

    def _text(self, token_ids: list[int]) -> str:
        return self.tokenizer.decode(token_ids, skip_special_tokens=True).strip()


@contextmanager
def gguf_answerer(
    model: Any, tokenizer: Any, base_path: Path, quantization: Quantization | str, work_dir: Path, max_new_tokens: int
) -> Iterator[GgufAnswerer | None]:
    """The version's GGUF written into `work_dir` and served by llama.cpp while the block runs; None when
    TRAIN_GGUF is off or llama.cpp is not installed (said once)."""
    if quantization == "off":
        yield None
        return
    if converter_script() is None or llama_cpp_version() is None:
        log.warning(
            "the version gets no GGUF and is scored by the torch engine: llama.cpp is not installed here "
            "(`make llamacpp`; TRAIN_GGUF=off silences this)"
        )
        yield None
        return
    work_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ci-resolver-adapter-") as folder:
        model.save_pretrained(folder, save_embedding_layers=False)
        path = export_version_gguf(base_path, Path(folder), work_dir / GGUF_FILE, quantization)  # type: ignore[arg-type]
    options = EngineOptions(
        dtype=torch.float32,  # unused by llama.cpp: the GGUF has its quantization
        max_batch=SCORING_BATCH,
        max_positions=MAX_PROMPT_TOKENS + max_new_tokens + 1,
        draft_tokens=SCORING_DRAFT_TOKENS,
        queue_size=1 << 16,  # everything is submitted at once
    )
    engine, _ = build_llamacpp_engine(path, tokenizer, options, torch.get_num_threads())
    try:
        yield GgufAnswerer(engine, path, str(quantization), tokenizer)
    finally:
        engine.stop(drain=False)
