"""A stage writer that the crash tests kill: ``python crash_writer.py WORK MODE KILL_AT``.

Writes run ``A`` of a three-table stage, then keeps rewriting it as ``B``, ``A``, ... With
``KILL_AT`` > 0 it SIGKILLs itself just before the KILL_AT-th rename of the second write
(counting ``os.replace``, ``os.rename`` and the atomic exchange); with 0 it loops until killed
from outside. MODE ``fallback`` disables the atomic exchange (the two-rename path).
"""

from __future__ import annotations

import os
import signal
import sys

import pyarrow as pa

from pipelines.core import store, swap

ROWS = 20_000


def outputs(run: str) -> dict[str, object]:
    tables: dict[str, object] = {name: pa.table({"run": [run] * ROWS, "x": list(range(ROWS))})
                                 for name in ("documents", "rejected", "duplicates")}
    if run == "A":
        tables["only_a.txt"] = "A"  # a file the next run does not produce
    return tables


def write(work: str, run: str) -> None:
    store.write_outputs(work, "ingest", outputs(run),
                        manifest={"params": {"run": run}, "inputs": {}, "started": 0.0})


def _arm(kill_at: int) -> None:
    calls = [0]

    def counted(func):
        def wrapper(*args, **kwargs):
            calls[0] += 1
            if calls[0] == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
            return func(*args, **kwargs)
        return wrapper

    os.replace = counted(os.replace)
    os.rename = counted(os.rename)
    swap._exchange = counted(swap._exchange)


def main() -> None:
    work, mode, kill_at = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "fallback":
        swap._exchange = lambda a, b: False
    write(work, "A")
    if kill_at:
        _arm(kill_at)
        write(work, "B")
        return
    print("ready", flush=True)
    run = "B"
    while True:
        write(work, run)
        run = "A" if run == "B" else "B"


if __name__ == "__main__":
    main()
