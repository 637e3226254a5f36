"""`python -m inference serve | check` — the VM2 inference service, and a dry check of what it would serve."""

from __future__ import annotations

import argparse
import json
import os
import sys

# Busy-waiting OpenMP threads collapse throughput when another process shares the cores (docs/architecture.md):
# set before torch loads, as `python -m trainer` does.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from resolver_core.settings import ConfigError, InferenceSettings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m inference", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="verify and load MODEL_VERSION, then run the HTTP API")
    serve.add_argument("--host", default="0.0.0.0", help="interface to listen on (default: all)")
    serve.add_argument("--port", type=int, default=None, help="port (default: INFERENCE_PORT, 5000)")
    check = commands.add_parser("check", help="verify a version against its manifest and the base; load nothing")
    check.add_argument("version", nargs="?", default=None, help="version or alias (default: MODEL_VERSION)")
    return parser


def serve(settings: InferenceSettings, host: str, port: int | None) -> None:
    import uvicorn

    from inference.app import build

    app, service = build(settings)
    try:
        uvicorn.run(app, host=host, port=port or settings.inference_port, log_config=None, access_log=False)
    finally:
        service.close()


def check(settings: InferenceSettings, name: str) -> None:
    from inference.loading import BaseFingerprints, verify_version

    version, folder, manifest = verify_version(settings.models_dir, name, settings.base_model_path, BaseFingerprints())
    print(json.dumps({"version": version, "folder": str(folder), "files": len(manifest.files), "verified": True}))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from inference.loading import VersionRefusedError
    from resolver_core.base_model import BaseModelError
    from resolver_core.cpu import configure_threads
    from resolver_core.logging_setup import configure_logging

    try:
        settings = InferenceSettings.load()
        configure_logging(settings.log_level, settings.log_format)
        settings.resolve_keys()  # refuse malformed or placeholder keys before loading anything
        settings.admin_keys()
        settings.export_keys()
        configure_threads(settings.inference_threads)
        if args.command == "serve":
            serve(settings, args.host, args.port)
        else:
            check(settings, args.version or settings.model_version)
        return 0
    except (ConfigError, VersionRefusedError, BaseModelError) as error:
        print(f"error: refusing to serve: {error}" if args.command == "serve" else f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
