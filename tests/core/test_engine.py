"""Tests of the engine's forked work sharing."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from pipelines.core.engine import can_fork, map_forked

pytestmark = pytest.mark.skipif(not can_fork(), reason="workers are forked on Linux only")


def test_map_forked_returns_every_part_in_order_and_shares_the_work() -> None:
    parent = os.getpid()

    def run_part(i: int, in_worker: bool) -> tuple[int, bool, bool]:
        time.sleep(0.02)  # long enough that the worker takes some parts
        return i * i, in_worker, os.getpid() != parent

    results = map_forked(run_part, 12, 2, label="test")
    assert [r[0] for r in results] == [i * i for i in range(12)]
    assert all(in_worker == elsewhere for _, in_worker, elsewhere in results)
    worker_parts = [i for i, r in enumerate(results) if r[1]]
    assert worker_parts and len(worker_parts) < 12
    # the worker takes parts from the front, this process from the back
    assert worker_parts == list(range(len(worker_parts)))


def test_map_forked_evens_out_one_slow_part() -> None:
    def run_part(i: int, in_worker: bool) -> bool:
        time.sleep(0.6 if i == 0 else 0.05)
        return in_worker

    start = time.perf_counter()
    results = map_forked(run_part, 12, 2)
    # one process takes the slow part, the other the eleven fast ones: about 0.6 s, not 1.15
    assert time.perf_counter() - start < 1.0
    assert results[0] and not results[-1]  # the worker took the slow first part


def test_map_forked_with_one_worker_runs_here() -> None:
    assert map_forked(lambda i, w: (i, w), 3, 1) == [(0, False), (1, False), (2, False)]


def test_a_failing_worker_raises_with_its_traceback(tmp_path: Path) -> None:
    failed = tmp_path / "failed"

    def run_part(i: int, in_worker: bool) -> int:
        if in_worker:
            failed.touch()
            raise ValueError(f"part {i} is broken")
        for _ in range(400):  # the parent's part waits for a worker to fail (a loaded machine
            if failed.exists():  # may start the worker after the parent did every part)
                break
            time.sleep(0.025)
        return i

    with pytest.raises(ValueError, match="part \\d+ is broken") as raised:
        map_forked(run_part, 6, 2, label="test")
    assert "ValueError: part" in raised.value.__notes__[0]  # the worker's traceback


def test_an_exception_that_cannot_be_pickled_still_fails_the_run() -> None:
    def run_part(i: int, in_worker: bool) -> int:
        if in_worker:
            raise _Unpicklable(lambda: i)
        time.sleep(0.2)
        return i

    with pytest.raises(RuntimeError, match="a worker failed:(.|\n)*_Unpicklable"):
        map_forked(run_part, 20, 2, label="test")


class _Unpicklable(Exception):
    """An exception holding a lambda, which pickle refuses."""
