"""LoRA on the top layers only: the frozen layers below run once per run instead of once per step.

Layers under the lowest adapted one are frozen and deterministic (no LoRA, no dropout in them), so their output for
an example never changes during a run: it is computed once, kept per example, and every step starts from it. A step
then costs the adapted layers' forward and backward only. With LoRA on the top third of a 30-layer model that is
about a third of the full step's arithmetic, measured in bench/train_throughput.py.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import torch
from transformers.masking_utils import create_causal_mask

from resolver_core.prompt import EncodedExample

log = logging.getLogger(__name__)
BOTTOM_BATCH = 16  # examples per no-grad forward when filling the cache


def decoder_layers(model: Any) -> Any:
    return model.get_base_model().get_decoder().layers


def first_trainable_layer(model: Any) -> int:
    """Index of the lowest decoder layer with a trainable parameter (layer count when none has)."""
    layers = decoder_layers(model)
    return next(
        (index for index, layer in enumerate(layers) if any(p.requires_grad for p in layer.parameters())), len(layers)
    )


def run_layers(
    decoder: Any, hidden: torch.Tensor, attention_mask: torch.Tensor, first: int, last: int, cache: Any = None
) -> torch.Tensor:
    """Decoder layers first..last-1 on hidden states (after any positions already in `cache`), no final norm."""
    past = cache.get_seq_length() if cache is not None else 0
    position_ids = (torch.arange(hidden.shape[1]) + past).unsqueeze(0)
    mask = create_causal_mask(
        config=decoder.config, inputs_embeds=hidden, attention_mask=attention_mask, cache=cache,
        position_ids=position_ids,
    )  # fmt: skip
    position_embeddings = decoder.rotary_emb(hidden, position_ids=position_ids)
    for layer in decoder.layers[first:last]:
        hidden = layer(
            hidden, attention_mask=mask, position_embeddings=position_embeddings, position_ids=position_ids,
            cache=cache, use_cache=cache is not None,
        )  # fmt: skip
    return hidden


class FrozenBottom:
    """Hidden states entering layer `first`, one [length, hidden] tensor per example, computed once."""

    def __init__(self, model: Any, examples: list[EncodedExample], first: int, pad_id: int) -> None:
        self.first = first
        started = time.monotonic()
        decoder = model.get_base_model().get_decoder()
        order = sorted(range(len(examples)), key=lambda i: len(examples[i].input_ids))
        self.states: list[torch.Tensor | None] = [None] * len(examples)
        with torch.no_grad():
            for start in range(0, len(order), BOTTOM_BATCH):
                chunk = order[start : start + BOTTOM_BATCH]
                ids, mask = _right_padded([examples[i].input_ids for i in chunk], pad_id)
                hidden = run_layers(decoder, decoder.embed_tokens(ids), mask, 0, first)
                for row, index in enumerate(chunk):
                    self.states[index] = hidden[row, : len(examples[index].input_ids)].clone()
        megabytes = sum(state.numel() * state.element_size() for state in self.states) / 2**20
        log.info(
            "frozen layers computed once for the run",
            extra={"layers": first, "examples": len(examples), "mib": round(megabytes, 1),
                   "seconds": round(time.monotonic() - started, 1)},
        )  # fmt: skip

    def batch(self, indices: list[int], width: int) -> torch.Tensor:
        """The cached states of `indices`, right-padded with zeros to `width` positions: [rows, width, hidden]."""
        first = self.states[indices[0]]
        out = first.new_zeros((len(indices), width, first.shape[-1]))
        for row, index in enumerate(indices):
            state = self.states[index]
            out[row, : state.shape[0]] = state
        return out


def _right_padded(rows: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(row) for row in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for index, row in enumerate(rows):
        ids[index, : len(row)] = torch.tensor(row)
        mask[index, : len(row)] = 1
    return ids, mask
