"""The answer-only loss: computing the shared prompt prefix once per batch changes nothing but the speed."""

from __future__ import annotations

from pathlib import Path

import torch

from resolver_core.base_model import load_tokenizer
from resolver_core.prompt import encode_example, end_of_turn_id
from tests.training_pairs import PAIRS
from trainer.data import collate
from trainer.model import answer_loss, load_for_training, shared_prefix_length, trainable_parameters


def test_shared_prefix_loss_and_gradients_equal_the_plain_computation(base_model_path: Path) -> None:
    tokenizer = load_tokenizer(base_model_path)
    eot = end_of_turn_id(tokenizer)
    batch = collate([encode_example(tokenizer, i, r, 256, eot) for i, r in PAIRS[:4]], tokenizer.pad_token_id)
    assert shared_prefix_length(batch) >= 20  # chat template + system message
    model = load_for_training(base_model_path, torch.float32, None, 8, 16, 0.0, "q_proj,v_proj")
    torch.manual_seed(0)
    for name, parameter in trainable_parameters(model).items():
        if "lora_B" in name:
            torch.nn.init.normal_(parameter, std=0.02)  # a trained-looking adapter, so the prefix matters
    results = []
    for share in (False, True):
        loss = answer_loss(model, batch, share_prefix=share)
        loss.backward()
        grads = torch.cat([p.grad.flatten() for p in trainable_parameters(model).values()])
        model.zero_grad()
        results.append((loss.item(), grads))
    (plain_loss, plain_grads), (shared_loss, shared_grads) = results
    assert abs(plain_loss - shared_loss) < 1e-4
    assert torch.allclose(plain_grads, shared_grads, rtol=1e-3, atol=1e-6)
