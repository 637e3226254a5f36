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
    batch: dict[str, torch.Tensor],
    masters: MasterWeights,
    optimizer: Any,
    scheduler: Any,
    bottom: BottomStates | None = None,
) -> torch.Tensor:
    loss = answer_loss(model, batch, bottom=bottom)
    loss.backward()
    masters.pull_gradients()
    torch.nn.utils.clip_grad_norm_(masters.values(), GRAD_CLIP_NORM)
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad(set_to_none=True)
    masters.push_weights()
    return loss.detach()


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
) -> LoopResult:
    """`frozen`: the cached output of the frozen layers under the adapted ones (trainer/frozen_layers.py)."""
    masters = MasterWeights(trainable_parameters(model))
    optimizer = torch.optim.AdamW(masters.values(), lr=learning_rate, weight_decay=0.0)
    scheduler = linear_schedule(optimizer, len(batches))
    state = run_folder.load_checkpoint(masters, optimizer, scheduler)
    if state is not None:
        log.info("resuming an interrupted run", extra={"step": state["step"], "total_steps": len(batches)})
    state = state or {"step": 0, "losses": [], "tokens": 0, "seconds": 0.0}
    resumed_from = state["step"]
    model.train()
    bar = tqdm(total=len(batches), initial=state["step"], unit="step", desc="training", disable=not show_progress)
    for step in range(state["step"], len(batches)):
        batch = collate([examples[i] for i in batches[step]], pad_id)
        started = time.perf_counter()
        bottom = frozen.batch(batches[step], batch["input_ids"].shape[1]) if frozen else None
        loss = training_step(model, batch, masters, optimizer, scheduler, bottom)
        state["seconds"] += time.perf_counter() - started
        state["tokens"] += int(batch["attention_mask"].sum())
        state["losses"].append(round(loss.item(), 5))
        state["step"] = step + 1
        tokens_per_s = state["tokens"] / state["seconds"]
        bar.update(1)
        bar.set_postfix(loss=f"{loss.item():.3f}", tok_s=f"{tokens_per_s:.0f}")
        if state["step"] % checkpoint_steps == 0 or state["step"] == len(batches):
            run_folder.save_checkpoint(masters, optimizer, scheduler, state)
            log.info(
                "checkpoint saved",
                extra={"step": state["step"], "total_steps": len(batches), "loss": loss.item(), "tok_s": tokens_per_s},
            )
    bar.close()
    masters.install_in_model()
    return LoopResult(state["step"], state["losses"], state["tokens"], state["seconds"], resumed_from)
