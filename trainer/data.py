"""What a run trains on: the snapshot, the held-out split, new vs replayed pairs, and length-grouped batches."""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass
from typing import Any

import torch

from resolver_core.prompt import IGNORE_INDEX, EncodedExample

Pair = dict[str, Any]
LENGTH_WINDOW_BATCHES = 4  # batches drawn from a window of 4×batch examples sorted by length: little padding


@dataclass
class DatasetPlan:
    """The pairs of one run. Training examples index `pool` = new pairs, then the older (already learned) ones."""

    snapshot: list[Pair]  # every approved pair, id order: what the version knows
    new: list[Pair]  # trainable pairs the parent has not seen (all trainable pairs on a first run)
    older: list[Pair]  # trainable pairs the parent learned: candidates for replay
    eval: list[Pair]  # held out: never trained, scored after training
    replay_per_epoch: int = 0
    new_repeats: int = 1
    seed: int = 0

    @property
    def pool(self) -> list[Pair]:
        return [*self.new, *self.older]

    @property
    def max_pair_id(self) -> int:
        return max((pair["id"] for pair in self.snapshot), default=0)

    def replay_sample(self) -> list[int]:
        """Pool indices of the older pairs this run replays: a seeded sample, the same in every epoch.

        Measured: older pairs replayed in every epoch were all kept, while replaying a rotating slice (each older
        pair seen once or twice) kept fewer than half — an older pair must be rehearsed throughout the run.
        """
        count = min(self.replay_per_epoch, len(self.older))
        sample = random.Random(f"{self.seed}:replay:{self.max_pair_id}").sample(range(len(self.older)), count)
        return [len(self.new) + i for i in sorted(sample)]

    def epoch_indices(self) -> list[int]:
        """Pool indices of one epoch: every new pair `new_repeats` times, plus the replay sample."""
        return [i for i in range(len(self.new)) for _ in range(self.new_repeats)] + self.replay_sample()


def is_held_out(pair_id: int, fraction: float, seed: int) -> bool:
    """A pair's split depends only on its id and the seed, so it never moves between versions."""
    digest = hashlib.sha256(f"{seed}:{pair_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


def plan_dataset(
    pairs: list[Pair],
    parent_pair_ids: set[int] | None,
    replay_ratio: float,
    eval_fraction: float,
    seed: int,
    new_repeats: int = 1,
) -> DatasetPlan:
    """Split the snapshot; with a parent, train on the pairs it has not seen plus replayed older ones.

    "Not seen" is by id, so a pair approved late (an old id) is still learned by the next run.
    Each epoch rehearses the same `replay_ratio` older pairs per new pair (0 or more than there are: all of them).
    """
    held_out = [p for p in pairs if is_held_out(p["id"], eval_fraction, seed)]
    trainable = [p for p in pairs if not is_held_out(p["id"], eval_fraction, seed)]
    if parent_pair_ids is None:
        return DatasetPlan(snapshot=pairs, new=trainable, older=[], eval=held_out, seed=seed)
    new = [p for p in trainable if p["id"] not in parent_pair_ids]
    if not new:  # only held-out pairs arrived: learn them rather than train on nothing new
        new = [p for p in held_out if p["id"] not in parent_pair_ids]
        held_out = [p for p in held_out if p["id"] in parent_pair_ids]
    older = [p for p in trainable if p["id"] in parent_pair_ids]
    per_epoch = len(older) if replay_ratio == 0 else min(len(older), math.ceil(replay_ratio * len(new)))
    return DatasetPlan(pairs, new, older, held_out, replay_per_epoch=per_epoch, new_repeats=new_repeats, seed=seed)


def batch_plan(plan: DatasetPlan, lengths: list[int], batch_size: int, epochs: float) -> list[list[int]]:
    """The whole run's batches (pool indices), fixed up front so a resumed run continues the same order.

    Within an epoch, examples are shuffled, then sorted by length inside windows of a few batches: batches of
    similar lengths pad little, and their order is shuffled again.
    """
    rng = random.Random(plan.seed)
    window = batch_size * LENGTH_WINDOW_BATCHES
    batches: list[list[int]] = []
    total_steps = None
    while total_steps is None or len(batches) < total_steps:
        indices = plan.epoch_indices()
        if total_steps is None:
            total_steps = max(1, round(epochs * math.ceil(len(indices) / batch_size)))
        order = rng.sample(indices, len(indices))
        epoch_batches: list[list[int]] = []
        for start in range(0, len(order), window):
            chunk = sorted(order[start : start + window], key=lengths.__getitem__)
            epoch_batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
        rng.shuffle(epoch_batches)
        batches += epoch_batches
    return batches[:total_steps]


def replayed_pairs(plan: DatasetPlan, batches: list[list[int]]) -> list[Pair]:
    """The older pairs a run actually trained on, id order."""
    seen = {i for batch in batches for i in batch if i >= len(plan.new)}
    return sorted((plan.older[i - len(plan.new)] for i in seen), key=lambda p: p["id"])


def collate(examples: list[EncodedExample], pad_id: int) -> dict[str, torch.Tensor]:
    """Right-pad to the longest row: pad ids in the input, -100 in the labels (the end-of-turn label is kept)."""
    width = max(len(example.input_ids) for example in examples)
    input_ids = torch.full((len(examples), width), pad_id, dtype=torch.long)
    labels = torch.full((len(examples), width), IGNORE_INDEX, dtype=torch.long)
    attention_mask = torch.zeros((len(examples), width), dtype=torch.long)
    for row, example in enumerate(examples):
        size = len(example.input_ids)
        input_ids[row, :size] = torch.tensor(example.input_ids)
        labels[row, :size] = torch.tensor(example.labels)
        attention_mask[row, :size] = 1
    return {"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels}
