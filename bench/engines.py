"""Serving engines compared on the same prompts and machine: llama.cpp over a GGUF vs the in-process torch decoder.

Each engine runs in its own process, so each peak RSS (VmHWM) is its own: one stream (decode tok/s after the first
token, first-token latency) and --clients requests submitted together (aggregate tok/s), at the embedded 135M model
and at a random-init model of Llama-3.2-1B's shape (bench/shapes.py); every request decodes exactly --tokens tokens
(end of turn ignored). The torch engine runs in the dtype INFERENCE_DTYPE=auto picks here; llama.cpp at
--quantization (and, for the 1B shape, at every quantization in --also).
Then /resolve over HTTP for a question no known pair is close to (a generated answer of --answer-tokens tokens),
p50 of --requests, served by llama.cpp from a version of the 1B shape (base + an untrained adapter, merged) at each
of those quantizations.
Usage: python bench/engines.py [--tokens 64] [--clients 8] [--quantization q8_0] [--also q4_0] [--skip-1b]
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.engine_worker import QUESTIONS  # noqa: E402
from bench.gguf_models import one_b_versions, quantize_gguf  # noqa: E402
from resolver_core.cpu import cpu_report  # noqa: E402
from resolver_core.settings import DEFAULT_BASE_MODEL_PATH  # noqa: E402


def worker(engine: str, hf_dir: Path, args: argparse.Namespace, gguf: Path | None = None) -> dict:
    """One engine at one model, in its own process: its last stdout line is the measurement."""
    command = [sys.executable, str(REPO / "bench" / "engine_worker.py"), engine, str(hf_dir)]
    command += ["--tokens", str(args.tokens), "--clients", str(args.clients)]
    if gguf is not None:
        command += ["--gguf", str(gguf)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{engine} over {hf_dir.name} failed:\n{done.stderr[-3000:]}")
    print(
        f"{engine} {hf_dir.name} {gguf.name if gguf else ''}: {done.stdout.strip().splitlines()[-1]}", file=sys.stderr
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def resolve_p50(version: dict, requests: int, answer_tokens: int) -> dict:
    """p50 of /resolve for an unknown question on a VM2 serving the version with llama.cpp."""
    from tests.servers import start_server

    env = {
        "MODELS_DIR": str(version["models_dir"]),
        "BASE_MODEL_PATH": str(version["base_path"]),
        "MODEL_VERSION": version["version"],
        "INFERENCE_ENGINE": "llamacpp",
        "INFERENCE_ANSWER_POLICY": "model",
        "INFERENCE_MAX_NEW_TOKENS": str(answer_tokens),
        "LOG_FORMAT": "text",
    }
    import httpx

    with tempfile.TemporaryDirectory() as folder:
        vm2 = start_server("inference", env, Path(folder), timeout_s=600)
        try:
            engine = httpx.get(f"{vm2.base_url}/version", timeout=30).json()["engine"]
            times = []
            for number in range(requests + 1):
                started = time.perf_counter()
                body = {"issue": f"{QUESTIONS[number % len(QUESTIONS)]} (run {number})"}
                httpx.post(f"{vm2.base_url}/resolve", json=body, timeout=300).raise_for_status()
                if number:  # the first request warms up
                    times.append(time.perf_counter() - started)
        finally:
            vm2.stop()
    return {"engine": engine, "p50_s": round(statistics.median(times), 3), "requests": requests}


def ratio(a: float, b: float) -> float:
    return round(a / b, 2) if b else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", type=int, default=64, help="tokens each request decodes")
    parser.add_argument("--clients", type=int, default=8, help="requests submitted together")
    parser.add_argument("--quantization", default="q8_0", help="llama.cpp's GGUF quantization")
    parser.add_argument("--also", nargs="*", default=["q4_0"], help="more quantizations for the 1B shape")
    parser.add_argument("--requests", type=int, default=5, help="/resolve requests timed")
    parser.add_argument("--answer-tokens", type=int, default=60, help="tokens of the generated /resolve answer")
    parser.add_argument("--skip-1b", action="store_true", help="the 135M model only")
    args = parser.parse_args()
    result: dict[str, object] = {"benchmark": "engines", "cpu": cpu_report(), "quantization": args.quantization}
    with tempfile.TemporaryDirectory(prefix="bench-engines-") as scratch:
        base = REPO / DEFAULT_BASE_MODEL_PATH
        small = quantize_gguf(base, Path(scratch) / f"135m.{args.quantization}.gguf", args.quantization)
        torch_135m = worker("torch", base, args)
        llama_135m = {**worker("llamacpp", base, args, small), "dtype": args.quantization}
        result["135m"] = {"torch": torch_135m, "llamacpp": llama_135m}
        result["torch_dtype"] = torch_135m["dtype"]
        result["engine_one_stream_ratio"] = ratio(llama_135m["one_stream_tok_s"], torch_135m["one_stream_tok_s"])
        result["engine_concurrent_ratio"] = ratio(llama_135m["concurrent_tok_s"], torch_135m["concurrent_tok_s"])
        result["engine_rss_ratio"] = ratio(llama_135m["peak_rss_gib"], torch_135m["peak_rss_gib"])
        if not args.skip_1b:
            versions = one_b_versions(Path(scratch), [args.quantization, *args.also])
            one_b = versions[0]["base_path"]
            torch_1b = worker("torch", one_b, args)
            measured = {
                v["quantization"]: {**worker("llamacpp", one_b, args, v["gguf"]), "dtype": v["quantization"]}
                for v in versions
            }
            llama_1b = measured[args.quantization]
            result["1b"] = {
                "torch": torch_1b,
                "llamacpp": llama_1b,
                **{f"llamacpp_{q}": r for q, r in measured.items() if q != args.quantization},
            }
            result["engine_one_stream_ratio_1b"] = ratio(llama_1b["one_stream_tok_s"], torch_1b["one_stream_tok_s"])
            result["engine_concurrent_ratio_1b"] = ratio(llama_1b["concurrent_tok_s"], torch_1b["concurrent_tok_s"])
            result["engine_rss_ratio_1b"] = ratio(llama_1b["peak_rss_gib"], torch_1b["peak_rss_gib"])
            answers = {v["quantization"]: resolve_p50(v, args.requests, args.answer_tokens) for v in versions}
            result["generated_answer_p50_s_1b"] = answers[args.quantization]["p50_s"]
            result["generated_answer_1b"] = answers
    result["bench_peak_rss_gib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
