"""`make demo`: the whole pipeline on one machine with the embedded model.

submit the shipped sample dataset over HTTP → train a version → deploy it to a local "VM2" folder with rsync →
start inference pinned to that version → ask questions → print answers with their evidence → send one whole CI job
log to /resolve/log and print the lines it found → explain the same log as a failed CI job would, with the client
VM2 serves → stop the services.
Everything lives under demo-output/ (removed at the start of each run).
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from joblog.wrapping import wrap_excerpt  # noqa: E402
from resolver_core.registry import read_alias  # noqa: E402
from resolver_core.settings import DEFAULT_BASE_MODEL_PATH  # noqa: E402
from tests.servers import RunningServer, service_env, start_server  # noqa: E402

SAMPLE_PAIRS = REPO / "samples" / "ci_pairs.json"
SAMPLE_QUERIES = REPO / "samples" / "paraphrases.json"
SAMPLE_EXCERPTS = REPO / "samples" / "log_excerpts.json"
SEED_QUESTION = "Build failed due to missing dependency"


STARTED = time.monotonic()


def step(title: str) -> None:
    """A step's banner, with the seconds since the demo began (where the time goes, on any machine)."""
    print(f"\n==> [{time.monotonic() - STARTED:.0f} s] {title}", flush=True)


def submit_samples(server: RunningServer, key: str) -> int:
    pairs = json.loads(SAMPLE_PAIRS.read_text())
    with httpx.Client(base_url=server.base_url, headers={"X-API-Key": key}, timeout=30) as client:
        for pair in pairs:
            response = client.post("/submit", json=pair)
            response.raise_for_status()
        seed_pair = {"issue": SEED_QUESTION, "resolution": "Add package X to requirements.txt"}
        client.post("/submit", json=seed_pair).raise_for_status()
        return client.get("/stats").json()["total"]


def run(command: list[str], env: dict[str, str], cwd: Path) -> None:
    print("$", " ".join(command[1:] if command[0] == sys.executable else command), flush=True)
    subprocess.run(command, env=service_env(env), cwd=cwd, check=True)


def ask(server: RunningServer, issue: str) -> None:
    answer = httpx.post(f"{server.base_url}/resolve", json={"issue": issue}, timeout=120).json()
    if answer["known_fix"]:
        kind = f"known fix, based on pair {', '.join(f'#{i}' for i in answer['based_on'])} ({answer['answer_source']})"
    elif answer["answer_source"] == "known_fix":
        kind = "suggestion: the closest known fix, though none matches closely"
    else:
        kind = "suggestion: no known fix matches"
    print(f"\nQ: {issue}\nA: {answer['resolution']}\n   [{kind}; model {answer['model_version']}]")
    for pair in answer.get("similar", [])[:2]:
        print(f"   evidence #{pair['id']} ({pair['score']:.2f}): {pair['issue']} → {pair['resolution']}")


def send_log(server: RunningServer, out: Path) -> None:
    """A whole job log (made by joblog/wrapping.py around a real npm failure) sent as it is, like CI would."""
    excerpt = json.loads(SAMPLE_EXCERPTS.read_text())[0]
    log_path = out / "job.log"
    data = wrap_excerpt(excerpt["excerpt"], excerpt["ecosystem"], seed=0, size_bytes=300_000).data
    log_path.write_bytes(data)
    print(f"$ curl --data-binary @{log_path.name} -H 'Content-Type: text/plain' {server.base_url}/resolve/log")
    print(f"  ({len(data) // 1024} KB, {data.count(10)} lines)")
    headers = {"Content-Type": "text/plain"}
    answer = httpx.post(f"{server.base_url}/resolve/log", content=data, headers=headers, timeout=120).json()
    kind = "known fix" if answer["known_fix"] else "suggestion"
    print(f"A: {answer['resolution']}\n   [{kind}; fingerprint {answer['log']['fingerprint']}]")
    for block in answer["log"]["signature"][:2]:
        print(f"   lines {block['first_line']}–{block['last_line']}:")
        for line in block["lines"][:6]:
            print(f"   {line['number']:>6} | {line['text'][:110]}")


