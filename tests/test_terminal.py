"""Progress bars in a real terminal: log lines go through the bar, never onto it (issue 24).

The command runs under a pseudo-terminal and its output is played into a terminal emulator
(pyte); the screen it leaves must have no line holding both a bar and a log message.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import textwrap

import pytest

pyte = pytest.importorskip("pyte")

_SCRIPT = textwrap.dedent("""
    import logging, time
    from cli import _setup_logging
    from pipelines.core.progress import bar, progress
    _setup_logging(0, False)
    log = logging.getLogger("wenmai")
    for i in progress(range(6), "segment", unit="doc"):
        time.sleep(0.03)
        log.info("segment: %d/6 parts done", i + 1)
    with bar(6, "ingest", unit="file") as b:
        for i in range(6):
            time.sleep(0.03)
            b.update(1)
            log.warning("ingest: file %d rejected", i)
    log.info("all done")
""")


def run_in_terminal(argv: list[str], columns: int = 100, rows: int = 60) -> list[str]:
    """Run ``argv`` with stdout and stderr on a pseudo-terminal; the screen it leaves."""
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": str(columns), "LINES": str(rows), "TERM": "xterm"}
    import fcntl
    import struct
    import termios

    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=follower, stderr=follower,
                            env=env, close_fds=True)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=120)
    os.close(leader)
    screen = pyte.Screen(columns, rows)
    pyte.ByteStream(screen).feed(b"".join(chunks))
    return [line.rstrip() for line in screen.display]


def _is_bar(line: str) -> bool:
    return "%|" in line or "/s]" in line or "it/s" in line


def test_log_lines_never_land_on_a_bar() -> None:
    screen = [line for line in run_in_terminal([sys.executable, "-c", _SCRIPT]) if line]
    expected = ([f"segment: {i}/6 parts done" for i in range(1, 7)]
                + [f"ingest: file {i} rejected" for i in range(6)] + ["all done"])
    # each message whole on its own line, in order; nothing else left (the bars are gone)
    assert screen == expected, screen
