"""Both compose stacks for real, on a Docker engine: submit (the seed's curl) → train → deploy → resolve (curl).

Where no engine runs, docker/engine.sh installs Debian's docker.io, starts dockerd in the background (stopped again
by its PID at the end) and builds a local base image with mmdebstrap, since no registry is reachable.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from resolver_core.registry import read_alias
from resolver_core.settings import DEFAULT_BASE_MODEL_PATH
from tests.conftest import REWORDED_QUESTIONS, new_key
from tests.docker.harness import compose, engine_script, unavailable, write_env_file
from tests.servers import REPO_ROOT, free_port

pytestmark = pytest.mark.docker

SEED_SUBMIT = (
    'curl -X POST -H "Content-Type: application/json" -H "X-API-Key: $KEY" '
    '-d \'{"issue":"Build failed due to missing dependency","resolution":"Add package X to requirements.txt"}\' '
    "http://localhost:5001/submit"
)
SEED_RESOLVE = (
    'curl -X POST -H "Content-Type: application/json" -d \'{"issue":"Build failed due to missing dependency"}\' '
    "http://localhost:5000/resolve"
)
SAMPLE_PAIRS = REPO_ROOT / "samples" / "ci_pairs.json"
PAIRS_TO_SUBMIT = 24  # + the seed's pair: enough for a train/eval split, few enough for a short CI run
TRAIN_EPOCHS = "2"  # an answer is what this test needs, not a good one (tests/trainer checks learning)
APP_UID = "10001"


def engine_answers() -> bool:
    return subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode == 0


@pytest.fixture(scope="module")
def base_image(compose_cli) -> Iterator[str]:
    """A running engine and the image to build FROM. Stops the dockerd this fixture started, by its PID."""
    running = engine_answers()
    if os.geteuid() != 0:
        if not running:
            unavailable("no Docker engine is running and installing one needs root")
        yield os.environ.get("BASE_IMAGE", "python:3.11-slim")
        return
    started = time.monotonic()
    result = engine_script("up", timeout=900)
    print(f"docker engine + base image ready in {time.monotonic() - started:.1f}s")
    if result.returncode != 0:
        engine_script("stop")
        unavailable(f"could not start a Docker engine: {result.stderr.strip()[-3000:]}")
    try:
        yield result.stdout.strip().splitlines()[-1]
    finally:
        if not running:
            engine_script("stop")


def port_or_free(preferred: int) -> int:
    """The seed's port when it is free (so its curl runs verbatim), else any free one."""
    with socket.socket() as sock:
        try:
            sock.bind(("0.0.0.0", preferred))
        except OSError:
            return free_port()
    return preferred


def run_curl(command: str, port: int, seed_port: int, key: str = "") -> dict:
    command = command.replace(f"localhost:{seed_port}", f"localhost:{port}")
    result = subprocess.run(
        ["bash", "-c", command + " --silent --show-error --fail-with-body --max-time 300"],
        env={**os.environ, "KEY": key},
        capture_output=True,
        text=True,
        timeout=320,
    )
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    return json.loads(result.stdout)


def host_folders(root: Path, base_model: Path) -> dict[str, Path]:
    """data/, models/ (with a copy of the embedded base) and vm2/models/, owned by the containers' user."""
    folders = {
        "data": root / "data",
        "models": root / "models",
        "vm2": root / "vm2" / "models",
        "vm2_data": root / "vm2" / "data",
    }
    for folder in folders.values():
        folder.mkdir(parents=True)
    shutil.copytree(base_model, folders["models"] / DEFAULT_BASE_MODEL_PATH.relative_to("models"))
    shutil.copy(REWORDED_QUESTIONS, folders["data"] / REWORDED_QUESTIONS.name)  # a short scoring pass after training
    subprocess.run(["chown", "-R", f"{APP_UID}:{APP_UID}", str(root)], check=True)
    return folders


def timed(timings: dict[str, float], stage: str, action, *args, **kwargs):
    started = time.monotonic()
    try:
        return action(*args, **kwargs)
    finally:
        timings[stage] = round(time.monotonic() - started, 1)


def build_images(env_file: Path, timings: dict[str, float]) -> None:
    timed(timings, "wheels", subprocess.run, ["make", "wheels"], cwd=REPO_ROOT, check=True, capture_output=True)
    timed(timings, "build_vm1", compose, "vm1", "build", env_file=env_file, timeout=900)
    timed(timings, "build_vm2", compose, "vm2", "build", env_file=env_file, timeout=600)


