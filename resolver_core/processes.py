"""Worker processes that end with the process that started them (standard library only)."""

from __future__ import annotations

import os
import threading
import time

CHECK_EVERY_S = 1.0


def exit_with_parent(parent_pid: int) -> None:
    """A pool worker's initializer: end this process once `parent_pid` is gone (killed with -9, the pool's queue
    never closes for its workers, which would otherwise wait forever)."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(CHECK_EVERY_S)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
