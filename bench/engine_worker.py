"""One serving engine at one model, measured in its own process for bench/engines.py (peak RSS is per process).
Prints one JSON line: one stream (decode tok/s after the first token, first-token latency, medians) and --clients
requests submitted together (aggregate tok/s); every request decodes exactly --tokens tokens.
Usage: python bench/engine_worker.py torch|llamacpp HF_DIR [--gguf FILE] [--tokens 64] [--clients 8]
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from decoding.build import EngineOptions, build_engine, build_llamacpp_engine  # noqa: E402
from decoding.protocol import GenerationRequest  # noqa: E402
from resolver_core import base_model  # noqa: E402
from resolver_core.cpu import configure_threads, dtype_for  # noqa: E402
from resolver_core.prompt import encode_prompt  # noqa: E402

# CI questions of about 70 prompt tokens with the template, as developers ask them.
QUESTIONS = [
    "npm ci fails in the GitHub Actions build job with ERESOLVE unable to resolve dependency tree for react 18",
    "The docker build step fails on the self-hosted runner with no space left on device while pulling layers",
    "pytest fails in CI only with ModuleNotFoundError: No module named app although it passes on my laptop",
    "Gradle build fails on Jenkins with Could not resolve all files for configuration compileClasspath today",
]


def build(engine: str, hf_dir: Path, gguf: Path | None, clients: int):
    tokenizer = base_model.load_tokenizer(hf_dir)
    options = EngineOptions(dtype_for("auto"), max_batch=clients, max_positions=512, draft_tokens=0, queue_size=64)
    if engine == "torch":
        built, _ = build_engine(base_model.load_base_model(hf_dir, torch.float32), tokenizer, options)
        dtype = str(options.dtype).removeprefix("torch.")
    else:
        built, _ = build_llamacpp_engine(gguf, tokenizer, options, torch.get_num_threads())
        dtype = "gguf"  # bench/engines.py names the quantization it wrote
    built.stop_ids = set()  # fixed-length requests: every engine decodes the same number of tokens
    return built, tokenizer, dtype


def timed(engine, prompt_ids: list[int], tokens: int) -> tuple[float, float]:
    """(first-token latency, decode tok/s after the first token) of one request alone."""
    stamps: list[float] = []
    started = time.perf_counter()
    engine.generate(GenerationRequest(prompt_ids, tokens, on_token=lambda _: stamps.append(time.perf_counter())))
    return stamps[0] - started, (len(stamps) - 1) / (stamps[-1] - stamps[0])


def concurrent(engine, prompts: list[list[int]], tokens: int, clients: int) -> float:
    started = time.perf_counter()
    futures = [engine.submit(GenerationRequest(prompts[i % len(prompts)], tokens)) for i in range(clients)]
    produced = sum(len(future.result().token_ids) for future in futures)
    return produced / (time.perf_counter() - started)


def peak_rss_gib() -> float:
    """This process's peak resident memory since it started (VmHWM: unlike ru_maxrss, it does not carry over the
    parent's peak from before exec)."""
    status = Path("/proc/self/status").read_text()
    kib = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
    return round(kib / 2**20, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("engine", choices=["torch", "llamacpp"])
    parser.add_argument("hf_dir", type=Path, help="the model's Hugging Face folder (torch loads it; tokenizer)")
    parser.add_argument("--gguf", type=Path, help="the GGUF llama.cpp decodes")
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    threads = configure_threads(0)
    engine, tokenizer, dtype = build(args.engine, args.hf_dir, args.gguf, args.clients)
    prompts = [encode_prompt(tokenizer, question) for question in QUESTIONS]
    timed(engine, prompts[0], 8)  # warm-up
    runs = [timed(engine, prompt, args.tokens) for prompt in prompts[1:]]
    aggregate = concurrent(engine, prompts, args.tokens, args.clients)
    engine.stop(drain=False)
    print(
        json.dumps(
            {
                "engine": engine.describe()["engine"],
                "dtype": dtype,
                "threads": threads,
                "prompt_tokens": round(statistics.mean(len(p) for p in prompts)),
                "one_stream_tok_s": round(statistics.median(rate for _, rate in runs), 1),
                "first_token_s": round(statistics.median(first for first, _ in runs), 3),
                "concurrent_tok_s": round(aggregate, 1),
                "clients": args.clients,
                "peak_rss_gib": peak_rss_gib(),
            }
        )
    )


if __name__ == "__main__":
    main()
