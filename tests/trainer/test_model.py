"""The answer-only loss: computing the shared prompt prefix once per batch, and the frozen layers once per run,
change nothing but the speed."""

from __future__ import annotations

from pathlib import Path

import torch

from resolver_core.base_model import load_tokenizer
from resolver_core.prompt import encode_example, end_of_turn_id
from tests.training_pairs import PAIRS
from trainer.data import collate
from trainer.frozen_layers import first_trainable_layer, frozen_bottom
from trainer.model import (
    answer_loss,
    load_for_training,
    lora_hyperparameters,
    shared_prefix_length,
    trainable_parameters,
)


def _trained_looking(model) -> None:
    """Random LoRA B weights, as a trained adapter has (fresh ones are zero: every path would agree trivially)."""
    torch.manual_seed(0)
    for name, parameter in trainable_parameters(model).items():
        if "lora_B" in name:
            torch.nn.init.normal_(parameter, std=0.02)


def _loss_and_gradients(model, batch, **options) -> tuple[float, torch.Tensor]:
    loss = answer_loss(model, batch, **options)
    loss.backward()
    grads = torch.cat([p.grad.flatten() for p in trainable_parameters(model).values()])
    model.zero_grad()
    return loss.item(), grads


def _assert_same(a: tuple[float, torch.Tensor], b: tuple[float, torch.Tensor]) -> None:
    assert abs(a[0] - b[0]) < 1e-4
    assert torch.allclose(a[1], b[1], rtol=1e-3, atol=1e-6)


def test_shared_prefix_loss_and_gradients_equal_the_plain_computation(base_model_path: Path) -> None:
    tokenizer = load_tokenizer(base_model_path)
    eot = end_of_turn_id(tokenizer)
    batch = collate([encode_example(tokenizer, i, r, 256, eot) for i, r in PAIRS[:4]], tokenizer.pad_token_id)
    assert shared_prefix_length(batch) >= 20  # chat template + system message
    model = load_for_training(base_model_path, torch.float32, None, 8, 16, 0.0, "q_proj,v_proj")
    _trained_looking(model)
    plain = _loss_and_gradients(model, batch, share_prefix=False)
    _assert_same(plain, _loss_and_gradients(model, batch, share_prefix=True))


def test_top_layer_lora_with_cached_frozen_layers_equals_the_full_forward(base_model_path: Path) -> None:
    tokenizer = load_tokenizer(base_model_path)
    eot = end_of_turn_id(tokenizer)
    examples = [encode_example(tokenizer, i, r, 256, eot) for i, r in PAIRS[:5]]
    model = load_for_training(base_model_path, torch.float32, None, 8, 16, 0.0, "all-linear", lora_layers=6)
    layer_count = model.get_base_model().config.num_hidden_layers
    assert first_trainable_layer(model) == layer_count - 6
    assert lora_hyperparameters(model)["lora_layers"] == 6
    _trained_looking(model)
    frozen = frozen_bottom(model, examples, tokenizer.pad_token_id)
    assert frozen is not None and frozen.first == layer_count - 6
    indices = [3, 0, 4]
    batch = collate([examples[i] for i in indices], tokenizer.pad_token_id)
    full = _loss_and_gradients(model, batch, share_prefix=False)
    bottom = frozen.batch(indices, batch["input_ids"].shape[1])
    assert shared_prefix_length(batch) >= 20
    for share_prefix in (False, True):  # the prefix once per batch on the cached states, too
        _assert_same(full, _loss_and_gradients(model, batch, bottom=bottom, share_prefix=share_prefix))
