"""The training loop: AdamW on the LoRA weights, linear warm-up/decay, periodic resumable checkpoints."""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Any

import torch
from tqdm import tqdm

from resolver_core.prompt import EncodedExample
from trainer.checkpoints import RunFolder
from trainer.data import collate
from trainer.distributed import SINGLE, World
from trainer.frozen_layers import BottomStates, FrozenBottom
from trainer.model import answer_loss, trainable_parameters
from trainer.precision import MasterWeights

log = logging.getLogger(__name__)
GRAD_CLIP_NORM = 1.0
WARMUP_FRACTION = 0.06


@dataclass
class LoopResult:
    steps: int
    losses: list[float]
    real_tokens: int  # non-padding tokens through the model
    seconds: float  # training time, summed over resumed segments
    resumed_from_step: int

    @property
    def tokens_per_s(self) -> float:
        return self.real_tokens / self.seconds if self.seconds else 0.0


def linear_schedule(optimizer: torch.optim.Optimizer, total_steps: int) -> torch.optim.lr_scheduler.LambdaLR:
    warmup = max(1, math.ceil(WARMUP_FRACTION * total_steps))

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def training_step(
    model: Any,
    batch: dict[str, torch.Tensor] | None,
    masters: MasterWeights,
    optimizer: Any,
    scheduler: Any,
    bottom: BottomStates | None = None,
    world: World = SINGLE,
    share: float = 1.0,
) -> torch.Tensor:
    """One optimizer step; returns the global batch's mean answer loss.

    Under torchrun `batch` is this process's rows (None: it has none this step) and `share` its part of the global
    batch's answer tokens, so the summed gradients equal one process's over the whole batch."""
    loss = torch.zeros(())
    if batch is not None:
        loss = answer_loss(model, batch, bottom=bottom) * share
        loss.backward()
    masters.pull_gradients()
    world.sum_gradients(masters.values())
    torch.nn.utils.clip_grad_norm_(masters.values(), GRAD_CLIP_NORM)
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad(set_to_none=True)
    masters.push_weights()
    return world.sum(loss.detach())


def train_loop(
    model: Any,
    examples: list[EncodedExample],
    batches: list[list[int]],
    pad_id: int,
    learning_rate: float,
    run_folder: RunFolder,
    checkpoint_steps: int,
    show_progress: bool = True,
    frozen: FrozenBottom | None = None,
    world: World = SINGLE,
) -> LoopResult:
    """`frozen`: the cached output of the frozen layers under the adapted ones (trainer/frozen_layers.py).
    `world`: the torchrun processes sharing each batch (only rank 0 writes checkpoints)."""
    masters = MasterWeights(trainable_parameters(model))
    world.same_everywhere(masters.values())
    masters.push_weights()
    optimizer = torch.optim.AdamW(masters.values(), lr=learning_rate, weight_decay=0.0)
    scheduler = linear_schedule(optimizer, len(batches))
    state = run_folder.load_checkpoint(masters, optimizer, scheduler)
    if state is not None:
        log.info("resuming an interrupted run", extra={"step": state["step"], "total_steps": len(batches)})
    state = state or {"step": 0, "losses": [], "tokens": 0, "seconds": 0.0}
    resumed_from = state["step"]
    model.train()
    progress = show_progress and world.is_main
    bar = tqdm(total=len(batches), initial=state["step"], unit="step", desc="training", disable=not progress)
    for step in range(state["step"], len(batches)):
        rows = world.shard(batches[step])
        batch = collate([examples[i] for i in rows], pad_id) if rows else None
        share = sum(examples[i].answer_tokens for i in rows) / sum(examples[i].answer_tokens for i in batches[step])
        started = time.perf_counter()
        bottom = frozen.batch(rows, batch["input_ids"].shape[1]) if frozen and batch else None
        loss = training_step(model, batch, masters, optimizer, scheduler, bottom, world, share)
        state["seconds"] += time.perf_counter() - started
        state["tokens"] += sum(len(examples[i].input_ids) for i in batches[step])
        state["losses"].append(round(loss.item(), 5))
        state["step"] = step + 1
        tokens_per_s = state["tokens"] / state["seconds"]
        bar.update(1)
        bar.set_postfix(loss=f"{loss.item():.3f}", tok_s=f"{tokens_per_s:.0f}")
        if world.is_main and (state["step"] % checkpoint_steps == 0 or state["step"] == len(batches)):
            run_folder.save_checkpoint(masters, optimizer, scheduler, state)
            log.info(
                "checkpoint saved",
                extra={"step": state["step"], "total_steps": len(batches), "loss": loss.item(), "tok_s": tokens_per_s},
            )
    bar.close()
    masters.install_in_model()
    return LoopResult(state["step"], state["losses"], state["tokens"], state["seconds"], resumed_from)
