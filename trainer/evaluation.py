"""Scoring a model on held-out pairs (eval loss, and greedy answers scored by token-F1 and ROUGE-L) and on reworded
questions, every answer asked as VM2 asks it (decoding.answer)."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from decoding.answer import Answering
from resolver_core.calibration import Probe
from resolver_core.prompt import EncodedExample, encode_example
from resolver_core.text_metrics import rouge_l, token_f1
from trainer.answering import MAX_NEW_TOKENS, Answerer, VersionAnswerer
from trainer.data import Pair, collate
from trainer.model import answer_loss
from trainer.questions import SHIPPED_QUESTIONS, load_questions, score_questions

log = logging.getLogger(__name__)


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


def evaluate(
    model: Any,
    tokenizer: Any,
    pairs: list[Pair],
    eot_id: int,
    max_seq_len: int,
    batch_size: int,
    answerer: VersionAnswerer,
    answering: Answering,
) -> dict[str, Any]:
    """Metrics of `model` on held-out pairs, each asked as VM2 asks it (`answering`: beside the known pairs
    retrieval finds for it, answered by the engine over the same adapter)."""
    if not pairs:
        return {"pairs": 0, "eval_loss": None, "token_f1": None, "rouge_l": None, "exact_match": None}
    asked = [answering.ask(p["issue"]) for p in pairs]
    context_pairs = answering.grounding.context_pairs
    examples = [
        encode_example(tokenizer, p["issue"], p["resolution"], max_seq_len, eot_id, a.similar[:context_pairs])
        for p, a in zip(pairs, asked, strict=True)
    ]
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eot_id
    was_training = model.training
    model.eval()
    try:
        loss = mean_loss(model, examples, pad_id, batch_size)
    finally:
        model.train(was_training)
    longest = max(example.answer_tokens for example in examples)
    answers = answerer.texts(answering, asked, max_new_tokens=longest + 16)
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


def score_reworded(
    answerer: Answerer,
    answering: Answering,
    questions_path: Path | None,
    answered: int,
    min_false_on_unknown: float,
    pair_probes: Sequence[Probe] = (),
) -> dict[str, Any]:
    """The version's scores on reworded questions (trainer.questions), answered as VM2 answers them, and its
    known-fix threshold calibrated on them with `pair_probes` (the version's own pairs, left out one at a time)."""
    questions, sha256 = load_questions(questions_path)
    started = time.monotonic()
    scores = score_questions(
        answerer.generate, answering, questions, answered, MAX_NEW_TOKENS, min_false_on_unknown, pair_probes
    )
    log.info(
        "reworded questions scored",
        extra={
            "questions": len(questions),
            "answered": scores["answered"],
            "seconds": round(time.monotonic() - started, 1),
        },
    )
    calibration = scores["calibration"]
    log.info("known-fix threshold calibrated", extra=calibration.model_dump())
    if calibration.warning():
        log.warning(calibration.warning(), extra={"method": calibration.method})
    return {
        "file": str(questions_path or SHIPPED_QUESTIONS.name),
        "sha256": sha256,
        **scores,
        "answered_dtype": answerer.dtype,
    }
