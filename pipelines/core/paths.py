"""Where wenmai may read and write: names that stay inside their folder, and work folders.

Every file name read from a manifest (a stage's outputs), every path in a config file and every
output name a stage returns must resolve, symlinks followed, inside the folder it belongs to;
anything else is refused with :class:`UnsafePath`. A work folder carries a marker file, so a
folder with other files in it (``--workdir /``, a home folder, a project folder) is never
written into by mistake.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path, PurePosixPath, PureWindowsPath

from pipelines import __version__
from pipelines.core.errors import UnsafePath

__all__ = ["MARKER", "inside", "safe_child", "safe_children", "is_work_folder", "check_workdir",
           "mark_workdir", "own_folder"]

#: The file that makes a folder a wenmai work folder.
MARKER = ".wenmai-workdir"
#: The run lock's file (:mod:`pipelines.core.lock`); alone, it leaves a folder empty.
LOCK_FILE = ".wenmai-lock"


def inside(path: Path, folder: Path) -> bool:
    """True when ``path`` resolves (symlinks followed) to ``folder`` or below it."""
    try:
        return Path(path).resolve().is_relative_to(Path(folder).resolve())
    except (OSError, RuntimeError, ValueError):  # a symlink loop, a bad name
        return False


_MANIFEST_HINT = "was this file written by wenmai? delete it and rerun"


def safe_children(folder: Path, names: Iterable[str], *, what: str,
                  hint: str = _MANIFEST_HINT) -> list[Path]:
    """:func:`safe_child` of many names (a dataset's parts), each distinct parent folder
    resolved once: a name is checked by its words, then by its resolved parent and, when its
    last part is a symlink, by where that leads.

    Raises:
        UnsafePath: as :func:`safe_child`, for the first name that fails.
    """
    root = Path(folder)
    try:
        resolved_root = root.resolve()
    except (OSError, RuntimeError, ValueError):
        resolved_root = None
    parents: dict[str, bool] = {}
    out = []
    for name in names:
        text = str(name)
        if _bad_name(text) or resolved_root is None:
            out.append(safe_child(root, text, what=what, hint=hint))  # raises
            continue
        path = root / text
        parent = str(path.parent)
        if parent not in parents:
            parents[parent] = inside(path.parent, resolved_root)
        if not parents[parent] or (path.is_symlink() and not inside(path, resolved_root)):
            raise UnsafePath(f"{what} names {text!r}, which lies outside {folder}; refusing "
                             f"to touch it ({hint})")
        out.append(path)
    return out


def _bad_name(text: str) -> bool:
    posix, windows = PurePosixPath(text), PureWindowsPath(text)
    return (not text or "\x00" in text or posix.is_absolute() or windows.is_absolute()
            or bool(windows.drive) or ".." in posix.parts or ".." in windows.parts)


def safe_child(folder: Path, name: str, *, what: str, hint: str = _MANIFEST_HINT) -> Path:
    """``folder / name`` if ``name`` is a plain relative name that stays inside ``folder``.

    Args:
        folder: The folder the name belongs to (a stage folder, a project folder).
        name: The name as read (from a manifest, a config, a stage's result).
        what: Where the name came from, for the message (``"work/ingest/manifest.json"``).
        hint: What to do, for the message (default: for a name read from a manifest).

    Raises:
        UnsafePath: the name is empty, absolute, has a ``..`` part, a NUL or a drive, or it
            resolves outside ``folder`` through a symlink.
    """
    text = str(name)
    path = Path(folder) / text
    if _bad_name(text) or not inside(path, folder):
        raise UnsafePath(f"{what} names {text!r}, which lies outside {folder}; refusing to "
                         f"touch it ({hint})")
    return path


def own_folder(workdir: Path, name: str) -> Path:
    """``workdir / name``, a folder wenmai writes in (``.cache``, ``.spool``), refused when it
    is a symlink or otherwise leads out of the work folder: a received work folder with
    ``.cache -> /home/me`` must not make wenmai write (or read its records) there.

    Raises:
        UnsafePath: the folder is a symlink or resolves outside ``workdir``.
    """
    path = Path(workdir) / name
    if path.is_symlink() or (path.exists() and not inside(path, workdir)):
        raise UnsafePath(f"{path} is a symlink leading out of the work folder; wenmai does "
                         "not write through it; delete the link and rerun")
    return path


def is_work_folder(folder: Path, tables: Iterable[Path] = ()) -> bool:
    """True for a folder with the marker, one an older wenmai wrote (a stage manifest), or
    one that holds any of ``tables`` (a stage's input tables, made by hand)."""
    folder = Path(folder)
    if (folder / MARKER).is_file() or any(Path(t).is_file() for t in tables):
        return True
    try:
        children = [c for c in folder.iterdir() if c.is_dir() and not c.is_symlink()]
    except OSError:
        return False
    for child in children:
        try:
            manifest = json.loads((child / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(manifest, dict) and manifest.get("stage") == child.name:
            return True
    return False


def check_workdir(workdir: Path, *, force: bool = False, tables: Iterable[Path] = ()) -> None:
    """Refuse to write into a folder that has files but is not a wenmai work folder.

    A missing or empty folder, or one with the marker (or an older wenmai's manifests, or the
    input ``tables`` of the stage about to run), is fine; ``force`` accepts any folder (the
    marker is then written and it becomes one).

    Raises:
        UnsafePath: the folder has other files and ``force`` is not set.
    """
    workdir = Path(workdir)
    if force or not workdir.exists():
        return
    if not workdir.is_dir():
        raise UnsafePath(f"work folder {workdir} is a file; choose a folder with --workdir")
    try:
        empty = next((c for c in workdir.iterdir() if c.name != LOCK_FILE), None) is None
    except OSError as err:
        raise UnsafePath(f"work folder {workdir} cannot be read ({err.strerror}); choose "
                         "another with --workdir") from None
    if empty or is_work_folder(workdir, tables):
        return
    raise UnsafePath(f"{workdir} has files but is not a wenmai work folder (no {MARKER}); "
                     "choose a new or empty folder with --workdir, or pass --force to use it")


def mark_workdir(workdir: Path) -> None:
    """Create the work folder if needed and write its marker (once)."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    marker = workdir / MARKER
    if not marker.exists():
        marker.write_text(f"wenmai work folder (made by wenmai {__version__}); every "
                          "subfolder is rewritten by the stage of that name\n",
                          encoding="utf-8")
