"""Run one command in a fresh process and measure it: the helper the bench scripts share.

Peak RSS is ``os.wait4``'s ``ru_maxrss``: the largest resident set of the process *or* of any
worker it started and waited for (Linux folds the children's peak into their parent's
rusage), not the sum over processes. CPU is user + system time of the process and its
children.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Measured", "run_measured"]


@dataclass(frozen=True)
class Measured:
    """What one run took."""

    seconds: float
    cpu: float
    peak_mb: float
    returncode: int
    stderr: str
    load: float


def run_measured(args: Sequence[str], *, pythonpath: Path, cwd: Path,
                 started: Callable[[int], None] | None = None) -> Measured:
    """Run ``args`` with ``PYTHONPATH=pythonpath`` in ``cwd`` (a folder holding no other
    ``cli``: ``python -c`` imports from the working folder first); stdout is discarded.

    Args:
        started: Called with the child's pid once it runs (to watch its workers).
    """
    load = os.getloadavg()[0]
    start = time.perf_counter()
    proc = subprocess.Popen(list(args), env={**os.environ, "PYTHONPATH": str(pythonpath)},
                            cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if started is not None:
        started(proc.pid)
    stderr = proc.stderr.read() if proc.stderr else b""
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    return Measured(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,
                    os.waitstatus_to_exitcode(status), stderr.decode("utf-8", "replace"),
                    load)
