"""Property-based fuzzing of a running service against its own OpenAPI spec (schemathesis), bounded for CI.

Every check schemathesis has runs — no 5xx, every status and body as documented, schema-invalid input refused,
documented auth enforced, 405 with Allow — but one: `positive_data_acceptance` (every schema-valid request
accepted). The services validate more than JSON Schema can say (the text is trimmed first, a single repeated
character, a resolution equal to its issue, a duplicate pair, the prompt's token limit) and answer those with the
documented 409/422, so a schema-valid request may rightly be refused."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

UNCHECKED = "positive_data_acceptance"


def fuzz(
    base_url: str,
    key: str,
    max_examples: int,
    seed: int,
    workdir: Path,
    fixed: dict[str, dict[str, object]] | None = None,
    timeout_s: float = 240,
) -> str:
    """Run schemathesis on the service's spec; returns its report, raises AssertionError with it on any failure.

    `fixed`: operation ("POST /path") → {"body.field": value} held fixed, where a random value would only ever
    reach one documented refusal (a model name other than the served one: 404)."""
    config = workdir / "schemathesis.toml"
    config.write_text("".join(_operation_config(name, values) for name, values in (fixed or {}).items()))
    st = Path(sys.executable).with_name("st")
    # One worker: hypothesis parses lambdas' source with `ast`, which on CPython 3.11.7 is not thread-safe
    # ("SystemError: AST constructor recursion depth mismatch" at random with 2 workers).
    command = [
        str(st),
        "--no-color",
        "--config-file",
        str(config),
        "run",
        f"{base_url}/openapi.json",
        "--checks",
        "all",
        "--exclude-checks",
        UNCHECKED,
        "--max-examples",
        str(max_examples),
        "--seed",
        str(seed),
        "--workers",
        "1",
        "--request-timeout",
        "60",
        "--header",
        f"X-API-Key: {key}",
    ]
    result = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=timeout_s)
    report = result.stdout + result.stderr
    assert result.returncode == 0, f"schemathesis found failures:\n{report[-12000:]}"
    return report


def _operation_config(name: str, values: dict[str, object]) -> str:
    return f"[[operations]]\ninclude-name = {_toml(name)}\nparameters = {_toml(values)}\n\n"


def _toml(value: object) -> str:
    """A TOML inline value (strings, numbers, lists and tables are all the config needs)."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(key)} = {_toml(item)}" for key, item in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    return json.dumps(value)


def generated_cases(report: str) -> int:
    """How many test cases the run generated (its summary line: "N generated, ...")."""
    found = re.search(r"(\d+) generated", report)
    return int(found.group(1)) if found else 0


def assert_errors_use_the_error_body(spec: dict) -> None:
    """Every 4xx/5xx each operation declares has the one error body of both services."""
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (method, path, status)
