"""`python -m deploy VERSION` — copy a model version to VM2 (or a local folder) with rsync, verified, atomically."""

from __future__ import annotations

import argparse
import sys

from resolver_core.settings import ConfigError, DeploySettings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m deploy", description=__doc__)
    parser.add_argument("version", help="a version id or an alias (latest, promoted)")
    parser.add_argument("--target", default=None, help="user@host:/path or a local folder (default: DEPLOY_TARGET)")
    parser.add_argument("--with-base", action="store_true", help="also copy the base model (verified) if missing")
    parser.add_argument(
        "--ssh-options", default=None, help="extra ssh options, e.g. '-p 2222 -i key' (default: DEPLOY_SSH_OPTIONS)"
    )
    parser.add_argument("--quiet", action="store_true", help="no rsync progress")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from deploy.targets import DeployError, parse_target
    from deploy.transfer import deploy_version
    from resolver_core.logging_setup import configure_logging

    try:
        settings = DeploySettings.load()
        configure_logging(settings.log_level, settings.log_format)
        ssh_options = args.ssh_options if args.ssh_options is not None else settings.deploy_ssh_options
        target = parse_target(args.target or settings.deploy_target, ssh_options)
        report = deploy_version(
            settings.models_dir, settings.base_model_path, args.version, target, args.with_base, not args.quiet
        )
    except (ConfigError, DeployError) as error:
        print(f"error: deploy failed: {error}", file=sys.stderr)
        return 2
    print(report.as_json())
    return 0


if __name__ == "__main__":
    sys.exit(main())
