"""Replace a stage folder as a whole, and clean up after a run that was killed.

A stage writes its new folder beside the old one (``work/.tmp-<stage>-<pid>-*``), manifest
included, and :func:`install` swaps the two: with one ``renameat2(RENAME_EXCHANGE)`` on Linux,
else with two renames (old folder aside, new folder in). A kill at any moment leaves either the
old folder or the new one under the stage's name, never files of two runs. In the short gap of
the two-rename fallback the stage folder is absent; :func:`recover` puts the right one back at
the next run of that stage and removes every leftover of runs that are no longer alive.
"""

from __future__ import annotations

import ctypes
import logging
import os
import re
import secrets
import shutil
import sys
from pathlib import Path

__all__ = ["new_folder", "install", "recover", "remove", "leftovers", "alive"]

log = logging.getLogger("wenmai")
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def new_folder(workdir: Path, stage: str) -> Path:
    """An empty folder beside the stage folder, named after the stage and this process.

    Its mode follows the umask like any folder the user makes (``tempfile.mkdtemp`` would make
    it ``0700``, and the swap would hand that mode to the stage folder).
    """
    prefix = f".tmp-{stage}-{os.getpid()}-"
    for _ in range(100):
        path = Path(workdir) / f"{prefix}{secrets.token_hex(4)}"
        try:
            path.mkdir(mode=0o777)
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"no free temporary name {prefix}* in {workdir}")


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2``); False where that is not available."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]
    done = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return done == 0  # EINVAL/ENOSYS (a file system without it): fall back to two renames


def remove(path: Path) -> None:
    """Delete a folder tree, or only the link when ``path`` is a symlink (never its target)."""
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.exists():
        shutil.rmtree(path, ignore_errors=True)


def install(new: Path, folder: Path) -> None:
    """Make ``new`` the folder at ``folder`` and delete what was there before."""
    if not (folder.exists() or folder.is_symlink()):
        os.rename(new, folder)
        return
    if _exchange(new, folder):
        remove(new)  # holds the old folder now
        return
    aside = new.with_name(new.name.replace(".tmp-", ".old-", 1))
    os.rename(folder, aside)
    os.rename(new, folder)
    remove(aside)


def alive(pid: int) -> bool:
    """True while process ``pid`` exists (also when it belongs to another user)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _pattern(stage: str) -> re.Pattern[str]:
    return re.compile(rf"\.(tmp|old)-{re.escape(stage)}-(\d+)-")


def leftovers(workdir: Path, stage: str) -> list[Path]:
    """Folders that runs of ``stage`` left beside its folder (running or killed)."""
    try:
        return sorted(p for p in Path(workdir).iterdir() if _pattern(stage).match(p.name))
    except OSError:
        return []


def recover(workdir: Path, stage: str, manifest: str = "manifest.json", *,
            locked: bool = False) -> list[str]:
    """Clean what killed runs of ``stage`` left, restoring the stage folder if it is absent.

    With ``locked`` (the caller holds the work folder's lock, :mod:`pipelines.core.lock`),
    every leftover not of this process is a dead run's: a live run would hold the lock. This
    holds across hosts and PID namespaces, where a process id says nothing. Without it, a
    leftover whose process id is alive here is left alone. When the stage folder is missing,
    a finished new folder (one with its manifest) is put in place, else the old folder set
    aside by an interrupted swap.

    Returns:
        One line per thing done, for the log.
    """
    workdir = Path(workdir)
    folder = workdir / stage
    dead: dict[str, list[Path]] = {"tmp": [], "old": []}
    for entry in leftovers(workdir, stage):
        match = _pattern(stage).match(entry.name)
        pid = int(match.group(2)) if match else 0
        if match and (pid != os.getpid() if locked else not alive(pid)):
            dead[match.group(1)].append(entry)
    done: list[str] = []
    if not (folder.exists() or folder.is_symlink()):
        finished = sorted((p for p in dead["tmp"] if (p / manifest).is_file()),
                          key=lambda p: (p / manifest).stat().st_mtime_ns)
        back = (finished or dead["old"] or [None])[-1]
        if back is not None:
            os.rename(back, folder)
            dead["tmp" if back in dead["tmp"] else "old"].remove(back)
            done.append(f"{stage}: restored {folder.name}/ from the interrupted run's "
                        f"{'new' if finished else 'previous'} outputs")
    for path in dead["tmp"] + dead["old"]:
        remove(path)
        done.append(f"{stage}: removed {path.name}, left by an interrupted run")
    if folder.is_dir() and not folder.is_symlink():
        for path in [*folder.glob(".tmp-*"), *folder.glob("*.json.tmp")]:  # older wenmai
            remove(path)
            done.append(f"{stage}: removed {stage}/{path.name}, left by an interrupted run")
    for line in done:
        log.info("%s", line)
    return done
