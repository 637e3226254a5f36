"""Request and response bodies of the submission API."""

from __future__ import annotations

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
    source: StrictStr | None = Field(None, max_length=200, description="Where the pair comes from (ticket, runbook).")
    tags: list[StrictStr] | None = Field(None, max_length=20, description="Free-form labels, e.g. npm, docker.")


class SubmitResponse(BaseModel):
    message: str = "Incident submitted successfully"
    id: int
    count: int = Field(description="Pairs in the dataset after this submission.")
    status: Status
    submitted_by: str


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


class PairPage(BaseModel):
    items: list[Pair]
    next_since_id: int | None = Field(description="Pass as since_id for the next page; null on the last page.")


class Deleted(BaseModel):
    deleted: int = Field(description="The id of the deleted pair.")


class StatusUpdate(BaseModel):
    status: Status


class Stats(BaseModel):
    total: int
    by_status: dict[str, int]
    newest_id: int | None


class SeedPair(BaseModel):
    issue: str
    resolution: str
