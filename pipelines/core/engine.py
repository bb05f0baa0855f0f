"""Where per-partition work runs: in this process, in a pool of fresh worker processes, or
shared with forked workers that inherit what this process loaded."""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

from pipelines.core.progress import bar

__all__ = ["resolve_workers", "partition", "map_partitions", "can_fork", "map_forked",
           "die_with_parent"]

log = logging.getLogger("wenmai")
T = TypeVar("T")
R = TypeVar("R")


_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """Make this worker process exit as soon as its parent ``parent`` is gone.

    A killed ``wenmai topics`` (SIGKILL, SIGTERM, a closed terminal) must not leave workers
    computing for minutes. On Linux the kernel sends SIGKILL when the parent dies
    (``prctl(PR_SET_PDEATHSIG)``); elsewhere, and as a second guard, a daemon thread polls
    the parent's id twice a second (an orphan is re-parented, so its parent id changes).
    """
    if sys.platform.startswith("linux"):
        # where prctl is missing, the watcher thread below still ends the worker
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL),
                                                    0, 0, 0)
    if os.getppid() != parent:  # the parent died before the guard was in place
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), name="wenmai-parent-watch",
                     daemon=True).start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def resolve_workers(workers: int) -> int:
    """``0`` means every core of the machine; anything else is taken as given (at least 1)."""
    if workers <= 0:
        return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                   else (os.cpu_count() or 1))
    return workers


def partition(items: Sequence[T], parts: int) -> list[Sequence[T]]:
    """Split ``items`` into at most ``parts`` contiguous, nearly equal, non-empty slices.

    >>> [list(p) for p in partition([1, 2, 3, 4, 5], 2)]
    [[1, 2, 3], [4, 5]]
    """
    parts = max(1, min(parts, len(items)))
    size, extra = divmod(len(items), parts)
    out, start = [], 0
    for i in range(parts):
        end = start + size + (1 if i < extra else 0)
        out.append(items[start:end])
        start = end
    return [p for p in out if len(p)]


def map_partitions(
    func: Callable[..., R],
    partitions: Sequence[Any],
    *args: Any,
    workers: int = 1,
    label: str = "work",
    unit: str = "part",
    weights: Sequence[int] | None = None,
) -> list[R]:
    """Apply ``func(partition, *args)`` to each partition, in order, and return the results.

    A progress bar (on a terminal) counts ``weights[i]`` units per partition done
    (default: one per partition).

    With ``workers > 1`` and more than one partition, partitions run in a pool of fresh
    ("spawn") processes, so no thread state of the parent leaks into a worker and results do
    not depend on the machine. ``func`` must be a module-level function. Workers exit
    when this process dies (:func:`die_with_parent`).
    """
    workers = resolve_workers(workers)
    weights = list(weights) if weights is not None else [1] * len(partitions)
    if workers == 1 or len(partitions) <= 1:
        results = []
        with bar(sum(weights), label, unit=unit) as progress:
            for i, part in enumerate(partitions, 1):
                results.append(func(part, *args))
                progress.update(weights[i - 1])
                log.debug("%s: partition %d/%d done", label, i, len(partitions))
        return results
    ctx = multiprocessing.get_context("spawn")
    with (ProcessPoolExecutor(max_workers=min(workers, len(partitions)), mp_context=ctx,
                             initializer=die_with_parent, initargs=(os.getpid(),)) as pool,
          bar(sum(weights), label, unit=unit) as progress):
        futures = [pool.submit(func, part, *args) for part in partitions]
        results = []
        for i, fut in enumerate(futures, 1):
            results.append(fut.result())
            progress.update(weights[i - 1])
            log.info("%s: %d/%d partitions done", label, i, len(futures))
        return results


def can_fork() -> bool:
    """True where worker processes may be forked (Linux; macOS forks unsafely)."""
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def map_forked(run_part: Callable[[int, bool], R], count: int, workers: int, *,
               label: str = "work", unit: str = "part",
               weights: Sequence[int] | None = None) -> list[R]:
    """``[run_part(i, in_worker) for i in range(count)]``, shared by this process and
    ``workers - 1`` forked workers.

    The workers inherit everything this process has loaded (a dictionary, a model), so they
    start in milliseconds. Work is shared without a queue filled in advance: the workers take
    parts from the front, this process from the back, each only when it is free, so all
    finish about together even when some parts take much longer than others. Workers exit
    when this process dies (:func:`die_with_parent`). A worker sends
    each result back pickled (``in_worker`` is True there: build results with allocators
    that do not depend on thread state copied by the fork, e.g. ``pa.system_memory_pool()``).

    Raises:
        RuntimeError: a worker failed (its traceback is in the message) or died.
    """
    import gc
    import queue as queues
    import traceback

    ctx = multiprocessing.get_context("fork")
    lock = ctx.Lock()
    front = ctx.RawValue("i", 0)
    back = ctx.RawValue("i", count)
    results_queue = ctx.Queue()

    def take(from_front: bool) -> int | None:
        with lock:
            if front.value >= back.value:
                return None
            if from_front:
                front.value += 1
                return front.value - 1
            back.value -= 1
            return back.value

    parent = os.getpid()

    def work() -> None:
        die_with_parent(parent)
        try:
            while (i := take(True)) is not None:
                results_queue.put((i, run_part(i, True)))
        except BaseException:  # noqa: BLE001 - reported to the parent, which raises
            results_queue.put((-1, traceback.format_exc()))
        results_queue.put((None, None))

    results: list[Any] = [None] * count
    done = [False] * count
    sizes = list(weights) if weights is not None else [1] * count
    progress = bar(sum(sizes), label, unit=unit)
    # objects that exist now are never collected in a worker, so its garbage collector does
    # not touch (and copy) the pages it shares with this process
    gc.freeze()
    procs = [ctx.Process(target=work, daemon=True) for _ in range(max(0, workers - 1))]
    try:
        for proc in procs:
            proc.start()
        while (i := take(False)) is not None:
            results[i], done[i] = run_part(i, False), True
            progress.update(sizes[i])
            log.info("%s: %d/%d parts done", label, sum(done), count)
        finished = 0
        while finished < len(procs):
            try:
                i, value = results_queue.get(timeout=1.0)
            except queues.Empty:
                if any(p.exitcode not in (None, 0) for p in procs):
                    raise RuntimeError(f"{label}: a worker process died") from None
                continue
            if i is None:
                finished += 1
            elif i < 0:
                raise RuntimeError(f"{label}: a worker failed:\n{value}")
            else:
                results[i], done[i] = value, True
                progress.update(sizes[i])
                log.info("%s: %d/%d parts done", label, sum(done), count)
        for proc in procs:
            proc.join()
        if not all(done):
            raise RuntimeError(f"{label}: {done.count(False)} parts were never run")
        return results
    finally:
        progress.__exit__()
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
        gc.unfreeze()
