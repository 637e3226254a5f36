"""RAFT-style contexts: the known pairs a training example is shown beside its question.

The example's own pair is among them with probability `own_probability` (so the model learns to restate the
matching known fix), shuffled among its nearest neighbours (distractors: it must pick the one that matches);
otherwise only distractors (it must answer from what it learned). Only trainable pairs are ever shown: held-out
pairs never appear as context. Each example's draw is seeded by its id, so a run and its resume see the same text.
"""

from __future__ import annotations

import random

from resolver_core.prompt import Pair as PromptPair
from resolver_core.retrieval import SimilarPairs
from trainer.data import Pair


def training_contexts(
    examples: list[Pair], shown: list[Pair], size: int, own_probability: float, seed: int
) -> list[list[PromptPair]]:
    """One context per example (in `examples` order), drawn from `shown`: each example's own pair, if shown,
    and its nearest neighbours in `shown`."""
    if size <= 0:
        return [[] for _ in examples]
    index = SimilarPairs(shown)  # under the pairs' store ids
    contexts = []
    for pair in examples:
        rng = random.Random(f"{seed}:context:{pair['id']}")
        neighbours = index.search(pair["issue"], size, exclude=frozenset({pair["id"]}))
        chosen = [PromptPair(s.issue, s.resolution) for s in neighbours]
        if rng.random() < own_probability:
            chosen = [PromptPair(pair["issue"], pair["resolution"]), *chosen[: size - 1]]
        rng.shuffle(chosen)
        contexts.append(chosen)
    return contexts
