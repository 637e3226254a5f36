"""docs/performance.md is generated from the recorded benchmark results, never edited by hand, and every recorded
result says what it was measured on and against what."""

from __future__ import annotations

import json
import subprocess
import sys

from resolver_core.cpu import CPU_FAMILIES, OTHER_FAMILY
from tests.servers import REPO_ROOT

RESULTS = REPO_ROOT / "bench" / "results"


def test_the_performance_page_is_what_the_recorded_results_generate():
    command = [sys.executable, "scripts/performance_page.py", "--check"]
    result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, "docs/performance.md is stale or hand-edited: run `make performance-page`"


def test_every_recorded_result_names_its_cpu_its_baseline_ratio_and_its_origin():
    for path in sorted(RESULTS.glob("*/*.json")):
        record = json.loads(path.read_text())
        assert {"bench", "command", "commit", "recorded_on", "result"} <= set(record), path
        result = record["result"]
        flags = result.get("cpu_flags", (result.get("cpu") or {}).get("cpu_flags"))
        assert flags is not None, f"{path}: no CPU flags"
        assert any(key.endswith("_ratio") for key in json.dumps(result).replace('"', " ").split()), path
        assert path.parent.name in {*CPU_FAMILIES, OTHER_FAMILY}, path
