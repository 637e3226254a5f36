"""How an answer relates to the known fixes: the context a question is shown with, and when an answer *is* a
known fix (the same rule at serving time and in every version's evaluation).

A version's manifest records its grounding: how many known pairs its prompts carry, the retrieval score above
which a known pair counts as close (calibrated on reworded questions), and an answer policy for each band —
questions with a close known pair and the others: "model" (serve the generated answer) or "top_known_fix"
(return the closest known fix verbatim, because on that band the version's generated answers scored below it).
Only an answer that follows a close pair is a known fix; in the far band the closest fix is a suggestion.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from resolver_core.manifest import DEFAULT_THRESHOLD, AnswerPolicy, GroundingInfo
from resolver_core.retrieval import Similar
from resolver_core.text_metrics import token_f1

__all__ = ["DEFAULT_THRESHOLD", "AnswerPolicy", "Grounding", "calibrate_threshold"]
FOLLOWS_F1 = 0.5  # an answer "follows" a known fix when their token-F1 reaches this


@dataclass(frozen=True)
class Grounding:
    context_pairs: int
    known_fix_threshold: float
    answer_policy: AnswerPolicy  # questions with a close known pair
    far_policy: AnswerPolicy = "model"  # questions without one

    @classmethod
    def of_version(cls, recorded: GroundingInfo, threshold: float | None = None, policy: str = "version") -> Grounding:
        """A version's grounding (its manifest's section); settings may override the calibrated threshold and the
        policies ("version" = the measured ones, else one policy for both bands)."""
        return cls(
            context_pairs=recorded.context_pairs,
            known_fix_threshold=recorded.known_fix_threshold if threshold is None else threshold,
            answer_policy=recorded.answer_policy if policy == "version" else policy,  # type: ignore[arg-type]
            far_policy=recorded.far_policy if policy == "version" else policy,  # type: ignore[arg-type]
        )

    def is_close(self, similar: Sequence[Similar]) -> bool:
        return bool(similar) and similar[0].score >= self.known_fix_threshold

    def serves_top_fix(self, similar: Sequence[Similar]) -> bool:
        """The closest known fix is the answer, verbatim, without generating."""
        policy = self.answer_policy if self.is_close(similar) else self.far_policy
        return bool(similar) and policy == "top_known_fix"

    def based_on(self, answer: str, similar: Sequence[Similar]) -> list[int]:
        """Ids of the close known pairs the answer follows; empty = the answer is a suggestion, not a known fix."""
        if not self.is_close(similar):
            return []
        close = [s for s in similar if s.score >= self.known_fix_threshold]
        return [s.id for s in close if token_f1(answer, s.resolution) >= FOLLOWS_F1]


def calibrate_threshold(known_scores: Sequence[float], unknown_scores: Sequence[float]) -> float | None:
    """The top-evidence score that best separates questions with a known pair from those without (highest
    balanced accuracy; ties go to the higher threshold, i.e. fewer false "known fix" claims). None without both."""
    if not known_scores or not unknown_scores:
        return None
    best, best_accuracy = None, -1.0
    for threshold in sorted({*known_scores, *unknown_scores}, reverse=True):
        recall = sum(s >= threshold for s in known_scores) / len(known_scores)
        specificity = sum(s < threshold for s in unknown_scores) / len(unknown_scores)
        if (recall + specificity) / 2 > best_accuracy:
            best, best_accuracy = threshold, (recall + specificity) / 2
    return best
