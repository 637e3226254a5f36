"""The seed's submission storage, for comparison only: per request, load the whole JSON list, append, rewrite.

Served by the same FastAPI + uvicorn stack as ours (threaded handlers, like the seed's Flask threaded=True), so
the benchmark compares storage, not web frameworks. Run: python bench/seed_submission_app.py DATASET PORT
"""

from __future__ import annotations

import contextlib
import json
import sys
import threading

import uvicorn
from fastapi import FastAPI, Header
from fastapi.responses import JSONResponse


def create_seed_app(dataset_path: str, api_key: str, serialized: bool = False) -> FastAPI:
    """`serialized` adds the one lock the seed lacks: no corruption, the best its design can do."""
    app = FastAPI()
    guard = threading.Lock() if serialized else contextlib.nullcontext()

    @app.post("/submit")
    def submit(data: dict, x_api_key: str = Header("")) -> JSONResponse:
        if x_api_key != api_key:
            return JSONResponse({"error": "Invalid or missing API key"}, status_code=401)
        issue, resolution = data["issue"].strip(), data["resolution"].strip()
        with guard:
            with open(dataset_path) as f:
                dataset = json.load(f)
            dataset.append({"issue": issue, "resolution": resolution})
            with open(dataset_path, "w") as f:
                json.dump(dataset, f, indent=2)
        return JSONResponse({"message": "Incident submitted successfully", "count": len(dataset)})

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


if __name__ == "__main__":
    dataset, port, key = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    serialized = "--serialized" in sys.argv[4:]
    uvicorn.run(create_seed_app(dataset, key, serialized), host="127.0.0.1", port=port, log_level="warning")
