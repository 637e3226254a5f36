"""decoding/answer.py on its own: evidence and prompt, the request, the verbatim fix and its cut, what an answer is."""

from __future__ import annotations

from dataclasses import replace

import pytest

from decoding.answer import Answering
from decoding.drafts import DRAFT_SOURCES
from decoding.protocol import GenerationResult
from resolver_core.grounding import Grounding
from resolver_core.retrieval import SimilarPairs
from resolver_core.validation import FieldError
from tests.scripted_answers import generating
from tests.training_pairs import PAIRS

STORE = [{"id": 10 + i, "issue": issue, "resolution": fix} for i, (issue, fix) in enumerate(PAIRS[:24])]
CLOSE = "gradle runs out of java heap and the daemon disappears"  # PAIRS[4] in other words


@pytest.fixture(scope="module")
def answering(base_model_path) -> Answering:
    return generating(base_model_path, SimilarPairs(STORE, ids=[p["id"] for p in STORE]), context_pairs=2)


def verbatim_everywhere(answering: Answering, threshold: float = 0.5) -> Answering:
    return replace(answering, grounding=Grounding(2, threshold, "top_known_fix", "top_known_fix", "top_and_margin"))


def test_a_question_gets_its_evidence_and_the_grounded_prompt(answering: Answering) -> None:
    asked = answering.ask(CLOSE)
    assert asked.similar[0].id == 14 and len(asked.similar) == max(DRAFT_SOURCES, 3, 2)
    assert not asked.verbatim  # every answer generated under this grounding
    text = answering.tokenizer.decode(asked.prompt_ids)
    assert CLOSE in text and STORE[4]["issue"] in text  # the question beside its two nearest known pairs
    request = answering.request(asked, 16, deadline=5.0)
    assert request.prompt_ids == asked.prompt_ids and request.max_new_tokens == 16 and request.deadline == 5.0
    assert request.drafts[0] == answering.answer_ids(STORE[4]["resolution"])  # nearest fixes drafted, end of turn
    assert len(request.drafts) == DRAFT_SOURCES


def test_a_prompt_that_cannot_fit_is_refused_naming_the_field(answering: Answering) -> None:
    tight = replace(answering, max_prompt_tokens=20)
    with pytest.raises(FieldError) as refused:
        tight.ask(CLOSE, field="messages")
    assert refused.value.field == "messages" and "INFERENCE_MAX_PROMPT_TOKENS" in refused.value.message


def test_the_verbatim_fix_is_cut_at_the_limit_and_says_so(answering: Answering) -> None:
    serving = verbatim_everywhere(answering)
    asked = serving.ask(CLOSE)
    assert asked.verbatim
    whole = serving.verbatim(asked, 96)
    assert whole.finish_reason == "stop" and serving.answer(asked, whole).text == STORE[4]["resolution"]
    streamed: list[int] = []
    cut = serving.verbatim(asked, 3, on_token=streamed.append)
    assert cut.finish_reason == "length" and cut.token_ids == streamed == whole.token_ids[:3]
    answer = serving.answer(asked, whole)
    assert answer.known_fix and answer.based_on == [14] and answer.source == "known_fix"


def test_an_answer_far_from_every_pair_is_a_suggestion_and_its_evidence_is_listed(answering: Answering) -> None:
    serving = verbatim_everywhere(answering)
    asked = serving.ask("The espresso machine on the third floor leaks water again")
    answer = serving.answer(asked, serving.verbatim(asked, 96))
    assert answer.source == "known_fix" and not answer.known_fix and answer.based_on == []
    assert serving.shown(asked, answer) == asked.similar[:3]
    generated = GenerationResult(serving.answer_ids("Set PYTHONPATH")[:-1], "stop", 10, 0.0, 0.0)
    suggestion = serving.answer(replace(asked, verbatim=False), generated)
    assert (suggestion.text, suggestion.source, suggestion.known_fix) == ("Set PYTHONPATH", "model", False)
    assert serving.reask(replace(asked, verbatim=False)).verbatim  # the grounding decides, not the caller
