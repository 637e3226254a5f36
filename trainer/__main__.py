import os

# Busy-waiting OpenMP threads collapse throughput when another process shares the cores (docs/architecture.md):
# set before torch loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from trainer.cli import main

raise SystemExit(main())
