"""manifest.json of a version, typed: the one schema the trainer writes and every reader (serving, deploy, the
versions list, promotion) reads, through resolver_core.registry's read_manifest / write_manifest only.

`schema_version` 2 is the first typed layout; a file without the field is a version 1 manifest, written before
this model existed. Version 1 files are read with the defaults below (e.g. versions trained before grounding
have no `grounding` section: 0 known pairs per prompt, the generated answer, TF-IDF retrieval). A manifest
from a newer trainer (a higher schema_version) is refused with a message: upgrade the reader first.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 2
DEFAULT_THRESHOLD = 0.3  # the known-fix threshold of versions trained before calibration existed
NEVER_CLOSE = 2.01  # a threshold above any closeness (a score ≤ 1 plus a lead ≤ 1): no question is close
AnswerPolicy = Literal["model", "top_known_fix"]
# How close a question is to the known fixes (resolver_core.grounding.closeness): "top" = the best evidence score;
# "top_and_margin" = that score plus its lead over the runner-up (newer versions).
Closeness = Literal["top", "top_and_margin"]
Retrieval = Literal["tfidf", "hybrid", "hybrid_issue"]
# How the known-fix threshold was reached (resolver_core.calibration): from known and unknown questions, from unknown
# ones alone (their conformal quantile), or from none (nothing is a known fix).
CalibrationMethod = Literal["known_and_unknown", "unknown_quantile", "none"]
PolicySource = Literal["answers", "default"]  # a band's answer policy: measured on answers, or the default


class Section(BaseModel):
    # Unknown keys are ignored, not kept: manifests are never rewritten, and a reader must not trip over a key a
    # trainer of the same schema_version dropped since.
    model_config = ConfigDict(extra="ignore", frozen=True)


class BaseFingerprint(Section):
    """The base model a version was trained on: sha256 of config.json and of every weight file."""

    id: str
    sha256: str
    files: dict[str, str]
    path: str | None = None  # where it was on the training machine (informative only)


class TokenizerInfo(Section):
    template_sha256: str | None = None  # resolver_core.prompt.template_fingerprint: serving refuses a mismatch
    end_of_turn_id: int | None = None


class DatasetInfo(Section):
    file: str = "issues_resolutions.json"
    sha256: str | None = None
    total: int = 0
    trained: int = 0
    new: int = 0
    replayed: int = 0
    eval: int = 0
    from_feedback: int = 0
    new_from_feedback: int = 0
    max_pair_id: int = 0
    pair_ids: list[int] = Field(default_factory=list)  # store ids of the snapshot, in its order
    new_pair_ids: list[int] = Field(default_factory=list)
    replayed_pair_ids: list[int] = Field(default_factory=list)
    eval_pair_ids: list[int] = Field(default_factory=list)


class Calibration(Section):
    """Where a version's known-fix threshold came from: the method, and how many calibration questions of each
    kind (known / unknown) and origin (leave_one_out: a pair's issue among the other pairs; feedback: the same for a
    pair made from VM2 feedback; questions: the reworded questions file)."""

    method: CalibrationMethod
    known_fix_threshold: float
    min_false_on_unknown: float
    known_leave_one_out: int = 0
    known_feedback: int = 0
    known_questions: int = 0
    unknown_leave_one_out: int = 0
    unknown_feedback: int = 0
    unknown_questions: int = 0
    close_policy_from: PolicySource = "default"
    far_policy_from: PolicySource = "default"

    @property
    def known(self) -> int:
        return self.known_leave_one_out + self.known_feedback + self.known_questions

    @property
    def unknown(self) -> int:
        return self.unknown_leave_one_out + self.unknown_feedback + self.unknown_questions

    def describe(self) -> str:
        """One line: the method, then each kind of calibration question by origin."""
        return (
            f"{self.method}: known {self.known} ({self.known_questions} questions, {self.known_feedback} feedback, "
            f"{self.known_leave_one_out} left-out pairs), unknown {self.unknown} ({self.unknown_leave_one_out} "
            f"left-out pairs, {self.unknown_feedback} feedback, {self.unknown_questions} questions)"
        )

    def warning(self) -> str | None:
        """What a user should know about this calibration, or None."""
        if self.known_fix_threshold >= NEVER_CLOSE:
            return (
                f"too few pairs to calibrate the known-fix threshold ({self.unknown} left out): no answer is called "
                "a known fix; submit more pairs and train again"
            )
        if not self.known:
            return (
                "no reworded questions about this version's pairs: known-fix recall is not measured; add "
                "TRAIN_EVAL_QUESTIONS or collect feedback"
            )
        return None


class GroundingInfo(Section):
    """What serving needs to ground answers as the version was trained and scored (resolver_core.grounding)."""

    retrieval: Retrieval = "tfidf"
    context_pairs: int = 0
    closeness: Closeness = "top"
    known_fix_threshold: float = DEFAULT_THRESHOLD  # on the closeness scale
    threshold_calibrated: bool = False
    min_false_on_unknown: float | None = None  # the calibration's constraint (None: balanced accuracy, older)
    answer_policy: AnswerPolicy = "model"  # questions with a close known pair
    far_policy: AnswerPolicy = "model"  # questions without one
    calibration: Calibration | None = None  # None: a version calibrated on the question file alone (older)
    log_known_fix_threshold: float | None = None  # whole logs (POST /resolve/log); None: the question threshold
    log_quoted_bonus: float = 0.0  # whole logs: added to a pair's score when the failure quotes its wording


class GroupScores(Section):
    """Reworded questions of one group (with a known pair, or without): answers vs the team's fix."""

    questions: int = 0
    answer_f1: float | None = None
    answer_rouge_l: float | None = None
    top_fix_f1: float | None = None
    top_fix_rouge_l: float | None = None
    served_f1: float | None = None
    retrieval_questions: int | None = None
    hit_at_1: float | None = None
    hit_at_3: float | None = None