def explain_in_ci(server: RunningServer, out: Path) -> None:
    """What a failed CI job prints (docs/ci-integration.md): the client fetched from VM2, run on the job's log."""
    client = out / "ci-resolver.pyz"
    client.write_bytes(httpx.get(f"{server.base_url}/client/ci-resolver.pyz", timeout=30).raise_for_status().content)
    print(f"$ CI_RESOLVER_URL={server.base_url} python3 {client.name} explain job.log")
    env = {"PATH": "/usr/bin:/bin", "CI_RESOLVER_URL": server.base_url}
    command = [sys.executable, str(client), "explain", str(out / "job.log"), "--job", "build"]
    printed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    print(printed.stdout.rstrip() or printed.stderr.rstrip())


def main() -> int:
    parser = argparse.ArgumentParser(prog="make demo", description=__doc__)
    parser.add_argument("--out", type=Path, default=REPO / "demo-output", help="working folder (recreated)")
    parser.add_argument("--epochs", type=float, default=None, help="override TRAIN_EPOCHS for a quicker demo")
    args = parser.parse_args()
    out = args.out.resolve()
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    vm1 = {
        "DATA_DIR": str(out / "vm1" / "data"),
        "MODELS_DIR": str(out / "vm1" / "models"),
        "BASE_MODEL_PATH": str(REPO / DEFAULT_BASE_MODEL_PATH),
        "LOG_FORMAT": "text",
    }
    key = secrets.token_urlsafe(24)

    step("VM1: start the submission service with a generated key, submit the sample dataset over HTTP")
    submission = start_server("submission", {**vm1, "SUBMISSION_API_KEYS": f"demo:{key}"}, out)
    try:
        print(f"stored {submit_samples(submission, key)} pairs via POST {submission.base_url}/submit")
    finally:
        submission.stop()

    step("VM1: train a new version (LoRA on the embedded SmolLM2-135M-Instruct)")
    train_env = {**vm1, **({"TRAIN_EPOCHS": str(args.epochs)} if args.epochs else {})}
    run([sys.executable, "-m", "trainer", "train"], train_env, out)
    version = read_alias(Path(vm1["MODELS_DIR"]), "latest")
    assert version, "training published no version"

    step(f"deploy {version} to the local VM2 folder with rsync, verified (with the base model)")
    vm2_models = out / "vm2" / "models"
    run([sys.executable, "-m", "deploy", version, "--target", str(vm2_models), "--with-base"], vm1, out)

    step(f"VM2: start inference pinned to MODEL_VERSION={version}; ask a few questions")
    vm2 = {
        "MODELS_DIR": str(vm2_models),
        "MODEL_VERSION": version,
        "BASE_MODEL_PATH": str(vm2_models / "base" / DEFAULT_BASE_MODEL_PATH.name),
        "LOG_FORMAT": "text",
    }
    inference = start_server("inference", vm2, out, ready_path="/readyz", timeout_s=300)
    try:
        served = httpx.get(f"{inference.base_url}/version", timeout=30).json()
        print(f"   decoded by {served['engine']} ({served['dtype']}), up to {served['max_batch']} requests together")
        queries = [item["query"] for item in json.loads(SAMPLE_QUERIES.read_text())[:3]]
        for issue in [SEED_QUESTION, *queries]:
            ask(inference, issue)
        step("VM2: send a whole CI job log, as a pipeline would; the answer quotes the lines it found")
        send_log(inference, out)
        step("CI: the failed job explains its own log with the client VM2 serves (GitHub, GitLab and Jenkins do this)")
        explain_in_ci(inference, out)
    finally:
        inference.stop()
    print(f"\ndemo finished in {time.monotonic() - STARTED:.0f} s; everything it made is in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
