"""A stage killed at any moment leaves its old outputs or its new ones, never a mix; the next
stage refuses tables that do not match their producer's manifest; leftovers are cleaned."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.core import store, swap
from pipelines.core.errors import CorruptInput
from pipelines.core.runner import current_state, run_stage
from tests.conftest import ToyParams

ROOT = Path(__file__).resolve().parents[2]
WRITER = Path(__file__).with_name("crash_writer.py")


def _writer(work: Path, mode: str, kill_at: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(WRITER), str(work), mode, str(kill_at)],
                            env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.PIPE, text=True)


def assert_consistent(work: Path) -> str:
    """What the next run sees after recovery: one whole run, every table verified."""
    swap.recover(work, "ingest")
    folder = work / "ingest"
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    run = manifest["params"]["run"]
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert present == set(manifest["outputs"]) | {"manifest.json"}
    for name in manifest["outputs"]:
        if name.endswith(".parquet"):
            assert set(pq.read_table(folder / name, columns=["run"])["run"].to_pylist()) == {run}
            store.verified_sha256(work, "ingest/" + name.removesuffix(".parquet"))
    assert not [p for p in work.iterdir() if p.name.startswith((".tmp-", ".old-"))]
    return run


@pytest.mark.parametrize(("mode", "kill_at", "expected"), [
    ("exchange", 1, "A"), ("exchange", 2, "A"), ("exchange", 99, "B"),
    # fallback: 1 manifest, 2 the exchange (refused), 3 old folder aside, 4 new folder in
    ("fallback", 1, "A"), ("fallback", 3, "A"), ("fallback", 4, "B"), ("fallback", 99, "B"),
])
def test_killed_at_each_rename_leaves_one_whole_run(tmp_path: Path, mode: str, kill_at: int,
                                                    expected: str) -> None:
    proc = _writer(tmp_path, mode, kill_at)
    proc.communicate(timeout=60)
    assert proc.returncode == (0 if kill_at == 99 else -signal.SIGKILL)
    assert assert_consistent(tmp_path) == expected


@pytest.mark.parametrize("mode", ["exchange", "fallback"])
def test_killed_at_random_moments_leaves_one_whole_run(tmp_path: Path, mode: str) -> None:
    rng = random.Random(12)
    runs = set()
    for trial in range(6):
        work = tmp_path / str(trial)
        work.mkdir()
        proc = _writer(work, mode, 0)
        try:
            assert proc.stdout.readline().strip() == "ready"
            time.sleep(rng.uniform(0.0, 0.4))
        finally:
            proc.kill()
            proc.wait(timeout=10)
        runs.add(assert_consistent(work))
    assert runs <= {"A", "B"}


def test_a_table_of_another_run_is_refused_downstream(workdir: Path, toy_stage,
                                                      toy_downstream) -> None:
    run_stage(toy_stage, workdir, ToyParams())
    run_stage(toy_downstream, workdir, ToyParams())
    table = workdir / "toy" / "numbers.parquet"
    pq.write_table(pa.table({"value": [7], "label": ["y"]}), table)  # not what toy recorded
    with pytest.raises(CorruptInput, match=r"does not match the hash in .*rerun `wenmai toy"):
        run_stage(toy_downstream, workdir, ToyParams())
    state = current_state(toy_downstream, workdir, ToyParams())
    assert state.state == "stale" and "does not match" in state.reasons[0]
    assert current_state(toy_stage, workdir, ToyParams()).reasons == [
        "output numbers.parquet was modified"]
    run_stage(toy_stage, workdir, ToyParams())  # the producer reruns, then all is well
    assert not run_stage(toy_downstream, workdir, ToyParams()).ran


def test_a_table_its_producer_does_not_list_is_refused(workdir: Path, toy_stage,
                                                       toy_downstream) -> None:
    run_stage(toy_stage, workdir, ToyParams())
    manifest = workdir / "toy" / "manifest.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    del data["outputs"]["numbers.parquet"]
    manifest.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CorruptInput, match="is not listed in"):
        run_stage(toy_downstream, workdir, ToyParams())


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_leftovers_of_killed_runs_are_cleaned_at_the_next_run(workdir: Path,
                                                              toy_stage) -> None:
    run_stage(toy_stage, workdir, ToyParams())
    dead, alive = _dead_pid(), os.getpid()
    for name in (f".tmp-toy-{dead}-a", f".old-toy-{dead}-b", f".tmp-toy-{alive}-c",
                 f".tmp-toy2-{dead}-d", "toy/.tmp-legacy"):
        (workdir / name).mkdir()
        (workdir / name / "x.parquet").write_bytes(b"half")
    (workdir / "toy" / "manifest.json.tmp").write_text("{")
    assert not run_stage(toy_stage, workdir, ToyParams()).ran  # cleaned even when fresh
    left = sorted(p.name for p in workdir.iterdir() if p.name.startswith("."))
    # this process's own folder and another stage's are left alone (a concurrent run cannot
    # exist: it would hold the lock, see test_lock.py)
    assert left == [".tmp-toy-" + str(alive) + "-c", f".tmp-toy2-{dead}-d", ".wenmai-lock",
                    ".wenmai-workdir"]
    assert sorted(p.name for p in (workdir / "toy").iterdir()) == [
        "manifest.json", "note.txt", "numbers.parquet"]


def test_an_interrupted_swap_is_restored_from_the_old_folder(workdir: Path,
                                                             toy_stage) -> None:
    run_stage(toy_stage, workdir, ToyParams())
    dead = _dead_pid()
    (workdir / "toy").rename(workdir / f".old-toy-{dead}-x")
    (workdir / f".tmp-toy-{dead}-x").mkdir()  # the new folder, killed before its manifest
    state = current_state(toy_stage, workdir, ToyParams())
    assert state.state == "missing" and "interrupted" in state.reasons[0]
    assert not run_stage(toy_stage, workdir, ToyParams()).ran  # the old outputs are back