class KnownFixRates(Section):
    precision: float | None = None
    recall: float | None = None
    true_on_known: float | None = None
    false_on_unknown: float | None = None


class RewordedScores(Section):
    """trainer.questions.score_questions on the reworded questions file (`file`, `sha256`)."""

    file: str
    sha256: str
    questions: int
    answered: int
    known_fix_threshold: float
    threshold_calibrated: bool
    closeness: Closeness = "top"
    min_false_on_unknown: float | None = None
    answer_policy: AnswerPolicy
    far_policy: AnswerPolicy
    known_fix: KnownFixRates
    known: GroupScores
    unknown: GroupScores
    samples: list[dict[str, str]] = Field(default_factory=list)
    answered_dtype: str | None = None  # the engine's dtype, or the GGUF's quantization, answers were decoded in


class LogScores(Section):
    """trainer.log_scores.score_logs: the version on made whole job logs around the excerpts file (`file`)."""

    file: str
    sha256: str
    logs: int
    known: int
    unknown: int
    signature_recall: float
    hit_at_1: float | None = None
    hit_at_3: float | None = None
    known_fix_threshold: float
    threshold_from: Literal["logs", "questions"]
    known_fix: KnownFixRates
    quoted_bonus: float = 0.0  # the score a pair quoted by a log's failure lines gained (resolver_core.wording)


class EngineAgreement(Section):
    """The reworded questions' generated answers decoded by llama.cpp from the version's GGUF, beside the same
    answers from the torch engine (trainer.gguf_step): what the quantization changes in what VM2 says."""

    questions: int
    identical_answers: float  # share of answers word for word the same
    token_agreement: float  # answer tokens the same before the answers first differ, over the longer's tokens
    answer_f1: float  # mean word F1 of llama.cpp's answers against the torch engine's (1.0 = the same words)
    # The reworded scores' answer F1 against the team's fixes (metrics.reworded, answered by llama.cpp), and the
    # same with the torch engine's answers: what the quantization costs in answer quality.
    known_answer_f1: float | None = None
    torch_known_answer_f1: float | None = None
    unknown_answer_f1: float | None = None
    torch_unknown_answer_f1: float | None = None


class GgufInfo(Section):
    """The version as one GGUF file (decoding/gguf.py) for the llama.cpp engine: base and adapter merged."""

    file: str
    quantization: str
    converter: str  # the llama-cpp-python release whose convert_hf_to_gguf.py wrote it
    agreement: EngineAgreement | None = None


class Metrics(Section):
    # Held-out scores are kept as measured (`eval`, and `base` or `parent` for the starting point with
    # `change_vs_base` / `change_vs_parent`): their key names depend on the lineage, so extra keys are kept here.
    model_config = ConfigDict(extra="allow", frozen=True)

    train_loss_first: float | None = None
    train_loss_last: float | None = None
    train_loss_history: list[float] = Field(default_factory=list)
    eval: dict[str, Any] = Field(default_factory=dict)
    reworded: RewordedScores | None = None
    logs: LogScores | None = None  # None: versions trained before whole logs were scored

    def before(self, name: str) -> dict[str, Any]:
        """The starting point's held-out scores ("base" or "parent")."""
        return dict(getattr(self, name, None) or {})


class TrainingInfo(Section):
    steps: int = 0
    real_tokens: int = 0
    seconds: float = 0.0
    tokens_per_s: float = 0.0
    resumed_from_step: int = 0
    world_size: int = 1


class Manifest(Section):
    schema_version: int = 1  # absent in files written before the typed layout
    version: str
    created_at: str | None = None
    started_at: str | None = None
    parent: str | None = None
    mode: str | None = None
    base_model: BaseFingerprint | None = None
    tokenizer: TokenizerInfo = Field(default_factory=TokenizerInfo)
    dataset: DatasetInfo = Field(default_factory=DatasetInfo)
    grounding: GroundingInfo = Field(default_factory=GroundingInfo)
    hyperparameters: dict[str, Any] = Field(default_factory=dict)
    metrics: Metrics = Field(default_factory=Metrics)
    training: TrainingInfo = Field(default_factory=TrainingInfo)
    software: dict[str, str] = Field(default_factory=dict)
    gguf: GgufInfo | None = None  # None: no GGUF (TRAIN_GGUF=off, no llama.cpp, or older versions)
    files: dict[str, str] = Field(default_factory=dict)  # sha256 of every other file of the version folder

    @property
    def base_id(self) -> str:
        return self.base_model.id if self.base_model else "?"

    def to_json(self) -> bytes:
        return self.model_dump_json(indent=2, exclude_none=False).encode()
