"""One question → one answer: the path VM2 serves and every version is scored on, so that the scores a manifest
records are the answers VM2 gives.

The evidence retrieval finds, the grounded prompt (known pairs dropped from the last while too long), then either
the engine request (the nearest known fixes as drafts) or — where the version's policy serves it — the closest known
fix verbatim, cut to the same token limit; and what the answer is: its text, whether it is the team's known fix, the
pairs it follows. The engine itself (how the request is decoded) is the caller's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

from decoding.drafts import DRAFT_SOURCES
from decoding.protocol import GenerationRequest, GenerationResult
from joblog import Block, printed_text, question_of
from resolver_core.grounding import Grounding, closeness_of
from resolver_core.prompt import encode_answer, fenced_log, fit_prompt
from resolver_core.retrieval import Similar, SimilarPairs
from resolver_core.validation import FieldError
from resolver_core.wording import QUOTED_SEARCH_DEPTH

AnswerSource = Literal["model", "known_fix"]


@dataclass(frozen=True)
class Answer:
    text: str
    known_fix: bool  # the answer follows a close known pair: the team's fix, not a suggestion
    based_on: list[int]  # ids of the known pairs it follows (all in the evidence)
    source: AnswerSource  # "known_fix": the closest known fix verbatim (the version's policy for this band)


@dataclass(frozen=True)
class Asked:
    """A question on its way to an answer: its evidence and prompt, and whether the closest fix is the answer."""

    question: str
    similar: list[Similar]  # best first
    prompt_ids: list[int]
    verbatim: bool
    log_block: Block | None = None  # a whole-log question: the failure block it was asked with


def closest_block(searched: list[tuple[str, list[Similar]]], grounding: Grounding) -> int:
    """The candidate closest to a known failure (the strongest by the rules on a tie)."""
    return max(range(len(searched)), key=lambda i: (closeness_of(searched[i][1], grounding.closeness), -i))


@dataclass(frozen=True)
class Answering:
    """How one version answers: its tokenizer, known pairs and grounding, under the serving limits."""

    tokenizer: Any
    index: SimilarPairs
    grounding: Grounding
    end_of_turn: int
    max_prompt_tokens: int
    similar_k: int  # evidence listed beside an answer

    def ask(self, question: str, field: str = "issue") -> Asked:
        """Evidence and prompt; FieldError naming `field` when even the bare question's prompt is too long."""
        similar = self.index.search(question, self._wanted())
        prompt_ids = self._prompt(question, similar)
        limit = self.max_prompt_tokens
        if len(prompt_ids) > limit:
            raise FieldError(
                field,
                f"is {len(prompt_ids)} tokens long with the prompt; at most {limit} fit (INFERENCE_MAX_PROMPT_TOKENS)",
            )
        return Asked(question, similar, prompt_ids, self.grounding.serves_top_fix(similar))

    def ask_log(self, candidates: list[Block], max_question_chars: int) -> Asked:
        """A whole log's question: of its candidate failure blocks (strongest first), the one closest to a known
        failure if any is close, else the strongest by the rules; searched as data, and fenced as data in the
        prompt (cut further if even the bare fenced block is too long)."""
        searched = self.log_searches(candidates, max_question_chars)
        closest = closest_block(searched, self.grounding)
        chosen = closest if self.grounding.is_close(searched[closest][1]) else 0
        question, similar = searched[chosen]
        prompt_ids = self._prompt(fenced_log(question), similar)
        while len(prompt_ids) > self.max_prompt_tokens and len(question) > 80:
            question = question[: len(question) * 3 // 4]
            prompt_ids = self._prompt(fenced_log(question), similar)
        verbatim = self.grounding.serves_top_fix(similar)
        return Asked(question, similar, prompt_ids, verbatim, candidates[chosen])

    def log_searches(self, candidates: list[Block], max_question_chars: int) -> list[tuple[str, list[Similar]]]:
        """Each candidate block as a question (redacted, bounded) and the known pairs it finds, in one batch; with
        the grounding's quoted bonus, a pair whose wording the block's printed lines quote scores that much more."""
        questions = [question_of(block, max_question_chars) for block in candidates]
        bonus, wanted = self.grounding.quoted_bonus, self._wanted()
        found = self.index.search_many(questions, max(wanted, QUOTED_SEARCH_DEPTH) if bonus else wanted)
        if bonus:
            found = [
                self.index.quoted_first(similar, printed_text(block, max_question_chars), bonus, QUOTED_SEARCH_DEPTH)
                for block, similar in zip(candidates, found, strict=True)
            ]
        return list(zip(questions, [similar[:wanted] for similar in found], strict=True))

    def _wanted(self) -> int:
        return max(DRAFT_SOURCES, self.similar_k, self.grounding.context_pairs)

    def _prompt(self, question: str, similar: list[Similar]) -> list[int]:
        return fit_prompt(self.tokenizer, question, similar[: self.grounding.context_pairs], self.max_prompt_tokens)

    def reask(self, asked: Asked) -> Asked:
        """The same question under this answering's grounding (its evidence and prompt reused)."""
        return replace(asked, verbatim=self.grounding.serves_top_fix(asked.similar))

    def request(
        self,
        asked: Asked,
        max_new_tokens: int,
        temperature: float = 0.0,
        seed: int | None = None,
        deadline: float = float("inf"),
        on_token: Callable[[int], None] | None = None,
    ) -> GenerationRequest:
        """What the engine decodes for a question that is not answered verbatim."""
        return GenerationRequest(
            prompt_ids=asked.prompt_ids,
            max_new_tokens=max_new_tokens,
            temperature=temperature,
            seed=seed,
            deadline=deadline,
            on_token=on_token,
            drafts=[self.answer_ids(s.resolution) for s in asked.similar[:DRAFT_SOURCES]],
        )

    def verbatim(
        self, asked: Asked, max_new_tokens: int, on_token: Callable[[int], None] | None = None
    ) -> GenerationResult:
        """The closest known fix as a finished generation: its tokens up to the limit, each to `on_token`."""
        fix_ids = self.answer_ids(asked.similar[0].resolution)[:-1]  # without the end-of-turn token
        token_ids = fix_ids[:max_new_tokens]
        for token in token_ids if on_token else ():
            on_token(token)
        reason = "stop" if len(token_ids) == len(fix_ids) else "length"
        return GenerationResult(token_ids, reason, len(asked.prompt_ids), queued_s=0.0, generation_s=0.0)

    def answer(self, asked: Asked, result: GenerationResult) -> Answer:
        """What the tokens say, and whether they are the team's known fix."""
        text = self.tokenizer.decode(result.token_ids, skip_special_tokens=True).strip()
        based_on = self.grounding.based_on(text, asked.similar)  # the closest fix verbatim, far from the question: []
        return Answer(text, bool(based_on), based_on, "known_fix" if asked.verbatim else "model")

    def answer_ids(self, resolution: str) -> list[int]:
        """A known resolution as the model emits it (the trainer's answer encoding: text, then end of turn)."""
        return encode_answer(self.tokenizer, resolution, self.end_of_turn)

    def shown(self, asked: Asked, answer: Answer) -> list[Similar]:
        """The evidence listed beside the answer: the `similar_k` nearest, plus any further one it is based on."""
        k = self.similar_k
        return asked.similar[:k] + [s for s in asked.similar[k:] if s.id in answer.based_on]
