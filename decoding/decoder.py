"""A lean decode loop for Llama-architecture models: fused weights and a static KV cache with one slot per request.

Why not `model.generate`: on a 2-core CPU its per-step Python overhead (cache objects, logits processors, masks
rebuilt every step) costs as much as the matrix products of a 135M model. Here one decode step is ~15 tensor ops
per layer, rows of different lengths share a step (each row attends to its own slot), and the shared system-prompt
prefix is computed once and copied into each new slot.

Every row is computed independently of the others: products run at one fixed row count (decoding/linear.py) and
attention runs per row, so an answer does not depend on which other requests happened to share its steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from decoding.linear import Linear

SUPPORTED_MODEL_TYPES = ("llama", "mistral", "qwen2")


class UnsupportedModelError(RuntimeError):
    """The base model's architecture is not one this decoder implements."""


@dataclass
class LayerWeights:
    input_norm: torch.Tensor
    qkv: Linear
    out: Linear
    post_norm: torch.Tensor
    gate_up: Linear
    down: Linear


def _fused(modules: list[Any], dtype: torch.dtype, step_rows: int) -> Linear:
    """One matrix product instead of several (q,k,v or gate,up): fewer ops per decode step."""
    weight = torch.cat([m.weight.detach() for m in modules]).to(dtype).contiguous()
    biases = [m.bias for m in modules]
    bias = torch.cat([b.detach() for b in biases]).to(dtype) if all(b is not None for b in biases) else None
    return Linear(weight, bias, step_rows)


def check_supported(config: Any) -> None:
    """UnsupportedModelError unless this decoder implements the model `config` describes."""
    if config.model_type not in SUPPORTED_MODEL_TYPES:
        raise UnsupportedModelError(
            f"the inference engine supports Llama-architecture models ({', '.join(SUPPORTED_MODEL_TYPES)}); "
            f"BASE_MODEL_PATH holds a {config.model_type!r} model"
        )
    if getattr(config, "mlp_bias", False) or getattr(config, "hidden_act", "silu") != "silu":
        raise UnsupportedModelError("the inference engine needs a SiLU-gated MLP without biases (Llama style)")


