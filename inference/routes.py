"""/resolve (the seed's contract), operations endpoints and the admin reload: thin handlers over ModelService."""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request

from decoding.answer import Answer
from decoding.protocol import GenerationResult
from inference.deps import Admin, Caller, Service, Settings
from inference.feedback_routes import record_answer
from inference.schemas import ReloadRequest, ReloadStatus, ResolveRequest, ResolveResponse, SimilarPair, Usage
from resolver_core.cpu import cpu_report
from resolver_core.openapi import error_responses
from resolver_core.retrieval import Similar
from resolver_core.validation import clean_text

router = APIRouter()


@router.post(
    "/resolve",
    response_model=ResolveResponse,
    tags=["resolve"],
    responses=error_responses(400, 401, 413, 422, 503, 504),
)
async def resolve(
    body: ResolveRequest, request: Request, service: Service, settings: Settings, caller: Caller
) -> ResolveResponse:
    """Answer a CI/CD failure with the fix the team uses, plus the nearest known pairs as evidence.

    Greedy by default: the same question gets the same answer from the same version. The reply's `answer_id`
    is what POST /feedback takes.
    """
    started = time.perf_counter()
    issue = clean_text(body.issue, "issue", settings.inference_min_length, settings.inference_max_length)
    generation = service.start(issue, body.max_new_tokens, body.temperature, body.seed, "issue")
    result = await service.finish(generation)
    served = generation.served
    answer = generation.answer(result)
    similar = generation.shown(answer)
    answer_id = await record_answer(request, issue, answer, served.version, similar, caller)
    return ResolveResponse(**answer_fields(issue, answer, served.version, similar, result, answer_id, started))


def answer_fields(
    question: str,
    answer: Answer,
    version: str,
    similar: list[Similar],
    result: GenerationResult,
    answer_id: str | None,
    started: float,
) -> dict[str, Any]:
    """What every /resolve reply says of an answer (the question, the fix, its evidence and grounding, usage)."""
    completion = len(result.token_ids)
    return {
        "answer_id": answer_id,
        "issue": question,
        "resolution": answer.text,
        "model_version": version,
        "similar": [SimilarPair(id=s.id, issue=s.issue, resolution=s.resolution, score=s.score) for s in similar],
        "known_fix": answer.known_fix,
        "based_on": answer.based_on,
        "answer_source": answer.source,
        "finish_reason": result.finish_reason,
        "usage": Usage(
            prompt_tokens=result.prompt_tokens,
            completion_tokens=completion,
            total_tokens=result.prompt_tokens + completion,
        ),
        "latency_ms": round((time.perf_counter() - started) * 1000, 1),
    }


@router.get("/healthz", tags=["ops"])
def healthz() -> dict[str, str]:
    """The process is up (liveness)."""
    return {"status": "ok"}


@router.get("/readyz", tags=["ops"], responses=error_responses(503))
def readyz(service: Service) -> dict[str, str]:
    """A model is loaded and serving (readiness); 503 otherwise."""
    return {"status": "ready", "model_version": service.current.version}


@router.get("/version", tags=["ops"])
def version(service: Service) -> dict[str, object]:
    """What is served: version, its lineage and base, the engine's settings and the CPU it runs on."""
    served = service.current
    manifest = served.manifest
    return {
        "model_version": served.version,
        "requested": served.requested,
        "parent": manifest.parent,
        "created_at": manifest.created_at,
        "base_model": served.base_id,
        "pairs": len(served.similar),
        "dtype": served.dtype,
        **served.engine.describe(),
        "batch_invariant": served.batch_invariant,
        "grounding": {
            **asdict(served.grounding),
            "log_known_fix_threshold": served.log_answering.grounding.known_fix_threshold,
            "log_quoted_bonus": served.log_answering.grounding.quoted_bonus,
        },
        "cpu": cpu_report(),
        "loaded_at": served.loaded_at,
        "reload": service.reload_status(),
    }


@router.post(
    "/admin/reload",
    status_code=202,
    response_model=ReloadStatus,
    tags=["admin"],
    responses=error_responses(400, 401, 403, 409, 413, 422),
)
def reload(body: ReloadRequest, service: Service, admin: Admin) -> dict:
    """Load another version in the background, verify it, then swap; on failure the current one keeps serving.

    Poll GET /admin/reload for the outcome. Rolling back = reloading the previous version.
    """
    return service.start_reload(body.version.strip(), admin)


@router.get("/admin/reload", response_model=ReloadStatus, tags=["admin"], responses=error_responses(401, 403))
def reload_status(service: Service, _: Admin) -> dict:
    return service.reload_status()
