"""One run at a time per work folder: a lock that names who holds it.

``wenmai run`` and every stage command take :func:`workdir_lock` for as long as they run;
a second one started on the same work folder stops at once with one line naming the holder
(host, process id, command, start time) instead of running every stale stage side by side.
Readers (``show``, ``status``, ``kwic``) never take it.

The lock is a POSIX record lock (``fcntl.lockf``) on ``<workdir>/.wenmai-lock``: the kernel
(or the NFS lock manager) releases it when the holder dies, however it dies, so a lock is
never stale, and it is seen across PID namespaces and hosts that share the folder, where
process ids are not. So what runs leave behind (``.tmp-*`` folders, spool folders) is cleaned
by whoever holds the lock, never by asking whether a process id is alive.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from pipelines.core.errors import WenmaiError
from pipelines.core.paths import LOCK_FILE, own_folder

__all__ = ["LOCK_NAME", "Busy", "workdir_lock", "holds_lock"]

#: The lock file in a work folder.
LOCK_NAME = LOCK_FILE
#: Work folders this process holds the lock of: resolved path -> (fd, depth, really locked).
_HELD: dict[str, list[int]] = {}
#: errno values of a file system that has no record locks
_UNSUPPORTED = {errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS}
log = logging.getLogger("wenmai")


class Busy(WenmaiError):
    """Another wenmai run holds the work folder's lock."""


def holds_lock(workdir: Path) -> bool:
    """True while this process holds ``workdir``'s lock (False on a file system without
    locks, where :func:`workdir_lock` runs unlocked)."""
    held = _HELD.get(_key(workdir))
    return bool(held and held[2])


def _key(workdir: Path) -> str:
    return str(Path(workdir).resolve())


@contextlib.contextmanager
def workdir_lock(workdir: Path, command: str = "") -> Iterator[None]:
    """Hold the work folder's lock inside the block (re-entrant within this process).

    Raises:
        Busy: another process holds it (the message names host, pid, command and start).
        UnsafePath: the lock file is a symlink leading out of the work folder.
    """
    key = _key(workdir)
    if key in _HELD:
        _HELD[key][1] += 1
        try:
            yield
        finally:
            _HELD[key][1] -= 1
        return
    import fcntl

    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    path = own_folder(workdir, LOCK_NAME)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
    locked = 1
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            locked = 0
            if err.errno in _UNSUPPORTED:  # a file system without locks: run, but say so
                log.warning("%s: this file system does not support locks (%s); nothing "
                            "stops a second run on this work folder", path, err.strerror)
            elif err.errno not in (errno.EACCES, errno.EAGAIN):
                raise
            else:
                raise Busy(f"work folder {workdir} is in use by another wenmai run "
                           f"({_holder(fd)}); wait for it to finish, or choose another "
                           "--workdir") from None
        me = {"host": socket.gethostname(), "pid": os.getpid(),
              "command": command or " ".join(["wenmai", *sys.argv[1:3]]),
              "since": time.strftime("%Y-%m-%d %H:%M:%S %z")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(me, ensure_ascii=False).encode("utf-8") + b"\n", 0)
        _HELD[key] = [fd, 1, locked]
        try:
            yield
        finally:
            del _HELD[key]
            with contextlib.suppress(OSError):  # no holder named once released
                os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # releases the lock


def _holder(fd: int) -> str:
    """Who holds the lock, as its holder wrote it."""
    try:
        info = json.loads(os.pread(fd, 4096, 0).decode("utf-8"))
        return (f"pid {info['pid']} on host {info['host']}, `{info['command']}`, since "
                f"{info['since']}")
    except (OSError, ValueError, KeyError, TypeError):
        return "holder unknown"