def test_seed_curl_to_vm1_trains_deploys_and_vm2_resolves(base_image: str, base_model_path: Path, tmp_path: Path):
    if os.geteuid() != 0:
        pytest.skip("the bind-mounted folders are handed to the containers' user (uid 10001) with chown: needs root")
    timings: dict[str, float] = {}
    started = time.monotonic()
    folders = host_folders(tmp_path / "host", base_model_path)
    key = new_key()
    submission_port, inference_port = port_or_free(5001), port_or_free(5000)
    env_file = write_env_file(
        tmp_path / "stack.env",
        {
            "BASE_IMAGE": base_image,
            "APP_UID": APP_UID,
            "APP_GID": APP_UID,
            "HOST_DATA_DIR": str(folders["data"]),
            "HOST_MODELS_DIR": str(folders["models"]),
            "VM2_MODELS_DIR": str(folders["vm2"]),
            "VM2_DATA_DIR": str(folders["vm2_data"]),
            "SUBMISSION_PORT": str(submission_port),
            "INFERENCE_PORT": str(inference_port),
            "SUBMISSION_API_KEYS": f"ci:{key}",
            "TRAIN_EPOCHS": TRAIN_EPOCHS,
            "TRAIN_EVAL_QUESTIONS": f"/app/data/{REWORDED_QUESTIONS.name}",
            "DEPLOY_TARGET": "vm2/models",
            "MODEL_VERSION": "latest",
            "LOG_FORMAT": "text",
        },
    )
    vm1, vm2 = f"citest{os.getpid()}vm1", f"citest{os.getpid()}vm2"
    build_images(env_file, timings)
    try:
        timed(timings, "up_vm1", compose, "vm1", "up", "-d", "--wait", "submission", env_file=env_file, project=vm1)
        first = run_curl(SEED_SUBMIT, submission_port, 5001, key)
        assert first["id"] >= 1
        for pair in json.loads(SAMPLE_PAIRS.read_text())[:PAIRS_TO_SUBMIT]:
            command = SEED_SUBMIT.replace(
                '{"issue":"Build failed due to missing dependency","resolution":"Add package X to requirements.txt"}',
                json.dumps(pair).replace("'", "'\\''"),
            )
            run_curl(command, submission_port, 5001, key)

        timed(timings, "train", compose, "vm1", "run", "--rm", "trainer", "train", env_file=env_file, project=vm1)
        version = read_alias(folders["models"], "latest")
        assert version and (folders["models"] / version / "manifest.json").is_file()

        deploy = ("run", "--rm", "trainer", "deploy", version, "--with-base")
        timed(timings, "deploy", compose, "vm1", *deploy, env_file=env_file, project=vm1)
        assert (folders["vm2"] / version / "manifest.json").is_file()

        timed(timings, "up_vm2", compose, "vm2", "up", "-d", "--wait", env_file=env_file, project=vm2, timeout=600)
        # The image's llama.cpp (the portable wheel from the wheelhouse) decodes the GGUF the trainer image wrote.
        served = run_curl("curl http://localhost:5000/version", inference_port, 5000)
        assert (served["engine"], served["dtype"]) == ("llama.cpp", "q8_0"), served
        answer = run_curl(SEED_RESOLVE, inference_port, 5000)
        assert answer["issue"] == "Build failed due to missing dependency"
        assert isinstance(answer["resolution"], str)
        assert answer["model_version"] == version
        assert answer["answer_id"].startswith("ans_")  # recorded in VM2's own data volume
        print("VM2 answered the seed's curl:", json.dumps(answer)[:600])
    except BaseException:
        for stack, project in (("vm1", vm1), ("vm2", vm2)):
            print(
                compose(
                    stack, "logs", "--no-color", "--tail", "80", env_file=env_file, project=project, check=False
                ).stdout
            )
        raise
    finally:
        for stack, project in (("vm2", vm2), ("vm1", vm1)):
            compose(stack, "down", "--volumes", "--remove-orphans", env_file=env_file, project=project, check=False)
        timings["total_without_engine"] = round(time.monotonic() - started, 1)
        print("docker stack timings (s):", json.dumps(timings))
