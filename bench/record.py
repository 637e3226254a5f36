"""Run one benchmark and keep its result for the performance page.

The benchmark's output passes through; its last line (one JSON object) is saved with the date, the commit and the
command as bench/results/<CPU family>/<name>.json, replacing that family's previous result of the same name. Then
`make performance-page` regenerates docs/performance.md from every saved result.
Usage: python bench/record.py [--name NAME] bench/SCRIPT.py [ITS ARGUMENTS ...]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from resolver_core.cpu import cpu_family  # noqa: E402

RESULTS = REPO / "bench" / "results"


def family_of(result: dict) -> str:
    """The CPU family the result was measured on, from the flags the benchmark reported."""
    return cpu_family(result.get("cpu_flags") or (result.get("cpu") or {}).get("cpu_flags") or [])


def last_json_line(command: list[str]) -> dict:
    """Run the benchmark with its output shown as it comes; the JSON object on its last line."""
    last = ""
    with subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True, bufsize=1) as process:
        assert process.stdout is not None
        for line in process.stdout:
            sys.stdout.write(line)
            last = line.strip() or last
    if process.returncode != 0:
        raise SystemExit(f"{command[1]} failed with exit status {process.returncode}: nothing recorded")
    try:
        return json.loads(last)
    except ValueError:
        raise SystemExit(f"{command[1]}'s last line is not JSON: nothing recorded") from None


def commit() -> str:
    found = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
    return found.stdout.strip() or "unknown"


def save(record: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".tmp", delete=False) as temporary:
        json.dump(record, temporary, indent=1, sort_keys=True)
        temporary.write("\n")
    os.replace(temporary.name, path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--name", help="the result's name (default: the script's), e.g. retrieval-more-pairs")
    parser.add_argument("script", type=Path, help="the benchmark, e.g. bench/logs.py")
    parser.add_argument("arguments", nargs=argparse.REMAINDER, help="passed to the benchmark")
    args = parser.parse_args()
    result = last_json_line([sys.executable, str(args.script), *args.arguments])
    name = args.name or args.script.stem
    record = {
        "bench": name,
        "command": " ".join(["python", str(args.script), *args.arguments]),
        "commit": commit(),
        "recorded_on": datetime.date.today().isoformat(),
        "result": result,
    }
    path = RESULTS / family_of(result) / f"{name}.json"
    save(record, path)
    print(f"recorded {path.relative_to(REPO)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
