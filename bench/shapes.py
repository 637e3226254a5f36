"""Model shapes the benchmarks measure at, beside the embedded 135M model: Llama-3.2-1B's exact configuration,
random-initialised (the weights do not change the speed, and none are downloaded)."""

from __future__ import annotations

from typing import Any

LLAMA_1B_SHAPE: dict[str, Any] = dict(
    hidden_size=2048,
    intermediate_size=8192,
    num_hidden_layers=16,
    num_attention_heads=32,
    num_key_value_heads=8,
    head_dim=64,
    vocab_size=128256,
    tie_word_embeddings=True,
    max_position_embeddings=131072,
    rope_theta=500000.0,
)


def llama_1b_config() -> Any:
    from transformers import LlamaConfig

    return LlamaConfig(**LLAMA_1B_SHAPE)
