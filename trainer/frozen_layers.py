"""LoRA on the top layers only: the frozen layers below run once per run instead of once per step.

Layers under the lowest adapted one are frozen and deterministic (no LoRA, no dropout in them), so their output for
an example never changes during a run: it is computed once, kept per example, and every step starts from it. A step
then costs the adapted layers' forward and backward only. With LoRA on the top third of a 30-layer model that is
about a third of the full step's arithmetic, measured in bench/train_throughput.py. The columns every row of a
batch shares (the chat template and system message) also run once per batch there, their keys/values repeated.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import torch
from transformers.cache_utils import DynamicCache
from transformers.masking_utils import create_causal_mask

from resolver_core.prompt import EncodedExample
from trainer.data import collate

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
    decoder: Any, hidden: torch.Tensor, attention_mask: torch.Tensor, first: int, last: int, shared: int = 0
) -> torch.Tensor:
    """Decoder layers first..last-1 on hidden states of whole sequences (positions from 0), no final norm. With
    `shared` > 0 the first `shared` columns are the same in every row: they run once, their keys/values are repeated
    for every row (differentiably), and the result starts after them."""
    cache = None
    if shared:
        cache = DynamicCache(config=decoder.config)
        _layers(decoder, hidden[:1, :shared], attention_mask[:1, :shared], first, last, cache)
        cache.batch_repeat_interleave(hidden.shape[0])  # gradients sum back into the one prefix
    return _layers(decoder, hidden[:, shared:], attention_mask, first, last, cache)


def _layers(
    decoder: Any, hidden: torch.Tensor, attention_mask: torch.Tensor, first: int, last: int, cache: Any
) -> torch.Tensor:
    """`hidden`: the columns after the `cache`'s (none without one); `attention_mask` covers cache and hidden."""
    start = attention_mask.shape[1] - hidden.shape[1]
    position_ids = torch.arange(start, attention_mask.shape[1]).unsqueeze(0)
    mask = create_causal_mask(
        config=decoder.config,
        inputs_embeds=hidden,
        attention_mask=attention_mask,
        cache=cache,
        position_ids=position_ids,
        layer_idx=first,
    )
    position_embeddings = decoder.rotary_emb(hidden, position_ids=position_ids)
    for layer in decoder.layers[first:last]:
        hidden = layer(
            hidden,
            attention_mask=mask,
            position_embeddings=position_embeddings,
            position_ids=position_ids,
            cache=cache,
            use_cache=cache is not None,
        )
    return hidden


@dataclass(frozen=True)
class BottomStates:
    """One batch's hidden states entering decoder layer `first` (the lowest adapted one): [rows, width, hidden]."""

    hidden: torch.Tensor
    first: int


def frozen_bottom(model: Any, examples: list[EncodedExample], pad_id: int) -> FrozenBottom | None:
    """The cache for `model`'s frozen lower layers, or None when its lowest layer is adapted (nothing to cache)."""
    first = first_trainable_layer(model)
    return FrozenBottom(model, examples, first, pad_id) if first > 0 else None


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
                batch = collate([examples[i] for i in chunk], pad_id)
                ids, mask = batch["input_ids"], batch["attention_mask"]
                hidden = run_layers(decoder, decoder.embed_tokens(ids), mask, 0, first)
                for row, index in enumerate(chunk):
                    self.states[index] = hidden[row, : len(examples[index].input_ids)].clone()
        megabytes = sum(state.numel() * state.element_size() for state in self.states) / 2**20
        log.info(
            "frozen layers computed once for the run",
            extra={
                "layers": first,
                "examples": len(examples),
                "mib": round(megabytes, 1),
                "seconds": round(time.monotonic() - started, 1),
            },
        )

    def batch(self, indices: list[int], width: int) -> BottomStates:
        """The cached states of `indices`, right-padded with zeros to `width` positions."""
        sample = self.states[indices[0]]
        hidden = sample.new_zeros((len(indices), width, sample.shape[-1]))
        for row, index in enumerate(indices):
            state = self.states[index]
            hidden[row, : state.shape[0]] = state
        return BottomStates(hidden, self.first)
