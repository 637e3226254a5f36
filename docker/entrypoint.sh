#!/bin/sh
# Trainer image entry point: `deploy …` runs the deploy tool, anything else goes to the trainer CLI
# (`train`, `base-model`, `versions`, `promote`, `--help`).
set -e
if [ "$1" = "deploy" ]; then
    shift
    exec python -m deploy "$@"
fi
exec python -m trainer "$@"