class LlamaDecoder:
    """Prefill one request into a KV-cache slot; decode one token for every active slot per step."""

    kind = "torch"

    def __init__(
        self, model: Any, dtype: torch.dtype, slots: int, max_positions: int, step_rows: int | None = None
    ) -> None:
        """`step_rows`: the most token rows one decode step carries; every product runs at that fixed shape
        (see decoding/linear.py) so a row's result does not depend on the others. Default: `slots`."""
        check_supported(model.config)
        config = model.config
        self.dtype = dtype
        self.heads = config.num_attention_heads
        self.kv_heads = config.num_key_value_heads
        self.head_dim = getattr(config, "head_dim", None) or config.hidden_size // self.heads
        self.eps = config.rms_norm_eps
        self.scale = self.head_dim**-0.5
        self.slots = slots
        self.step_rows = max(step_rows or slots, slots)
        self.prefix_slot = slots  # an extra slot holding the shared prompt prefix, copied into new requests
        self.max_positions = min(max_positions, config.max_position_embeddings)
        self.layers = [self._layer_weights(layer, dtype, self.step_rows) for layer in model.model.layers]
        self.embed = model.model.embed_tokens.weight.detach().to(dtype)
        self.lm_head = _fused([model.lm_head], dtype, self.step_rows)
        self.final_norm = model.model.norm.weight.detach().float()
        self.cos, self.sin = self._rotary_tables(model)
        shape = (slots + 1, self.kv_heads, self.max_positions, self.head_dim)
        self.k_cache = [torch.zeros(shape, dtype=dtype) for _ in self.layers]
        self.v_cache = [torch.zeros(shape, dtype=dtype) for _ in self.layers]

    @staticmethod
    def _layer_weights(layer: Any, dtype: torch.dtype, step_rows: int) -> LayerWeights:
        attn, mlp = layer.self_attn, layer.mlp
        return LayerWeights(
            input_norm=layer.input_layernorm.weight.detach().float(),
            qkv=_fused([attn.q_proj, attn.k_proj, attn.v_proj], dtype, step_rows),
            out=_fused([attn.o_proj], dtype, step_rows),
            post_norm=layer.post_attention_layernorm.weight.detach().float(),
            gate_up=_fused([mlp.gate_proj, mlp.up_proj], dtype, step_rows),
            down=_fused([mlp.down_proj], dtype, step_rows),
        )

    def _rotary_tables(self, model: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """cos/sin for every position from the model's own rotary module (covers llama3-style rope scaling)."""
        positions = torch.arange(self.max_positions).unsqueeze(0)
        probe = torch.zeros(1, dtype=torch.float32)
        with torch.no_grad():
            cos, sin = model.model.rotary_emb(probe, positions)
        return cos[0].float().contiguous(), sin[0].float().contiguous()

    def _norm(self, x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        return F.rms_norm(x, weight.shape, weight, self.eps).to(self.dtype)

    def _rope(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        """x: [rows, heads, head_dim] fp32; cos/sin: [rows, head_dim]."""
        half = x.shape[-1] // 2
        rotated = torch.cat((-x[..., half:], x[..., :half]), dim=-1)
        return x * cos.unsqueeze(1) + rotated * sin.unsqueeze(1)

    def _qkv(self, weights: LayerWeights, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor):
        """Projected, rotated q [rows, heads, hd] (model dtype) and k, v [rows, kv_heads, hd] for the cache."""
        rows = x.shape[0]
        qkv = weights.qkv(self._norm(x, weights.input_norm))
        rotary_heads = self.heads + self.kv_heads
        qk = qkv[:, : rotary_heads * self.head_dim].float().view(rows, rotary_heads, self.head_dim)
        qk = self._rope(qk, cos, sin).to(self.dtype)
        v = qkv[:, rotary_heads * self.head_dim :].reshape(rows, self.kv_heads, self.head_dim)
        return qk[:, : self.heads], qk[:, self.heads :], v

    def _mlp_residual(self, weights: LayerWeights, x: torch.Tensor, attn: torch.Tensor) -> torch.Tensor:
        x = x + weights.out(attn).float()
        gate, up = weights.gate_up(self._norm(x, weights.post_norm)).chunk(2, dim=-1)
        return x + weights.down(F.silu(gate) * up).float()

    def _logits(self, x: torch.Tensor) -> torch.Tensor:
        return self.lm_head(self._norm(x, self.final_norm)).float()

    @torch.inference_mode()
    def prefill(self, slot: int, tokens: list[int], start: int = 0) -> torch.Tensor:
        """Run `tokens` at positions start.. into `slot` (positions < start must already be cached).

        Returns the fp32 logits of the last token, shape [vocab].
        """
        end = start + len(tokens)
        if end > self.max_positions:
            raise ValueError(f"{end} positions exceed the KV cache ({self.max_positions})")
        positions = torch.arange(start, end)
        x = self.embed[torch.tensor(tokens)].float()
        causal = positions.unsqueeze(1) >= torch.arange(end).unsqueeze(0)  # [query, key]
        cos, sin = self.cos[positions], self.sin[positions]
        for index, weights in enumerate(self.layers):
            q, k, v = self._qkv(weights, x, cos, sin)
            self.k_cache[index][slot, :, start:end] = k.transpose(0, 1)
            self.v_cache[index][slot, :, start:end] = v.transpose(0, 1)
            keys = self.k_cache[index][slot : slot + 1, :, :end]
            values = self.v_cache[index][slot : slot + 1, :, :end]
            attn = F.scaled_dot_product_attention(
                q.transpose(0, 1).unsqueeze(0), keys, values, attn_mask=causal, enable_gqa=True
            )
            x = self._mlp_residual(weights, x, attn[0].transpose(0, 1).reshape(len(tokens), -1))
        return self._logits(x[-1:])[0]

    @torch.inference_mode()
    def decode(self, tokens: torch.Tensor, positions: torch.Tensor, slots: torch.Tensor | None = None) -> torch.Tensor:
        """One step over M token rows: row i is token tokens[i] at positions[i] of KV slot slots[i] (default: i).

        Several rows may share a slot at consecutive positions (verifying draft tokens). Each row attends with its
        own single-query call over exactly its own prefix — the same call, shapes and strides a one-token step
        makes — so a row's logits do not depend on which other rows share the step. (A batched product over a
        common padded length was measured to round differently for some lengths.) M must not exceed `step_rows`.
        Returns fp32 logits [M, vocab].
        """
        rows = tokens.shape[0]
        if rows > self.step_rows:
            raise ValueError(f"{rows} rows exceed the decoder's fixed step of {self.step_rows}")
        slots = torch.arange(rows) if slots is None else slots
        spans = [(int(slot), int(position) + 1) for slot, position in zip(slots, positions, strict=True)]
        x = self.embed[tokens].float()
        cos, sin = self.cos[positions], self.sin[positions]
        for index, weights in enumerate(self.layers):
            q, k, v = self._qkv(weights, x, cos, sin)
            k_cache, v_cache = self.k_cache[index], self.v_cache[index]
            k_cache[slots, :, positions] = k
            v_cache[slots, :, positions] = v
            q = q.unsqueeze(2)  # [rows, heads, 1, head_dim]
            attn = torch.cat(
                [
                    F.scaled_dot_product_attention(
                        q[row : row + 1],
                        k_cache[slot : slot + 1, :, :length],
                        v_cache[slot : slot + 1, :, :length],
                        enable_gqa=True,
                    )
                    for row, (slot, length) in enumerate(spans)
                ]
            )
            x = self._mlp_residual(weights, x, attn.reshape(rows, -1))
        return self._logits(x)

    def describe(self) -> dict[str, object]:
        return {"step_rows": self.step_rows}

    def copy_slot(self, source: int, target: int, length: int) -> None:
        """Move a request's cached positions to another slot (keeps active slots contiguous)."""
        for k_cache, v_cache in zip(self.k_cache, self.v_cache, strict=True):
            k_cache[target, :, :length] = k_cache[source, :, :length]
            v_cache[target, :, :length] = v_cache[source, :, :length]
