"""Every version scored on reworded questions: developers' words, not the stored issue's.

The question file (samples/paraphrases.json format) lists {"query", "issue", "resolution", "source"}: `issue` is
the stored issue of the pair that answers it (null when no pair does) and `resolution` the reference fix. A
question is *known* to a version when its pair's issue is in the version's snapshot; the others (including pairs
not submitted yet) are *unknown*. Retrieval hit@1/@3 and the known-pair threshold use every question (no model
needed); the model answers a seeded sample of at most `answered` questions (generation is the slow part), on
which answer token-F1 and ROUGE-L sit beside those of "return the top known fix", the policy of each band (close
/ far) is chosen — never worse than the evidence — and the known_fix precision and recall of the serving rule
are measured.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from statistics import fmean
from typing import Any

from decoding.answer import Answer, Answering, Asked
from decoding.protocol import GenerationRequest, GenerationResult
from resolver_core.calibration import Probe, calibrate, same_fix_groups
from resolver_core.grounding import CLOSENESS, MIN_FALSE_ON_UNKNOWN, AnswerPolicy, Grounding, closeness_of
from resolver_core.manifest import PolicySource
from resolver_core.retrieval import Similar, SimilarPairs
from resolver_core.scoring import hit_rate, known_fix_rates
from resolver_core.text_metrics import rouge_l, token_f1

SHIPPED_QUESTIONS = Path(__file__).resolve().parent.parent / "samples" / "paraphrases.json"
Generate = Callable[[list[GenerationRequest]], list[GenerationResult]]  # decoded together, in the order asked


def load_questions(path: Path | None) -> tuple[list[dict[str, Any]], str]:
    """The questions and the sha256 of their file (none, when no file is set and the shipped one is absent);
    ValueError naming the entry when one is malformed."""
    path = path or SHIPPED_QUESTIONS
    if path == SHIPPED_QUESTIONS and not path.is_file():
        return [], ""
    raw = path.read_bytes()
    questions = json.loads(raw)
    for number, entry in enumerate(questions):
        if not isinstance(entry.get("query"), str) or not isinstance(entry.get("resolution"), str):
            raise ValueError(f"{path} entry {number}: needs a string query and resolution")
    return questions, hashlib.sha256(raw).hexdigest()


def answered_sample(known: list[int], unknown: list[int], limit: int, seed: int) -> list[int]:
    """At most `limit` question indices (0 = all), known and unknown in proportion, the same for every version."""
    if limit <= 0 or limit >= len(known) + len(unknown):
        return sorted(known + unknown)
    rng = random.Random(f"{seed}:answered")
    share = round(limit * len(known) / (len(known) + len(unknown)))
    return sorted(rng.sample(known, min(share, len(known))) + rng.sample(unknown, min(limit - share, len(unknown))))


def score_questions(
    generate: Generate,
    answering: Answering,
    questions: list[dict[str, Any]],
    answered: int,
    max_new_tokens: int,
    min_false_on_unknown: float = MIN_FALSE_ON_UNKNOWN,
    pair_probes: Sequence[Probe] = (),
) -> dict[str, Any]:
    """Scores and the calibrated grounding (threshold, band policies) of a version. `answering`: how VM2 answers
    with the version's pairs, every answer generated (decoded by `generate`); the served answers are then the ones
    VM2 gives under the calibrated grounding, at most `max_new_tokens` long. `pair_probes`: the version's own
    calibration questions (resolver_core.calibration.leave_one_out_probes), used beside the file's questions about
    this version's pairs."""
    index = answering.index
    issue_ids = {pair["issue"]: pair_id for pair, pair_id in zip(index.pairs, index.ids, strict=True)}
    asked = [answering.ask(q["query"], f"question {number}") for number, q in enumerate(questions)]
    similar = [a.similar for a in asked]
    truth = [issue_ids.get(q.get("issue") or "") for q in questions]
    right = _pairs_with_the_same_fix(index, truth)
    known = [i for i, pair_id in enumerate(truth) if pair_id is not None]
    unknown = [i for i, pair_id in enumerate(truth) if pair_id is None]
    top = [closeness_of(s, CLOSENESS) for s in similar]
    calibration = calibrate([*pair_probes, *_question_probes(top, known, unknown)], min_false_on_unknown)
    threshold = calibration.known_fix_threshold
    sample = answered_sample(known, unknown, answered, seed=0)
    generated = dict(zip(sample, generate([answering.request(asked[i], max_new_tokens) for i in sample]), strict=True))
    answers = {i: answering.answer(asked[i], generated[i]).text for i in sample}
    close = [i for i in sample if top[i] >= threshold]
    far = [i for i in sample if top[i] < threshold]
    # A band's policy is measured on its answered questions; the close band's only when it holds a known one (the
    # generated answers are compared with the team's fix of a failure the version knows), else the default.
    close_policy, close_from = _band_policy(close, questions, answers, similar, any(truth[i] for i in close))
    far_policy, far_from = _band_policy(far, questions, answers, similar, True, default="model")
    serving = replace(
        answering,
        grounding=Grounding(answering.grounding.context_pairs, threshold, close_policy, far_policy, CLOSENESS),
    )
    served = {i: served_answer(serving, asked[i], generated[i], max_new_tokens) for i in sample}
    served_texts = {i: served[i].text for i in sample}
    groups = {
        name: _group(
            [i for i in sample if (truth[i] is not None) == is_known], questions, answers, similar, served_texts
        )
        for name, is_known in (("known", True), ("unknown", False))
    }
    groups["known"].update(_retrieval(known, similar, right))
    return {
        "questions": len(questions),
        "answered": len(sample),
        "known_fix_threshold": threshold,
        "threshold_calibrated": calibration.method != "none",
        "closeness": CLOSENESS,
        "min_false_on_unknown": min_false_on_unknown,
        "answer_policy": close_policy,
        "far_policy": far_policy,
        "calibration": calibration.model_copy(update={"close_policy_from": close_from, "far_policy_from": far_from}),
        "known_fix": known_fix_rates([served[i].based_on for i in sample], [right[i] for i in sample]),
        **groups,
        "samples": [{"query": questions[i]["query"], "answer": answers[i]} for i in sample[:3]],
    }


