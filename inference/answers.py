"""What an answer is: generated text or the closest known fix verbatim, and whether it is a known fix."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from decoding.serving import GenerationResult
from inference.loading import ServedModel
from resolver_core.retrieval import Similar

AnswerSource = Literal["model", "known_fix"]


@dataclass(frozen=True)
class Answer:
    text: str
    known_fix: bool  # the answer follows a close known pair: the team's fix, not a suggestion
    based_on: list[int]  # ids of the known pairs it follows (all in `similar`)
    source: AnswerSource  # "known_fix": the closest known fix verbatim (the version's policy for this band)


def answer_of(served: ServedModel, similar: list[Similar], result: GenerationResult, verbatim: bool) -> Answer:
    text = served.tokenizer.decode(result.token_ids, skip_special_tokens=True).strip()
    based_on = served.grounding.based_on(text, similar)  # the closest fix verbatim, far from the question: []
    return Answer(text, bool(based_on), based_on, "known_fix" if verbatim else "model")
