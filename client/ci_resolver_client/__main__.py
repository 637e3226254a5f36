"""`python -m ci_resolver_client` (also the entry point of the single-file ci-resolver.pyz)."""

import sys

from ci_resolver_client.cli import main

sys.exit(main())
