"""One run at a time per work folder, tested with two processes (issue 30): the second stops
at once naming the holder; readers do not wait; leftovers are cleaned by the lock's holder,
whatever process id they name."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipelines.core.lock import Busy, holds_lock, workdir_lock

ROOT = Path(__file__).resolve().parents[2]
HOLD = ("import sys, time\n"
        "from pipelines.core.lock import workdir_lock\n"
        "with workdir_lock(sys.argv[1], 'wenmai run'):\n"
        "    print('held', flush=True)\n"
        "    time.sleep(120)\n")
DOC = "第一份文件：职业教育促进乡村振兴，加强农村学校建设。"


def _wenmai(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    wenmai = Path(sys.executable).with_name("wenmai")
    return subprocess.run([str(wenmai), *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


@pytest.fixture()
def holder(tmp_path: Path):
    """Another process holding ``tmp_path / 'work'``'s lock until the test ends."""
    work = tmp_path / "work"
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(work)], stdout=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout.readline().strip() == "held"
    yield work, proc
    proc.kill()
    proc.wait(timeout=10)


def test_a_second_run_stops_at_once_naming_the_holder(tmp_path: Path, holder) -> None:
    work, proc = holder
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text(DOC, encoding="utf-8")
    start = time.monotonic()
    done = _wenmai("--workdir", str(work), "ingest", "docs", "--min-chars", "5", cwd=tmp_path)
    assert time.monotonic() - start < 60
    assert done.returncode == 1
    line = done.stderr.strip().splitlines()[-1]
    assert line == (f"Error: work folder {work} is in use by another wenmai run (pid {proc.pid} "
                    f"on host {socket.gethostname()}, `wenmai run`, since "
                    f"{line.split('since ')[1].split(')')[0]}); wait for it to finish, or "
                    "choose another --workdir")
    assert not (work / "ingest").exists()
    # a reader never takes the lock (here it only finds no inputs: nothing ran yet)
    status = _wenmai("--workdir", str(work), "status", cwd=tmp_path, timeout=60)
    assert "in use" not in status.stdout + status.stderr
    assert "no input files" in status.stderr
    proc.kill()
    proc.wait(timeout=10)  # the kernel releases a dead holder's lock: nothing stale
    done = _wenmai("--workdir", str(work), "ingest", "docs", "--min-chars", "5", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_lock_is_reentrant_and_exclusive_in_one_process(tmp_path: Path) -> None:
    with workdir_lock(tmp_path / "w"):
        with workdir_lock(tmp_path / "w"):
            assert holds_lock(tmp_path / "w")
        assert holds_lock(tmp_path / "w")
    assert not holds_lock(tmp_path / "w")


def test_leftovers_of_a_run_another_namespace_sees_alive_are_cleaned_under_the_lock(
        tmp_path: Path, toy_stage) -> None:
    from pipelines.core.runner import run_stage
    from tests.conftest import ToyParams

    work = tmp_path / "work"
    run_stage(toy_stage, work, ToyParams())
    # a pid alive here (our parent) names leftovers of a dead run in another PID namespace
    pid = os.getppid()
    tmp = work / f".tmp-toy-{pid}-abc"
    spool = work / ".spool" / f"toy-{pid}-abc"
    for folder in (tmp, spool):
        folder.mkdir(parents=True)
        (folder / "part-00000.parquet").write_bytes(b"x")
    run_stage(toy_stage, work, ToyParams(), force=True)
    assert not tmp.exists() and not spool.exists()


def test_busy_is_one_line(tmp_path: Path, holder) -> None:
    work, _ = holder
    with (pytest.raises(Busy, match=r"is in use by another wenmai run \(pid \d+ on host"),
          workdir_lock(work)):
        pass


def test_a_file_system_without_locks_runs_unlocked_and_says_so(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
        ) -> None:
    import errno
    import fcntl
    import logging

    def no_locks(*_args: object) -> None:
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "lockf", no_locks)
    with caplog.at_level(logging.WARNING, logger="wenmai"), workdir_lock(tmp_path / "w"):
        assert not holds_lock(tmp_path / "w")  # leftovers then go by process id
    assert "does not support locks (No locks available)" in caplog.text
