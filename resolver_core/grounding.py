"""How an answer relates to the known fixes: the context a question is shown with, and when an answer *is* a
known fix (the same rule at serving time and in every version's evaluation).

A version's manifest records its grounding: how many known pairs its prompts carry, how close a question is to
the known fixes (`closeness`) and the value above which it counts as close (calibrated on reworded questions),
and an answer policy for each band — questions with a close known pair and the others: "model" (serve the
generated answer) or "top_known_fix" (return the closest known fix verbatim, because on that band the version's
generated answers scored below it). Only an answer that follows a known pair of a close question is a known fix;
in the far band the closest fix is a suggestion.

Closeness "top_and_margin" is the best evidence score plus its lead over the runner-up: a question near one known
pair and not the others is about that pair; one between two is not clearly about either. It recognises more known
questions than the top score alone at the same share of unknown ones kept as suggestions (bench/retrieval.py). The
threshold itself is calibrated per version by resolver_core/calibration.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from resolver_core.manifest import DEFAULT_THRESHOLD, AnswerPolicy, Closeness, GroundingInfo
from resolver_core.retrieval import Similar
from resolver_core.text_metrics import token_f1

__all__ = ["DEFAULT_THRESHOLD", "AnswerPolicy", "Grounding", "calibrate_threshold", "closeness_of"]
FOLLOWS_F1 = 0.5  # an answer "follows" a known fix when their token-F1 reaches this
CLOSENESS: Closeness = "top_and_margin"  # what new versions are calibrated and served with
MIN_FALSE_ON_UNKNOWN = 0.8  # default share of questions without a known pair that must not be called one


def closeness_of(similar: Sequence[Similar], rule: Closeness, index: int = 0) -> float:
    """How close the question is to the known fix `similar[index]` (default: the best), from its evidence (best
    first): its score, plus, for "top_and_margin", its lead over the best of the others (negative for any pair but
    the top one). 0 without evidence."""
    if len(similar) <= index:
        return 0.0
    score = similar[index].score
    if rule == "top":
        return score
    others = [s.score for position, s in enumerate(similar) if position != index]
    return round(score + (score - max(others, default=0.0)), 4)


@dataclass(frozen=True)
class Grounding:
    context_pairs: int
    known_fix_threshold: float
    answer_policy: AnswerPolicy  # questions with a close known pair
    far_policy: AnswerPolicy = "model"  # questions without one
    closeness: Closeness = "top"
    quoted_bonus: float = 0.0  # whole logs: added to a known pair's score when the failure quotes its wording

    @classmethod
    def of_version(cls, recorded: GroundingInfo, threshold: float | None = None, policy: str = "version") -> Grounding:
        """A version's grounding (its manifest's section); settings may override the calibrated threshold and the
        policies ("version" = the measured ones, else one policy for both bands)."""
        return cls(
            context_pairs=recorded.context_pairs,
            known_fix_threshold=recorded.known_fix_threshold if threshold is None else threshold,
            answer_policy=recorded.answer_policy if policy == "version" else policy,  # type: ignore[arg-type]
            far_policy=recorded.far_policy if policy == "version" else policy,  # type: ignore[arg-type]
            closeness=recorded.closeness,
        )

    def is_close(self, similar: Sequence[Similar]) -> bool:
        return bool(similar) and closeness_of(similar, self.closeness) >= self.known_fix_threshold

    def serves_top_fix(self, similar: Sequence[Similar]) -> bool:
        """The closest known fix is the answer, verbatim, without generating."""
        policy = self.answer_policy if self.is_close(similar) else self.far_policy
        return bool(similar) and policy == "top_known_fix"

    def based_on(self, answer: str, similar: Sequence[Similar]) -> list[int]:
        """Ids of the close known pairs the answer follows; empty = the answer is a suggestion, not a known fix."""
        close = [
            pair
            for index, pair in enumerate(similar)
            if closeness_of(similar, self.closeness, index) >= self.known_fix_threshold
        ]
        return [pair.id for pair in close if token_f1(answer, pair.resolution) >= FOLLOWS_F1]


def calibrate_threshold(
    known_scores: Sequence[float], unknown_scores: Sequence[float], min_false_on_unknown: float = MIN_FALSE_ON_UNKNOWN
) -> float | None:
    """The closeness value above which a question counts as having a known pair: the one that recognises the most
    questions with a pair while keeping at least `min_false_on_unknown` of those without one below it (ties go to
    the higher value, i.e. fewer false "known fix" claims). None without both kinds of question."""
    if not known_scores or not unknown_scores:
        return None
    best, best_recall = None, -1.0
    for threshold in sorted({*known_scores, *unknown_scores}, reverse=True):
        recall = sum(s >= threshold for s in known_scores) / len(known_scores)
        specificity = sum(s < threshold for s in unknown_scores) / len(unknown_scores)
        if specificity >= min_false_on_unknown and recall > best_recall:
            best, best_recall = threshold, recall
    return best if best is not None else round(max(*known_scores, *unknown_scores) + 1e-4, 4)  # none is close
