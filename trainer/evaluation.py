"""Scoring a model on held-out pairs: eval loss, and greedy answers scored by token-F1 and ROUGE-L."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import torch

from resolver_core.generation import generate_answers
from resolver_core.prompt import EncodedExample, encode_example
from trainer.data import Pair, collate
from trainer.model import answer_loss

GENERATION_BATCH = 8
WORD = re.compile(r"\w+|[^\w\s]")


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def token_f1(prediction: str, reference: str) -> float:
    predicted, expected = words(prediction), words(reference)
    common = sum((Counter(predicted) & Counter(expected)).values())
    if not predicted or not expected or not common:
        return float(predicted == expected)
    precision, recall = common / len(predicted), common / len(expected)
    return 2 * precision * recall / (precision + recall)


def rouge_l(prediction: str, reference: str) -> float:
    predicted, expected = words(prediction), words(reference)
    if not predicted or not expected:
        return float(predicted == expected)
    previous = [0] * (len(expected) + 1)
    for token in predicted:
        current = [0]
        for j, other in enumerate(expected):
            current.append(previous[j] + 1 if token == other else max(previous[j + 1], current[j]))
        previous = current
    lcs = previous[-1]
    if not lcs:
        return 0.0
    precision, recall = lcs / len(predicted), lcs / len(expected)
    return 2 * precision * recall / (precision + recall)


@torch.no_grad()
def mean_loss(model: Any, examples: list[EncodedExample], pad_id: int, batch_size: int) -> float:
    """Token-weighted mean answer loss."""
    total, count = 0.0, 0
    for start in range(0, len(examples), batch_size):
        chunk = examples[start : start + batch_size]
        tokens = sum(example.answer_tokens for example in chunk)
        total += answer_loss(model, collate(chunk, pad_id)).item() * tokens
        count += tokens
    return total / count


def answer_issues(model: Any, tokenizer: Any, issues: list[str], max_new_tokens: int) -> list[str]:
    answers: list[str] = []
    for start in range(0, len(issues), GENERATION_BATCH):
        answers += generate_answers(model, tokenizer, issues[start : start + GENERATION_BATCH], max_new_tokens)
    return answers


def evaluate(
    model: Any, tokenizer: Any, pairs: list[Pair], eot_id: int, max_seq_len: int, batch_size: int
) -> dict[str, Any]:
    """Metrics of `model` on held-out pairs (empty metrics when there are none)."""
    if not pairs:
        return {"pairs": 0, "eval_loss": None, "token_f1": None, "rouge_l": None, "exact_match": None}
    was_training = model.training
    model.eval()
    try:
        examples = [encode_example(tokenizer, p["issue"], p["resolution"], max_seq_len, eot_id) for p in pairs]
        pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eot_id
        loss = mean_loss(model, examples, pad_id, batch_size)
        longest = max(example.answer_tokens for example in examples)
        answers = answer_issues(model, tokenizer, [p["issue"] for p in pairs], max_new_tokens=longest + 16)
    finally:
        model.train(was_training)
    references = [p["resolution"] for p in pairs]
    return {
        "pairs": len(pairs),
        "eval_loss": round(loss, 4),
        "token_f1": round(sum(map(token_f1, answers, references)) / len(pairs), 4),
        "rouge_l": round(sum(map(rouge_l, answers, references)) / len(pairs), 4),
        "exact_match": round(
            sum(a.strip() == r.strip() for a, r in zip(answers, references, strict=True)) / len(pairs), 4
        ),
        "samples": [{"issue": p["issue"], "answer": a} for p, a in zip(pairs[:3], answers[:3], strict=True)],
    }
