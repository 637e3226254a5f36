"""Whether the llama.cpp engine can run here, and the skip its tests take when it cannot.

`make test` installs it (scripts/llamacpp.sh builds llama-cpp-python once per CPU kind, then reuses the wheel);
a machine that cannot build it runs every other test, with the torch engine serving.
"""

from __future__ import annotations

import pytest

from decoding.gguf import converter_script
from decoding.llamacpp import llama_cpp_version

SKIP_REASON = "llama.cpp engine not installed here (`make llamacpp` builds it): the torch engine serves instead"


def llamacpp_installed() -> bool:
    return llama_cpp_version() is not None and converter_script() is not None


needs_llamacpp = pytest.mark.skipif(not llamacpp_installed(), reason=SKIP_REASON)
