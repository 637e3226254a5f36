"""Whole CI job logs: is the failure found, is the known fix found from the whole log, and how fast.

Always (no server):
- signature recall on made logs: each shipped excerpt (samples/log_excerpts.json, quoted from public CI output)
  buried in 20 KB–2 MB of successful-step output of its ecosystem (joblog/wrapping.py; a fifth gzipped) — is the
  excerpt's decisive line among the quoted lines;
- signature recall on real labelled logs (../shared/ci-logs beside the checkout, when present): is one of the
  lines their source labels among the quoted lines (≤ 4,000 characters), with the reference points of the same
  question for the log's last 2,000 characters and last 20 KB.
With --models-dir (a VM2 models folder, e.g. demo-output/vm2/models after `make demo`), over HTTP against a real
inference server serving that version:
- evidence hit@1 (the right known pair first in `similar`) and known_fix precision / recall / false-on-unknown for
  the same failures sent three ways: the whole made log to /resolve/log, the excerpt alone to /resolve (the short
  question), and the log's last 2,000 characters to /resolve (the naive baseline; a 4xx counts as a miss);
- latency of /resolve/log for 100 KB, 1 MiB and 10 MiB logs (p50 of --repeats) and the server's peak extra memory
  for each size (VmHWM growth beyond the peak of the smaller logs before it), /resolve's latency alone and while a
  10 MiB log is extracted beside it, and how long a 16 MiB gzip bomb takes to be refused.
Prints one JSON object last.
Usage: python bench/logs.py [--models-dir demo-output/vm2/models] [--version latest] [--repeats 5]
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from joblog import extract, redact, signature  # noqa: E402
from joblog.wrapping import decisive_line, wrap_excerpt  # noqa: E402
from resolver_core.cpu import cpu_report  # noqa: E402
from resolver_core.registry import read_manifest, resolve_version  # noqa: E402
from tests.servers import start_server  # noqa: E402

CI_LOGS = REPO.parent / "shared" / "ci-logs"
EXCERPTS = json.loads((REPO / "samples" / "log_excerpts.json").read_text())
DEMO_PAIRS = len(json.loads((REPO / "samples" / "ci_pairs.json").read_text()))  # excerpts 0..47 are the demo's


def made_log(number: int, excerpt: dict) -> tuple[bytes, bool]:
    """Excerpt `number` in a log of 20 KB to 2 MB (log-uniform over the set), every fifth one gzipped."""
    size = int(20_000 * 100 ** ((number * 37 % 100) / 100))
    wrapped = wrap_excerpt(excerpt["excerpt"], excerpt["ecosystem"], number, size, gzipped=number % 5 == 0)
    return wrapped.data, wrapped.gzipped


def quoted_lines(data: bytes) -> list[str]:
    extraction = extract(data)
    if not extraction.candidates:
        return []
    return [line.text for block in signature(extraction.candidates, extraction.candidates[0]) for line in block.lines]


def made_log_recall() -> dict:
    found = 0
    for number, excerpt in enumerate(EXCERPTS):
        data, gzipped = made_log(number, excerpt)
        wanted = redact(decisive_line(excerpt["excerpt"], excerpt["issue"]))
        found += any(wanted in line for line in quoted_lines(gzip.decompress(data) if gzipped else data))
    return {"logs": len(EXCERPTS), "signature_recall": round(found / len(EXCERPTS), 3)}


def real_log_recall() -> dict:
    if not (CI_LOGS / "index.json").is_file():
        return {"skipped": f"no labelled logs at {CI_LOGS}"}
    index = json.loads((CI_LOGS / "index.json").read_text())
    hits = {"signature": 0, "last_2000_chars": 0, "last_20_kb": 0}
    started = time.perf_counter()
    for entry in index:
        data = (CI_LOGS / "logs" / entry["file"]).read_bytes()
        data = gzip.decompress(data) if entry["file"].endswith(".gz") else data
        expected = [line.strip()[:200] for line in entry["expected"]]
        quoted = "\n".join(quoted_lines(data))
        text = data.decode("utf-8", errors="replace")
        for name, haystack in (("signature", quoted), ("last_2000_chars", text[-2000:]), ("last_20_kb", text[-20000:])):
            hits[name] += any(line in haystack for line in expected)
    return {
        "logs": len(index),
        **{f"{name}_recall": round(count / len(index), 3) for name, count in hits.items()},
        "signature_over_last_2000_chars_recall_ratio": round(hits["signature"] / max(hits["last_2000_chars"], 1), 2),
        "extraction_s_total": round(time.perf_counter() - started, 2),
    }


def answered_three_ways(base_url: str) -> dict:
    """The same failures as a whole log, as the excerpt alone, and as the log's last 2,000 characters."""
    ways: dict[str, list[tuple[bool, bool, bool]]] = {"whole_log": [], "excerpt": [], "last_2000_chars": []}
    with httpx.Client(base_url=base_url, timeout=300) as http:
        for number, excerpt in enumerate(EXCERPTS):
            data, gzipped = made_log(number, excerpt)
            raw = gzip.decompress(data) if gzipped else data
            known = number < DEMO_PAIRS
            ways["whole_log"].append(_judged(http.post("/resolve/log", content=data), excerpt, known))
            short = http.post("/resolve", json={"issue": excerpt["excerpt"][:2000]})
            ways["excerpt"].append(_judged(short, excerpt, known))
            tail = raw.decode("utf-8", errors="replace")[-2000:]
            ways["last_2000_chars"].append(_judged(http.post("/resolve", json={"issue": tail}), excerpt, known))
    rates = {way: _rates(judged) for way, judged in ways.items()}
    whole, short = rates["whole_log"]["hit_at_1"], rates["excerpt"]["hit_at_1"]
    rates["whole_log_over_excerpt_hit_at_1_ratio"] = round(whole / short, 3) if short else None
    return rates


