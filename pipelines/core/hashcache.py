"""Content hashes of a stage's input files, re-used while a file's stat is unchanged.

Freshness compares content hashes, but hashing every raw document at every ``wenmai run``
reads the whole corpus again. So the hash of each input file is kept with the file's size,
mtime and ctime in ``<workdir>/.cache/inputs-<stage>.json``, and a file is hashed again only
when one of them changed (git's index does the same). Two guards keep this as safe as
hashing:

- a record is trusted only if the file's mtime was at least :data:`RACY_NS` older than the
  moment it was hashed, so a file written again within the filesystem's timestamp
  resolution right after hashing is hashed again (git's "racily clean" entries);
- the ctime (which no tool can set back, unlike the mtime that ``cp -p``, ``rsync -t`` or
  ``touch -d`` restore) is compared too; moving or copying a project only costs one rehash.

The cache is only a cache: when it is missing or unreadable every file is hashed, the
manifests (and so what "fresh" means) do not change, and deleting ``.cache`` is always safe.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

from pipelines.core.errors import UnsafePath
from pipelines.core.paths import is_work_folder, own_folder

__all__ = ["RACY_NS", "InputHashes", "sha256_of"]

#: A record whose file was modified less than this long before it was hashed is not trusted.
RACY_NS = 2_000_000_000
CACHE_DIR = ".cache"
#: A cache file larger than this is ignored (rebuilt): 256 MB holds about a million records.
MAX_CACHE_BYTES = 256 << 20
log = logging.getLogger("wenmai")


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class InputHashes:
    """The input-file hash cache of one stage in one work folder.

    >>> cache = InputHashes(workdir, "ingest")   # doctest: +SKIP
    >>> digest = cache.sha256("file:docs/a.txt", Path("docs/a.txt"))   # doctest: +SKIP
    >>> cache.save()   # doctest: +SKIP
    """

    def __init__(self, workdir: Path, stage: str) -> None:
        self.workdir = Path(workdir)
        self.path = self.workdir / CACHE_DIR / f"inputs-{stage}.json"
        self.hashed = 0  # files whose bytes were read by this instance
        self._old = self._load()
        self._new: dict[str, dict[str, Any]] = {}

    def _usable(self) -> bool:
        """False (with a warning) when ``.cache`` leads out of the work folder: its records
        are not trusted and nothing is written through it."""
        try:
            own_folder(self.workdir, CACHE_DIR)
        except UnsafePath as err:
            log.warning("%s (the input hash cache is not used)", err)
            return False
        return True

    def _load(self) -> dict[str, dict[str, Any]]:
        """The records, or none when the file is missing, too large, or not what this class
        writes (a broken cache is rebuilt, never fatal)."""
        if not self._usable():
            return {}
        try:
            with open(self.path, "rb") as fh:
                raw = fh.read(MAX_CACHE_BYTES + 1)
            if len(raw) > MAX_CACHE_BYTES:
                return {}
            data = json.loads(raw.decode("utf-8"))
        except (OSError, ValueError, RecursionError):  # deep nesting: rebuilt like any damage
            return {}
        files = data.get("files") if isinstance(data, dict) else None
        return files if isinstance(files, dict) else {}

    def sha256(self, key: str, path: Path) -> str:
        """The file's content hash: recorded if its stat is unchanged, else read and recorded.

        Args:
            key: How the manifest names the input (``file:<portable path>``).
            path: The file.
        """
        st = os.stat(path)
        stat = [st.st_size, st.st_mtime_ns, st.st_ctime_ns]
        old = self._old.get(key)
        if (isinstance(old, dict) and old.get("stat") == stat
                and isinstance(old.get("checked_ns"), int)
                and st.st_mtime_ns + RACY_NS <= old["checked_ns"]
                and isinstance(old.get("sha256"), str)):
            self._new[key] = old
            return old["sha256"]
        checked = time.time_ns()
        digest = sha256_of(path)
        self.hashed += 1
        self._new[key] = {"stat": stat, "checked_ns": checked, "sha256": digest}
        return digest

    def save(self) -> None:
        """Write the records of the files asked for since loading, if any differ from the file.

        Written via a temporary file and a rename, and only into a wenmai work folder (one
        with its marker or a stage manifest), so checking a folder never leaves a file in it;
        a work folder that cannot be written just keeps no cache.
        """
        if (self._new == self._old or not is_work_folder(self.workdir)
                or not self._usable()):
            return
        try:
            self.path.parent.mkdir(exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"files": self._new}, ensure_ascii=False, sort_keys=True),
                           encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:
            pass
