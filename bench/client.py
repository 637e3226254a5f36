"""The CI client's cost: does `ci-resolver explain` answer a whole log in the time the server takes, plus little?

Against a real inference server serving a deployed version, for a 10 MiB made job log (and 1 MiB):
Each repeat takes every measurement in turn (a shared machine's speed drifts).
- baselines: the log posted whole from this process (what `curl --data-binary` does), uncompressed and gzipped
  (the server's own time for the body the client sends), p50;
- the client as CI runs it: `python -m ci_resolver_client explain LOG --format json` in a subprocess (interpreter
  start, gzip while streaming, rendering included), p50, with and without gzip, and the interpreter's start alone
  (`--version`);
- `client_overhead_ratio` = client p50 / uncompressed baseline p50 (the goal: ≤ 1.10 for 10 MiB),
  `client_overhead_vs_gzip_post_ratio` = client p50 / gzipped baseline p50, and the bytes on the wire.
Prints one JSON object last.
Usage: python bench/client.py --models-dir demo-output/vm2/models [--version latest] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from joblog.wrapping import wrap_excerpt  # noqa: E402
from resolver_core.cpu import cpu_report  # noqa: E402
from resolver_core.registry import read_manifest, resolve_version  # noqa: E402
from tests.servers import start_server  # noqa: E402

EXCERPT = json.loads((REPO / "samples" / "log_excerpts.json").read_text())[2]
SIZES = (("1mib", 1 << 20), ("10mib", 10 << 20))


def p50_ms(run, repeats: int) -> float:
    return p50s_ms({"run": run}, repeats)["run"]


def p50s_ms(runs: dict, repeats: int) -> dict[str, float]:
    """The p50 of each run, the runs taken in turn within every repeat: a shared machine's drift in speed then
    weighs on all of them alike, not on whichever ran last."""
    timings: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            started = time.perf_counter()
            run()
            timings[name].append(time.perf_counter() - started)
    return {name: round(statistics.median(values) * 1000, 1) for name, values in timings.items()}


def posted_whole(base_url: str, data: bytes, gzipped: bool = False) -> None:
    headers = {"Content-Type": "text/plain", **({"Content-Encoding": "gzip"} if gzipped else {})}
    response = httpx.post(f"{base_url}/resolve/log", content=data, headers=headers, timeout=300)
    assert response.status_code == 200, response.text


def client_env(base_url: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO / "client"), "CI_RESOLVER_URL": base_url}


def client_start(base_url: str) -> None:
    command = [sys.executable, "-m", "ci_resolver_client", "--version"]
    subprocess.run(command, env=client_env(base_url), capture_output=True, check=True, timeout=60)


def client_run(base_url: str, log: Path, *options: str) -> None:
    env = client_env(base_url)
    command = [sys.executable, "-m", "ci_resolver_client", "explain", str(log), "--format", "json", *options]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    answer = json.loads(result.stdout)[0]["answer"]
    assert answer is not None, result.stderr


def measure(base_url: str, folder: Path, repeats: int) -> dict:
    posted_whole(base_url, wrap_excerpt(EXCERPT["excerpt"], "npm", 0, 50_000).data)  # warm up
    report: dict = {"client_start_p50_ms": p50_ms(lambda: client_start(base_url), repeats)}
    for label, size in SIZES:
        data = wrap_excerpt(EXCERPT["excerpt"], EXCERPT["ecosystem"], 1, size).data
        packed = zlib.compressobj(1, zlib.DEFLATED, 31)
        packed = packed.compress(data) + packed.flush()  # as the client sends it
        log = folder / f"{label}.log"
        log.write_bytes(data)
        p50 = p50s_ms(
            {
                "baseline": lambda data=data: posted_whole(base_url, data),
                "baseline_gzip": lambda packed=packed: posted_whole(base_url, packed, gzipped=True),
                "gzipped": lambda log=log: client_run(base_url, log),
                "plain": lambda log=log: client_run(base_url, log, "--no-gzip"),
            },
            repeats,
        )
        baseline, baseline_gzip, gzipped, plain = p50["baseline"], p50["baseline_gzip"], p50["gzipped"], p50["plain"]
        report[label] = {
            "bytes": len(data),
            "gzip_bytes_on_the_wire": len(packed),
            "baseline_whole_post_p50_ms": baseline,
            "baseline_gzip_post_p50_ms": baseline_gzip,
            "client_gzip_p50_ms": gzipped,
            "client_plain_p50_ms": plain,
            "client_overhead_ratio": round(gzipped / baseline, 3),
            "client_overhead_vs_gzip_post_ratio": round(gzipped / baseline_gzip, 3),
            "client_plain_overhead_ratio": round(plain / baseline, 3),
        }
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models-dir", type=Path, required=True, help="a VM2 models folder (versions + base/)")
    parser.add_argument("--version", default="latest", help="version or alias in it")
    parser.add_argument("--repeats", type=int, default=5, help="runs per measurement (the p50 is reported)")
    args = parser.parse_args()
    models_dir = args.models_dir.resolve()
    name = resolve_version(models_dir, args.version)
    base = models_dir / "base" / read_manifest(models_dir / name).base_model.id
    env = {"MODELS_DIR": str(models_dir), "MODEL_VERSION": name, "BASE_MODEL_PATH": str(base), "LOG_FORMAT": "text"}
    with tempfile.TemporaryDirectory() as workdir:
        server = start_server("inference", {**env, "DATA_DIR": workdir}, Path(workdir), timeout_s=600)
        try:
            report = {"bench": "client", "version": name, **measure(server.base_url, Path(workdir), args.repeats)}
        finally:
            server.stop()
    report["cpu"] = cpu_report()
    report["dtype"] = "n/a (the client and extraction do no model arithmetic; known fixes are answered verbatim)"
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
