"""Submission throughput under 16 concurrent clients with 10,000 pairs already stored: ours vs the seed's way,
and ours on PostgreSQL (16 and --many clients) beside SQLite when Debian's postgresql is installed.

Every server runs as a real process on loopback, one after the other, in this one run. Prints one JSON object last.
Usage: python bench/submission_load.py [--clients 16] [--many 64] [--per-client 100] [--preloaded 10000]
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from resolver_core.cpu import cpu_report  # noqa: E402
from resolver_core.store import open_store  # noqa: E402
from tests.postgres import postgres_bin_dir, start_postgres  # noqa: E402
from tests.servers import free_port, service_env  # noqa: E402


def preload_pairs(count: int) -> list[tuple[str, str, str | None]]:
    """(issue, resolution, log excerpt) as the store's add_many takes them."""
    return [
        (f"Nightly job {n} failed: flaky test suite {n % 97}", f"Quarantine suite {n} and rerun", None)
        for n in range(count)
    ]


def wait_ready(url: str, process: subprocess.Popen, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise TimeoutError(url)


def run_clients(url: str, key: str, clients: int, per_client: int, tag: str) -> dict:
    def one_client(client_id: int) -> tuple[list[float], int, int]:
        latencies, acked, failed = [], 0, 0
        with httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=60) as client:
            for n in range(per_client):
                body = {"issue": f"{tag} pipeline {client_id}-{n} broke on deploy", "resolution": f"Rollback {n}"}
                started = time.perf_counter()
                try:
                    status = client.post("/submit", json=body).status_code
                except httpx.HTTPError:
                    status = 0
                latencies.append(time.perf_counter() - started)
                acked += 200 <= status < 300
                failed += not 200 <= status < 300
        return latencies, acked, failed

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(one_client, range(clients)))
    elapsed = time.perf_counter() - started
    latencies = sorted(lat for result in results for lat in result[0])
    acked = sum(result[1] for result in results)
    return {
        "submissions_per_s": round(acked / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
        "acknowledged": acked,
        "failed_requests": sum(result[2] for result in results),
        "elapsed_s": round(elapsed, 2),
    }


def bench_ours(workdir: Path, args: argparse.Namespace, clients: int, database_url: str = "") -> dict:
    data_dir = workdir / f"ours-{clients}-{'postgresql' if database_url else 'sqlite'}"
    store = open_store(database_url, data_dir)
    store.add_many(preload_pairs(args.preloaded), "bench")
    key, port = secrets.token_urlsafe(24), free_port()
    settings = {"DATA_DIR": str(data_dir), "DATABASE_URL": database_url, "SUBMISSION_API_KEYS": f"bench:{key}"}
    env = service_env({**settings, "LOG_LEVEL": "WARNING"})
    command = [sys.executable, "-m", "submission", "serve", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(command, env=env, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(f"http://127.0.0.1:{port}", process)
        result = run_clients(f"http://127.0.0.1:{port}", key, clients, args.per_client, "ours")
    finally:
        process.terminate()
        process.wait(30)
    stored = store.stats()["total"] - args.preloaded
    store.close()
    result["lost_writes"] = result["acknowledged"] - stored
    return result


def bench_postgres(workdir: Path, args: argparse.Namespace) -> dict[str, dict]:
    """Ours on a throwaway PostgreSQL server, a fresh database per client count; {} without PostgreSQL."""
    if postgres_bin_dir() is None:
        return {}
    server = start_postgres()
    try:
        return {
            str(clients): bench_ours(workdir, args, clients, server.create_database(f"bench_{clients}"))
            for clients in (args.clients, args.many)
        }
    finally:
        server.stop()


def bench_seed_baseline(workdir: Path, args: argparse.Namespace, serialized: bool = False) -> dict:
    dataset = workdir / ("seed-serialized.json" if serialized else "issues_resolutions.json")
    pairs = [{"issue": issue, "resolution": resolution} for issue, resolution, _ in preload_pairs(args.preloaded)]
    dataset.write_text(json.dumps(pairs, indent=2))
    key, port = secrets.token_urlsafe(24), free_port()
    command = [sys.executable, str(REPO / "bench" / "seed_submission_app.py"), str(dataset), str(port), key]
    command += ["--serialized"] if serialized else []
    process = subprocess.Popen(command, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(f"http://127.0.0.1:{port}", process)
        result = run_clients(f"http://127.0.0.1:{port}", key, args.clients, args.per_client, "seed")
    finally:
        process.terminate()
        process.wait(30)
    try:
        stored = len(json.loads(dataset.read_text())) - args.preloaded
        result["file_corrupted"] = False
    except json.JSONDecodeError:
        stored, result["file_corrupted"] = 0, True
    result["lost_writes"] = result["acknowledged"] - max(stored, 0)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--per-client", type=int, default=100)
    parser.add_argument("--preloaded", type=int, default=10_000)
    parser.add_argument("--many", type=int, default=64, help="the larger client count for both stores")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ours = bench_ours(Path(tmp), args, args.clients)
        ours_many = bench_ours(Path(tmp), args, args.many)
        postgres = bench_postgres(Path(tmp), args)
        seed = bench_seed_baseline(Path(tmp), args)
        locked = bench_seed_baseline(Path(tmp), args, serialized=True)
    details = {"ours": ours, f"ours_{args.many}_clients": ours_many, "postgresql": postgres, "seed_baseline": seed}
    print(json.dumps({**details, "seed_with_a_lock": locked}, indent=2), file=sys.stderr)
    print(
        json.dumps(
            {
                "benchmark": "submission_load",
                **cpu_report(),
                "clients": args.clients,
                "preloaded_pairs": args.preloaded,
                "submissions_per_s": ours["submissions_per_s"],
                "p50_ms": ours["p50_ms"],
                "p99_ms": ours["p99_ms"],
                "baseline_submissions_per_s": seed["submissions_per_s"],
                "baseline_p50_ms": seed["p50_ms"],
                "baseline_p99_ms": seed["p99_ms"],
                "throughput_ratio": round(ours["submissions_per_s"] / max(seed["submissions_per_s"], 1e-9), 1),
                "lost_writes": ours["lost_writes"],
                "baseline_lost_writes": seed["lost_writes"],
                "baseline_file_corrupted": seed["file_corrupted"],
                "locked_baseline_submissions_per_s": locked["submissions_per_s"],
                "locked_baseline_p50_ms": locked["p50_ms"],
                "locked_baseline_lost_writes": locked["lost_writes"],
                "locked_baseline_throughput_ratio": round(
                    ours["submissions_per_s"] / max(locked["submissions_per_s"], 1e-9), 1
                ),
                "by_store": _by_store(args, ours, ours_many, postgres),
            }
        )
    )


def _by_store(args: argparse.Namespace, ours: dict, ours_many: dict, postgres: dict[str, dict]) -> dict:
    """submissions/s, p50/p99 and lost writes per store and client count."""
    keep = ("submissions_per_s", "p50_ms", "p99_ms", "lost_writes")
    sqlite = {str(args.clients): ours, str(args.many): ours_many}
    return {
        name: {clients: {k: result[k] for k in keep} for clients, result in results.items()}
        for name, results in (("sqlite", sqlite), ("postgresql", postgres))
        if results
    }


if __name__ == "__main__":
    main()
