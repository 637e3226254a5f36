"""The seed's training recipe, the baseline bench/train_throughput.py measures this trainer against: every example
padded to 128 tokens, batch 2 x gradient accumulation 4, fp32, loss on all tokens, LoRA r=16/alpha=32/dropout
0.05 on q_proj/v_proj, transformers' default attention."""

from __future__ import annotations

import time
from pathlib import Path

import torch

from resolver_core.prompt import EncodedExample
from trainer.loop import linear_schedule
from trainer.model import load_for_training

SEED_PAD, SEED_BATCH, SEED_ACCUM, SEED_LR, SEED_TARGETS = 128, 2, 4, 2e-4, "q_proj,v_proj"


def seed_step(model, examples: list[EncodedExample], indices: list[int], pad_id: int, optimizer, scheduler) -> int:
    """One optimizer step of the seed's recipe; returns the real tokens it processed."""
    real = 0
    for start in range(0, len(indices), SEED_BATCH):
        rows = [examples[i].input_ids[:SEED_PAD] for i in indices[start : start + SEED_BATCH]]
        input_ids = torch.tensor([row + [pad_id] * (SEED_PAD - len(row)) for row in rows])
        attention_mask = torch.tensor([[1] * len(row) + [0] * (SEED_PAD - len(row)) for row in rows])
        loss = model(input_ids=input_ids, attention_mask=attention_mask, labels=input_ids).loss / SEED_ACCUM
        loss.backward()
        real += int(attention_mask.sum())
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad(set_to_none=True)
    return real


def seed_model(base: Path):
    """The seed's model: fp32, LoRA r=16/alpha=32/dropout 0.05 on q/v, transformers' default attention (sdpa)."""
    model = load_for_training(base, torch.float32, None, 16, 32, 0.05, SEED_TARGETS)
    model.get_base_model().set_attn_implementation("sdpa")
    return model


def run_seed(model, examples, pad_id: int, steps: int | None, budget_s: float | None, plan_steps: int) -> dict:
    """Seed recipe for `steps` optimizer steps, or until `budget_s` seconds of training have passed."""
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=SEED_LR)
    scheduler = linear_schedule(optimizer, plan_steps)
    generator = torch.Generator().manual_seed(0)
    per_step = SEED_BATCH * SEED_ACCUM
    seed_step(model, examples, list(range(per_step)), pad_id, optimizer, scheduler)  # warm-up, not timed
    tokens, seconds, done = 0, 0.0, 0
    while (steps is None or done < steps) and (budget_s is None or seconds < budget_s):
        indices = torch.randperm(len(examples), generator=generator)[:per_step].tolist()
        started = time.perf_counter()
        tokens += seed_step(model, examples, indices, pad_id, optimizer, scheduler)
        seconds += time.perf_counter() - started
        done += 1
    return {"steps": done, "real_tokens": tokens, "seconds": round(seconds, 2), "tok_s": round(tokens / seconds, 1)}
