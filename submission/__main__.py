"""`python -m submission serve | export | import | collect-feedback` — the VM1 submission service and its data
tools."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from resolver_core.logging_setup import configure_logging
from resolver_core.pairs_file import PAIRS_FILE_NAME
from resolver_core.settings import ConfigError, SubmissionSettings
from resolver_core.store import STATUSES, store_for


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m submission", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the HTTP API (config from env: SUBMISSION_API_KEYS, DATA_DIR, …)")
    serve.add_argument("--host", default="0.0.0.0", help="interface to listen on (default: all)")
    serve.add_argument("--port", type=int, default=None, help="port (default: SUBMISSION_PORT, 5001)")
    export = commands.add_parser("export", help="write the dataset as issues_resolutions.json, atomically")
    export.add_argument("--out", type=Path, default=None, help=f"output file (default: DATA_DIR/{PAIRS_FILE_NAME})")
    export.add_argument("--status", choices=STATUSES, default="approved", help="which pairs (default: approved)")
    importer = commands.add_parser("import", help="import a seed-format JSON file (validated, duplicates skipped)")
    importer.add_argument("path", type=Path, help="a JSON list of {issue, resolution}")
    commands.add_parser(
        "collect-feedback",
        help="pull developers' feedback from VM2 (VM2_URL, VM2_FEEDBACK_KEY) into pending pairs for review",
    )
    return parser


def serve(settings: SubmissionSettings, host: str, port: int | None) -> None:
    import uvicorn

    from submission.app import create_app

    app = create_app(settings)
    uvicorn.run(app, host=host, port=port or settings.submission_port, log_config=None, access_log=False)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = SubmissionSettings.load()
        configure_logging(settings.log_level, settings.log_format)
        if args.command == "serve":
            serve(settings, args.host, args.port)
            return 0
        from submission.feedback_collection import CollectError, collect
        from submission.pairs_files import export_pairs_file, import_pairs_file

        store = store_for(settings)
        if args.command == "collect-feedback":
            try:
                print(json.dumps(collect(store, settings).as_dict()))
            except CollectError as error:
                print(f"error: {error}", file=sys.stderr)
                return 1
        elif args.command == "export":
            out = args.out or Path(settings.data_dir) / PAIRS_FILE_NAME
            count = export_pairs_file(store, out, args.status)
            print(json.dumps({"exported": count, "path": str(out)}))
        else:
            report = import_pairs_file(
                store,
                args.path,
                settings.submission_min_length,
                settings.submission_max_length,
                max_log_excerpt=settings.submission_max_log_excerpt,
            )
            print(json.dumps(report.__dict__, indent=2))
        return 0
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
