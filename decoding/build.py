"""From a version (base folder + LoRA adapter) to a started engine, the same way in the trainer and on VM2."""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch

from decoding.decoder import LlamaDecoder
from decoding.engine import Engine, step_rows_for
from decoding.exactness import exact_batching
from decoding.llamacpp import LlamaCppDecoder
from decoding.protocol import GenerationRequest
from resolver_core import base_model
from resolver_core.cpu import cpu_model
from resolver_core.prompt import encode_prompt, end_of_turn_id

__all__ = ["EngineOptions", "build_engine", "build_llamacpp_engine", "merged_model", "shared_prompt_prefix"]

log = logging.getLogger(__name__)
PROBE_ISSUES = ("Build failed due to missing dependency", "npm ci fails")


@dataclass(frozen=True)
class EngineOptions:
    dtype: torch.dtype
    max_batch: int
    max_positions: int  # longest prompt + answer the KV cache holds
    draft_tokens: int
    queue_size: int


def merged_model(base_path: Path, adapter_dir: Path) -> Any:
    """Base + LoRA adapter merged into plain weights in fp32 (then cast once): no adapter math per token."""
    from peft import PeftModel

    base = base_model.load_base_model(base_path, torch.float32)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
        return PeftModel.from_pretrained(base, str(adapter_dir)).merge_and_unload().eval()


def shared_prompt_prefix(tokenizer: Any) -> list[int]:
    """Tokens every prompt starts with (system message and template header), computed once per engine."""
    a, b = encode_prompt(tokenizer, "alpha beta"), encode_prompt(tokenizer, "0 zz")
    length = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    return a[:length]


def build_engine(model: Any, tokenizer: Any, options: EngineOptions, observe_step=None) -> tuple[Engine, bool]:
    """A started, warmed-up engine over `model`'s weights, and whether batching is exact on this CPU and dtype.

    Batching and drafts are on only when the start-up probe finds batched rows bit-identical to single rows; else
    requests run one at a time, so an answer never depends on what else is decoded beside it."""
    step_rows = step_rows_for(options.max_batch, options.draft_tokens)
    decoder = LlamaDecoder(
        model, options.dtype, slots=options.max_batch, max_positions=options.max_positions, step_rows=step_rows
    )
    return _start(decoder, tokenizer, options, observe_step)


def build_llamacpp_engine(
    gguf_path: Path, tokenizer: Any, options: EngineOptions, threads: int, observe_step=None
) -> tuple[Engine, bool]:
    """The same engine over llama.cpp decoding a version's GGUF (LlamaCppUnavailableError without llama.cpp);
    `options.dtype` does not apply: the GGUF has its quantization."""
    step_rows = step_rows_for(options.max_batch, options.draft_tokens)
    decoder = LlamaCppDecoder(gguf_path, options.max_batch, options.max_positions, threads, step_rows)
    if options.max_batch > 1 and not exact_batching(decoder, _probes(tokenizer)):
        # Rows decoded together are not bit-identical to rows alone with this CPU's kernels: one request at a time,
        # over a one-slot cache (a smaller cache also makes every step's attention cheaper).
        log.warning(
            "llama.cpp: rows decoded together differ from rows decoded alone on this CPU and quantization: "
            "requests are decoded one at a time to keep every answer independent of the others",
            extra={"quantization": decoder.dtype, "cpu": cpu_model()},
        )
        decoder.close()
        options = replace(options, max_batch=1)
        decoder = LlamaCppDecoder(gguf_path, 1, options.max_positions, threads, step_rows_for(1, options.draft_tokens))
    return _start(decoder, tokenizer, options, observe_step)


def _probes(tokenizer: Any) -> list[list[int]]:
    return [encode_prompt(tokenizer, text) for text in PROBE_ISSUES]


def _start(decoder: Any, tokenizer: Any, options: EngineOptions, observe_step) -> tuple[Engine, bool]:
    probes = _probes(tokenizer)
    invariant = exact_batching(decoder, probes)
    if not invariant:
        log.error(
            "batched rows were not bit-identical to single rows on this CPU: batching and drafts are off to keep "
            "answers identical — please report this CPU and dtype",
            extra={"decoder": decoder.kind, "dtype": str(decoder.dtype), "cpu": cpu_model()},
        )
    engine = Engine(
        decoder,
        stop_ids(tokenizer),
        shared_prompt_prefix(tokenizer),
        options.max_batch if invariant else 1,
        options.queue_size,
        observe_step,
        draft_tokens=options.draft_tokens if invariant else 0,
    ).start()
    engine.generate(GenerationRequest(prompt_ids=probes[0], max_new_tokens=2))  # warm-up: page weights in
    return engine, invariant


def stop_ids(tokenizer: Any) -> set[int]:
    """Tokens that end an answer: the template's end of turn, and the tokenizer's end of sequence."""
    eos = tokenizer.eos_token_id
    return {end_of_turn_id(tokenizer)} | ({eos} if eos is not None else set())
