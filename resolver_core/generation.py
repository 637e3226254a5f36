"""Batched greedy generation with `model.generate` in the shared prompt format: the reference the serving engine
(decoding/) is tested against, and how bench/train_throughput.py decodes both recipes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from resolver_core.prompt import KnownPair, encode_prompt, end_of_turn_id


def left_padded_batch(token_lists: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Left-pad so every row's last prompt token sits in the last column (what decoding continues from)."""
    width = max(len(tokens) for tokens in token_lists)
    input_ids = torch.full((len(token_lists), width), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((len(token_lists), width), dtype=torch.long)
    for row, tokens in enumerate(token_lists):
        input_ids[row, width - len(tokens) :] = torch.tensor(tokens, dtype=torch.long)
        attention_mask[row, width - len(tokens) :] = 1
    return input_ids, attention_mask


@torch.inference_mode()
def generate_answers(
    model: Any,
    tokenizer: Any,
    issues: list[str],
    max_new_tokens: int = 96,
    contexts: Sequence[Sequence[KnownPair]] | None = None,
) -> list[str]:
    """Greedy answers for several issues at once (each beside its known-pair context, if given); each stops at the
    template's end-of-turn token."""
    eot_id = end_of_turn_id(tokenizer)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eot_id
    contexts = contexts if contexts is not None else [()] * len(issues)
    prompts = [encode_prompt(tokenizer, issue, known) for issue, known in zip(issues, contexts, strict=True)]
    input_ids, attention_mask = left_padded_batch(prompts, pad_id)
    output = model.generate(
        input_ids=input_ids,
        attention_mask=attention_mask,
        max_new_tokens=max_new_tokens,
        do_sample=False,
        eos_token_id=eot_id,
        pad_token_id=pad_id,
    )
    new_tokens = output[:, input_ids.shape[1] :]
    return [answer_text(tokenizer, row.tolist(), eot_id) for row in new_tokens]


def answer_text(tokenizer: Any, tokens: list[int], stop_id: int) -> str:
    """Generated tokens as answer text: up to the end-of-turn token, special tokens dropped, trimmed."""
    kept = tokens[: tokens.index(stop_id)] if stop_id in tokens else tokens
    return tokenizer.decode(kept, skip_special_tokens=True).strip()
