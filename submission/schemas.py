"""Request and response bodies of the submission API."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr

from resolver_core.store import PairStatus as Status


class SubmitRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"issue": "Build failed due to missing dependency", "resolution": "Add package X to requirements.txt"}
            ]
        }
    )

    issue: StrictStr = Field(description="The CI/CD failure as a developer reports it.")
    resolution: StrictStr = Field(description="The fix the team uses.")
    log_excerpt: StrictStr | None = Field(
        None,
        description="Optional: the log lines that identify the failure, as CI printed them (terminal codes and CI "
        "timestamps are removed, secrets redacted); retrieval matches whole job logs against them.",
    )
    source: StrictStr | None = Field(None, max_length=200, description="Where the pair comes from (ticket, runbook).")
    tags: list[StrictStr] | None = Field(None, max_length=20, description="Free-form labels, e.g. npm, docker.")


class SubmitResponse(BaseModel):
    message: str = "Incident submitted successfully"
    id: int
    count: int = Field(description="Pairs in the dataset after this submission.")
    status: Status
    submitted_by: str


class FeedbackProvenance(BaseModel):
    answer_id: str = Field(description="The VM2 answer the developer judged.")
    model_version: str | None = Field(description="The version that gave that answer.")
    verdict: Literal["accepted", "corrected"]
    model_answer: str | None = Field(description="What the model answered (side by side with this pair's fix).")
    comment: str | None


class Pair(BaseModel):
    id: int
    issue: str
    resolution: str
    submitted_by: str
    created_at: str
    status: Status
    source: str | None
    tags: list[str]
    reviewed_by: str | None = Field(None, description="Who last set the status (admin key holder).")
    reviewed_at: str | None = Field(None, description="When the status was last set.")
    rejections: int = Field(0, description="Answers based on this pair that developers rejected on VM2.")
    feedback: FeedbackProvenance | None = Field(None, description="Set when the pair came from VM2 feedback.")
    log_excerpt: str | None = Field(None, description="The log lines that identify the failure, if any.")


class PairPage(BaseModel):
    items: list[Pair]
    next_since_id: int | None = Field(description="Pass as since_id for the next page; null on the last page.")


class Deleted(BaseModel):
    deleted: int = Field(description="The id of the deleted pair.")


class PairUpdate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"status": "approved"}, {"resolution": "Pin react to 18.3", "status": "approved"}]
        }
    )

    status: Status | None = Field(None, description="approved (trained on), pending or rejected.")
    issue: StrictStr | None = Field(None, description="Edited issue text (validated like a submission).")
    resolution: StrictStr | None = Field(None, description="Edited resolution text (validated like a submission).")


class Stats(BaseModel):
    total: int
    by_status: dict[str, int]
    newest_id: int | None
    from_feedback: int = Field(description="Pairs that came from VM2 feedback (any status).")
    flagged: int = Field(description="Pairs with at least one rejected answer on VM2.")


class SeedPair(BaseModel):
    issue: str
    resolution: str


class VersionSummary(BaseModel):
    version: str
    parent: str | None = None
    created_at: str | None = None
    aliases: list[str] = Field(description="Aliases pointing at it (latest, promoted).")
    pairs: int | None = Field(None, description="Approved pairs it knows.")
    new_pairs: int | None = Field(None, description="Pairs new since its parent.")
    from_feedback: int = Field(0, description="Of its pairs, how many came from VM2 feedback.")
    eval_loss: float | None = Field(None, description="Loss on its held-out pairs.")
    eval_token_f1: float | None = Field(None, description="Token-F1 on its held-out pairs.")
    eval_rouge_l: float | None = Field(None, description="ROUGE-L on its held-out pairs.")
    known_served_f1: float | None = Field(None, description="Served answer token-F1, reworded known questions.")
    unknown_served_f1: float | None = Field(None, description="Served answer token-F1, questions with no pair.")
    hit_at_1: float | None = Field(None, description="Retrieval hit@1 on reworded known questions.")
    known_fix_threshold: float | None = Field(None, description="Closeness from which an answer is a known fix.")
    calibration_method: str | None = Field(
        None,
        description="How that threshold was calibrated: known_and_unknown, unknown_quantile or none (null: "
        "on the reworded questions alone, a version from before calibration from pairs).",
    )
    calibration_known: int | None = Field(None, description="Calibration questions about a failure it knows.")
    calibration_unknown: int | None = Field(None, description="Calibration questions about a failure it does not.")
    calibration_warning: str | None = Field(None, description="What to know about its calibration, if anything.")
    error: str | None = Field(None, description="Set when its manifest could not be read.")
