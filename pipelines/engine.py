"""Where per-partition work runs: in this process, or in a pool of worker processes."""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

__all__ = ["resolve_workers", "partition", "map_partitions"]

log = logging.getLogger("wenmai")
T = TypeVar("T")
R = TypeVar("R")


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
) -> list[R]:
    """Apply ``func(partition, *args)`` to each partition, in order, and return the results.

    With ``workers > 1`` and more than one partition, partitions run in a pool of fresh
    ("spawn") processes, so no thread state of the parent leaks into a worker and results do
    not depend on the machine. ``func`` must be a module-level function.
    """
    workers = resolve_workers(workers)
    if workers == 1 or len(partitions) <= 1:
        results = []
        for i, part in enumerate(partitions, 1):
            results.append(func(part, *args))
            log.debug("%s: partition %d/%d done", label, i, len(partitions))
        return results
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(workers, len(partitions)), mp_context=ctx) as pool:
        futures = [pool.submit(func, part, *args) for part in partitions]
        results = []
        for i, fut in enumerate(futures, 1):
            results.append(fut.result())
            log.info("%s: %d/%d partitions done", label, i, len(futures))
        return results
