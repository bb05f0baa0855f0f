"""A run whose workers fail, for the tests that a failure ends the process within seconds:
``python failing_worker.py PATH`` with PATH one of ``forked-stream``, ``forked-map``,
``spawn-map``, ``spawn-stream``, ``dask-map``, ``dask-stream``.

Every worker raises ``OSError(EFBIG)`` (what a file-size limit or a full disk gives) on the
items it takes; items are large (300 kB, more than a pipe holds), so a queue's feeder thread
still has items to send when the workers are gone: the case that hung before. The other items
sleep, so a pool that waited for every task would run for minutes. The script prints the
error's one line and exits 1, as the CLI does.
"""

from __future__ import annotations

import errno
import sys
import time

from pipelines.core import engine
from pipelines.core.engine import EngineSpec, map_forked, map_partitions, map_stream, use

BIG = 300_000


def fail_or_sleep(item: bytes, *_shared: object) -> int:
    """Raise on an item ending in 0 (the first), sleep a minute on the others."""
    if item[-1] == 0:
        raise OSError(errno.EFBIG, "File too large")
    time.sleep(60)
    return len(item)


def items(n: int = 40) -> list[bytes]:
    return [b"y" * BIG + bytes([i]) for i in range(n)]


def main(path: str) -> None:
    if path == "forked-stream":  # every worker fails; the parent keeps feeding the queue
        def run(item: bytes, in_worker: bool) -> int:
            if in_worker:
                raise OSError(errno.EFBIG, "File too large")
            return len(item)

        for _ in map_stream(fail_or_sleep, iter(items()), workers=2, forked=run):
            pass
    elif path == "forked-map":
        def part(i: int, in_worker: bool) -> bytes:
            if in_worker:
                raise OSError(errno.EFBIG, "File too large")
            time.sleep(0.5)  # this process's own parts: slow, so the worker fails first
            return b"y" * BIG

        map_forked(part, 40, 2)
    elif path.startswith("spawn"):
        with use(EngineSpec(name="processes")):
            if path == "spawn-map":
                map_partitions(fail_or_sleep, items(6), workers=2)
            else:
                list(map_stream(fail_or_sleep, iter(items(6)), workers=2))
    elif path.startswith("dask"):
        with use(EngineSpec(name="dask", workers=2)):
            if path == "dask-map":
                map_partitions(fail_or_sleep, items(6), workers=2)
            else:
                list(map_stream(fail_or_sleep, iter(items(6)), workers=2))
    else:
        raise SystemExit(f"unknown path {path}")


if __name__ == "__main__":
    assert engine.active().name == "local"
    try:
        main(sys.argv[1])
    except OSError as err:
        print(f"Error: {err}", flush=True)
        sys.exit(1)
    print("no error", flush=True)
