"""The whole feedback loop on real services: a developer corrects an answer on VM2 → `make collect-feedback` →
pending on VM1 → a reviewer approves it through the API → `make train` → `make deploy` → VM2 answers with it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import httpx

from resolver_core import registry
from tests.conftest import REWORDED_QUESTIONS, new_key
from tests.loop.conftest import Vm1, ask, give_feedback
from tests.servers import REPO_ROOT, service_env, start_server
from tests.vm2 import run_deploy

QUESTION = "Release job dies: the ssh deploy key of the build agent expired last night"
FIX = "Rotate the deploy key in the CI secrets and add its public half to the repository"


def review(vm1: Vm1, vm2_url: str, tmp_path) -> int:
    """The reviewer finds the correction in the pending queue, side by side with the answer, and approves it."""
    admin_key = new_key()
    env = vm1.env(vm2_url, SUBMISSION_ADMIN_KEYS=f"root:{admin_key}")
    submission = start_server("submission", env, tmp_path)
    try:
        with httpx.Client(base_url=submission.base_url, headers={"X-API-Key": admin_key}, timeout=30) as admin:
            pending = admin.get("/pairs", params={"status": "pending", "limit": 1000}).json()["items"]
            (pair,) = [p for p in pending if p["issue"] == QUESTION]
            assert pair["resolution"] == FIX and pair["feedback"]["verdict"] == "corrected"
            approved = admin.patch(f"/pairs/{pair['id']}", json={"status": "approved"})
            assert approved.status_code == 200 and approved.json()["reviewed_by"] == "root"
            assert admin.get("/stats").json()["from_feedback"] >= 1
    finally:
        submission.stop()
    return pair["id"]


def train(vm1: Vm1, trained_registry) -> str:
    """`make train`: incremental, from the version VM2 serves."""
    env = {
        "DATA_DIR": str(vm1.data_dir),
        "MODELS_DIR": str(vm1.root / "models"),
        "TRAIN_WORK_DIR": str(vm1.root / "work"),
        "BASE_MODEL_PATH": str(trained_registry.base_model_path),
        "TRAIN_EVAL_QUESTIONS": str(REWORDED_QUESTIONS),
        "LOG_FORMAT": "text",
    }
    result = subprocess.run(
        [sys.executable, "-m", "trainer", "train"],
        cwd=REPO_ROOT,
        env=service_env(env),
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return registry.read_alias(vm1.root / "models", "latest")


def test_a_correction_made_on_vm2_is_vm2s_answer_after_review_training_and_deploy(
    server, vm2, vm1: Vm1, trained_registry, tmp_path
):
    before = ask(server.base_url, QUESTION)
    assert before["resolution"] != FIX and before["model_version"] == vm2.version
    give_feedback(server.base_url, before["answer_id"], "corrected", correction=FIX)
    assert vm1.report(server.base_url)["outcomes"].get("pending", 0) >= 1
    pair_id = review(vm1, server.base_url, tmp_path)

    shutil.copytree(trained_registry.models_dir, vm1.root / "models")
    version = train(vm1, trained_registry)
    assert version != trained_registry.version
    manifest = registry.read_manifest(vm1.root / "models" / version)
    assert manifest.parent == trained_registry.version and pair_id in manifest.dataset.new_pair_ids
    assert manifest.dataset.from_feedback == manifest.dataset.new_from_feedback == 1

    target = tmp_path / "vm2-next" / "models"
    deployed = run_deploy(vm1.root / "models", version, target, "--with-base")
    assert deployed.returncode == 0, deployed.stderr
    base = target / "base" / manifest.base_id
    env = vm2.env(
        MODELS_DIR=str(target),
        MODEL_VERSION=version,
        BASE_MODEL_PATH=str(base),
        INFERENCE_ANSWER_POLICY="version",
        DATA_DIR=str(tmp_path / "vm2-next" / "data"),
    )
    next_vm2 = start_server("inference", env, tmp_path, timeout_s=240)
    try:
        after = ask(next_vm2.base_url, QUESTION)
    finally:
        next_vm2.stop()
    assert (after["resolution"], after["model_version"]) == (FIX, version), json.dumps(after, indent=1)
    assert after["known_fix"] is True and after["similar"][0]["id"] == pair_id and pair_id in after["based_on"]
