"""Scoring without a model: decoding.answer's real path, with the engine replaced by scripted answers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from decoding.answer import Answering
from decoding.protocol import GenerationRequest, GenerationResult
from resolver_core.base_model import load_tokenizer
from resolver_core.grounding import CLOSENESS, Grounding
from resolver_core.manifest import NEVER_CLOSE
from resolver_core.prompt import end_of_turn_id
from resolver_core.retrieval import SimilarPairs
from trainer.questions import Generate


def generating(base_model_path: Path, index: SimilarPairs, context_pairs: int = 0) -> Answering:
    """How VM2 answers with these pairs before calibration (every answer generated), on the embedded tokenizer."""
    tokenizer = load_tokenizer(base_model_path)
    grounding = Grounding(context_pairs, NEVER_CLOSE, "model", "model", CLOSENESS)
    return Answering(tokenizer, index, grounding, end_of_turn_id(tokenizer), 1024, 3)


def scripted(answering: Answering, questions: list[str], answer_for: Callable[[str], str]) -> Generate:
    """An engine that "generates" `answer_for(question)` for each question's request."""
    asked_by_prompt = {tuple(answering.ask(q).prompt_ids): q for q in questions}

    def generate(requests: list[GenerationRequest]) -> list[GenerationResult]:
        results = []
        for request in requests:
            text = answer_for(asked_by_prompt[tuple(request.prompt_ids)])
            ids = answering.tokenizer(text, add_special_tokens=False)["input_ids"][: request.max_new_tokens]
            results.append(GenerationResult(ids, "stop", len(request.prompt_ids), 0.0, 0.0))
        return results

    return generate