def served_answer(serving: Answering, asked: Asked, generated: GenerationResult, max_new_tokens: int) -> Answer:
    """VM2's answer under the calibrated grounding: the closest fix verbatim where its policy says so, else the
    generated one."""
    asked = serving.reask(asked)
    return serving.answer(asked, serving.verbatim(asked, max_new_tokens) if asked.verbatim else generated)


def _question_probes(top: list[float], known: list[int], unknown: list[int]) -> list[Probe]:
    """The file's questions as calibration questions: every one about this version's pairs, and — only when there
    are such — the ones without a pair here (a file asking nothing about this version is about other failures)."""
    if not known:
        return []
    return [Probe(top[i], True, "questions") for i in known] + [Probe(top[i], False, "questions") for i in unknown]


def _band_policy(
    members: list[int],
    questions: list[dict],
    answers: dict[int, str],
    similar: list,
    measurable: bool,
    default: AnswerPolicy = "top_known_fix",
) -> tuple[AnswerPolicy, PolicySource]:
    """The generated answers unless, on this band's questions, they score below returning the top known fix; the
    default when the band has nothing to measure it on."""
    if not members or not measurable:
        return default, "default"
    references = _references(questions, members)
    model = _mean(token_f1, [answers[i] for i in members], references)
    top_fix = _mean(token_f1, [_top_fix(similar[i]) for i in members], references)
    return ("top_known_fix" if model < top_fix else "model"), "answers"


def _group(
    members: list[int], questions: list[dict], answers: dict[int, str], similar: list, served: dict[int, str]
) -> dict[str, Any]:
    if not members:
        return {"questions": 0}
    references = _references(questions, members)
    model = [answers[i] for i in members]
    top_fix = [_top_fix(similar[i]) for i in members]
    return {
        "questions": len(members),
        "answer_f1": _mean(token_f1, model, references),
        "answer_rouge_l": _mean(rouge_l, model, references),
        "top_fix_f1": _mean(token_f1, top_fix, references),
        "top_fix_rouge_l": _mean(rouge_l, top_fix, references),
        "served_f1": _mean(token_f1, [served[i] for i in members], references),
    }


def _pairs_with_the_same_fix(index: SimilarPairs, truth: list[int | None]) -> list[frozenset[int]]:
    """For each question, the ids of the pairs that carry its pair's fix: the pair itself, and any other wording of
    the same failure with the same resolution (an accepted answer on VM2 becomes one through the feedback loop) —
    retrieving either serves the right fix. Empty for a question without a known pair."""
    position = {pair_id: i for i, pair_id in enumerate(index.ids)}
    groups = same_fix_groups(index.pairs)
    return [
        frozenset(index.ids[j] for j in groups[position[pair_id]]) if pair_id is not None else frozenset()
        for pair_id in truth
    ]


def _retrieval(known: list[int], similar: list[list[Similar]], right: list[frozenset[int]]) -> dict[str, Any]:
    """hit@1/@3 over every known question (retrieval needs no model: all of them, not only the answered ones)."""
    if not known:
        return {}
    ranked, truth = [[s.id for s in similar[i]] for i in known], [right[i] for i in known]
    return {
        "retrieval_questions": len(known),
        "hit_at_1": hit_rate(ranked, truth, 1),
        "hit_at_3": hit_rate(ranked, truth, 3),
    }


def _top_fix(similar: list[Similar]) -> str:
    return similar[0].resolution if similar else ""


def _references(questions: list[dict[str, Any]], members: Sequence[int]) -> list[str]:
    return [questions[i]["resolution"] for i in members]


def _mean(metric: Callable[[str, str], float], predictions: list[str], references: list[str]) -> float:
    return round(fmean(metric(p, r) for p, r in zip(predictions, references, strict=True)), 4)
