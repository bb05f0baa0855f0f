"""Worker processes exit when the process that started them is killed (bounded in time)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="signals and /proc as on Linux")

# each worker writes its pid to a file, then works for a minute
_SCRIPT = """
import os, sys, time
from pipelines.core.engine import map_forked, map_partitions

def slow(part, folder):
    with open(os.path.join(folder, f"{os.getpid()}.pid"), "w") as fh:
        fh.write("x")
    time.sleep(60)
    return part

def slow_forked(i, in_worker):
    return slow(i, sys.argv[2])

if __name__ == "__main__":
    if sys.argv[1] == "pool":
        map_partitions(slow, [1, 2], sys.argv[2], workers=2)
    else:
        map_forked(slow_forked, 2, 2)
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize("engine", ["pool", "forked"])
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_workers_exit_when_the_parent_is_killed(tmp_path: Path, engine: str, sig: int) -> None:
    script = tmp_path / "parent.py"
    script.write_text(textwrap.dedent(_SCRIPT), encoding="utf-8")
    pids = tmp_path / "pids"
    pids.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    parent = subprocess.Popen([sys.executable, str(script), engine, str(pids)], env=env)
    try:
        deadline = time.monotonic() + 60
        want = 2  # pool: two workers; forked: this process and one worker
        while len(list(pids.iterdir())) < want and time.monotonic() < deadline:
            time.sleep(0.1)
        workers = [int(p.stem) for p in pids.iterdir() if int(p.stem) != parent.pid]
        assert workers, "no worker started"
        parent.send_signal(sig)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 5
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        survivors = [w for w in workers if _alive(w)]
        for w in survivors:
            os.kill(w, signal.SIGKILL)
        assert not survivors, f"workers {survivors} outlived their parent"
    finally:
        if parent.poll() is None:
            parent.kill()
