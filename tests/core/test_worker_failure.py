"""A worker that fails ends the whole run within seconds, on every engine path (issue 30).

Each case runs in a subprocess under a timeout: before the fix a forked worker's failure
printed the error and then hung forever (a queue's feeder thread blocked at exit), and a pool
waited for every other task before raising.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("failing_worker.py")
PATHS = ["forked-stream", "forked-map", "spawn-map", "spawn-stream"]


def _run(path: str, limit: float) -> tuple[subprocess.CompletedProcess, float]:
    start = time.monotonic()
    done = subprocess.run([sys.executable, str(SCRIPT), path], capture_output=True, text=True,
                          timeout=limit, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return done, time.monotonic() - start


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forked workers: Linux")
@pytest.mark.parametrize("path", PATHS)
def test_a_failing_worker_ends_the_run(path: str) -> None:
    done, seconds = _run(path, 60)  # the sleeping tasks alone would take 60 s or more
    assert done.returncode == 1, done.stderr[-2000:]
    assert done.stdout.strip() == "Error: [Errno 27] File too large"
    assert seconds < 30


@pytest.mark.parametrize("path", ["dask-map", "dask-stream"])
def test_a_failing_dask_task_ends_the_run(path: str) -> None:
    pytest.importorskip("dask.distributed")
    done, seconds = _run(path, 90)  # a LocalCluster takes a few seconds to start and stop
    assert done.returncode == 1, done.stderr[-2000:]
    assert done.stdout.strip() == "Error: [Errno 27] File too large"
    assert seconds < 60