def _judged(response: httpx.Response, excerpt: dict, known: bool) -> tuple[bool, bool, bool]:
    """(known, right pair first, claimed a known fix)."""
    if response.status_code != 200:
        return known, False, False
    body = response.json()
    top = body["similar"][0]["issue"] if body["similar"] else None
    return known, top == excerpt["issue"], bool(body["known_fix"])


def _rates(judged: list[tuple[bool, bool, bool]]) -> dict:
    known = [j for j in judged if j[0]]
    unknown = [j for j in judged if not j[0]]
    claims = [j for j in judged if j[2]]
    return {
        "hit_at_1": round(sum(j[1] for j in known) / len(known), 3),
        "known_fix_recall": round(sum(j[2] for j in known) / len(known), 3),
        "known_fix_precision": round(sum(j[0] and j[1] for j in claims) / len(claims), 3) if claims else None,
        "false_on_unknown": round(sum(not j[2] for j in unknown) / len(unknown), 3),
    }


def latency(base_url: str, pid: int, repeats: int) -> dict:
    """p50 of /resolve/log per log size, the server's peak extra memory, and the time to refuse a gzip bomb."""
    failure = EXCERPTS[2]
    report: dict = {}
    with httpx.Client(base_url=base_url, timeout=300) as http:
        http.post("/resolve/log", content=wrap_excerpt(failure["excerpt"], "npm", 0, 50_000).data)  # warm up
        for label, size in (("100kb", 100_000), ("1mib", 1 << 20), ("10mib", 10 << 20)):
            peak_before = _memory_kb(pid, "VmHWM")
            data = wrap_excerpt(failure["excerpt"], failure["ecosystem"], 1, size).data
            timings = []
            for _ in range(repeats):
                started = time.perf_counter()
                assert http.post("/resolve/log", content=data).status_code == 200
                timings.append(time.perf_counter() - started)
            report[f"p50_ms_{label}"] = round(statistics.median(timings) * 1000, 1)
            report[f"bytes_{label}"] = len(data)
            extra_mib = (_memory_kb(pid, "VmHWM") - peak_before) / 1024  # beyond every smaller log's peak
            report[f"peak_extra_memory_mib_{label}"] = round(extra_mib, 1)
        report["peak_extra_memory_per_log_size_10mib_ratio"] = round(
            report["peak_extra_memory_mib_10mib"] * (1 << 20) / report["bytes_10mib"], 2
        )
        report.update(resolve_beside_a_log(base_url, data, repeats))
        bomb = gzip.compress(b"\0" * (16 << 20), compresslevel=9)
        started = time.perf_counter()
        status = http.post("/resolve/log", content=bomb).status_code
        report.update(gzip_bomb_status=status, gzip_bomb_refused_ms=round((time.perf_counter() - started) * 1000, 1))
    return report


def resolve_beside_a_log(base_url: str, log: bytes, repeats: int) -> dict:
    """/resolve latency alone, and while a 10 MiB log is being read and extracted beside it (another client)."""
    question = {"issue": EXCERPTS[0]["issue"]}

    def resolve_ms(http: httpx.Client) -> float:
        started = time.perf_counter()
        assert http.post("/resolve", json=question).status_code == 200
        return (time.perf_counter() - started) * 1000

    with httpx.Client(base_url=base_url, timeout=300) as http, ThreadPoolExecutor(1) as pool:
        alone = [resolve_ms(http) for _ in range(repeats)]
        beside = []
        for _ in range(repeats):
            sending = pool.submit(httpx.post, f"{base_url}/resolve/log", content=log, timeout=300)
            time.sleep(0.3)  # the log has arrived and is being extracted
            beside.append(resolve_ms(http))
            sending.result()
    alone_ms, beside_ms = statistics.median(alone), statistics.median(beside)
    return {
        "resolve_p50_ms_alone": round(alone_ms, 1),
        "resolve_p50_ms_beside_10mib_log": round(beside_ms, 1),
        "resolve_beside_log_slowdown_ratio": round(beside_ms / alone_ms, 2),
    }


def _memory_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return 0


def served(models_dir: Path, version: str, repeats: int) -> dict:
    name = resolve_version(models_dir, version)
    base = models_dir / "base" / read_manifest(models_dir / name).base_model.id
    env = {"MODELS_DIR": str(models_dir), "MODEL_VERSION": name, "BASE_MODEL_PATH": str(base), "LOG_FORMAT": "text"}
    with tempfile.TemporaryDirectory() as workdir:
        server = start_server("inference", {**env, "DATA_DIR": workdir}, Path(workdir), timeout_s=600)
        try:
            return {
                "version": name,
                **answered_three_ways(server.base_url),
                "latency": latency(server.base_url, server.process.pid, repeats),
            }
        finally:
            server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models-dir", type=Path, help="a VM2 models folder (versions + base/) to measure over HTTP")
    parser.add_argument("--version", default="latest", help="version or alias in it")
    parser.add_argument("--repeats", type=int, default=5, help="requests per log size for the latency p50")
    args = parser.parse_args()
    report = {"bench": "logs", "made_logs": made_log_recall(), "real_logs": real_log_recall()}
    if args.models_dir:
        report["served"] = served(args.models_dir.resolve(), args.version, args.repeats)
    report["cpu"] = cpu_report()
    report["dtype"] = "float32 (extraction and retrieval; the served version's dtype: GET /version)"
    print(json.dumps(report, default=lambda value: None if isinstance(value, float) and math.isnan(value) else value))
    return 0


if __name__ == "__main__":
    sys.exit(main())
