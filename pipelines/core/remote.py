"""Input files named by URL (``s3://``, ``gs://``, ``https://``, ...), read with fsspec.

A corpus on object storage or a web server is read where it lies: ingest lists it with
:func:`list_files`, each parse task (in this process, a forked worker or a Dask worker) reads
its files with :func:`read_bytes`, and the runner decides freshness from
:func:`fingerprint`, the filesystem's own version of each file (its listing entry: the ETag
and modification time on S3, size and mtime on a local disk), so checking a remote corpus
never downloads it and asks one listing, not one request per file. fsspec comes with Dask
(``pip install 'wenmai[dask]'``) or alone (``pip install 'wenmai[remote]'``); a protocol
needs its own package (``s3fs`` for ``s3://``, ``gcsfs`` for ``gs://``, ``aiohttp`` for
``https://``), named in the error when missing.

The work folder itself stays on a POSIX filesystem (local, or shared by the workers of a
cluster): the store's promise that a killed run leaves the old outputs or the new ones, never a
mix, rests on renaming a folder in one step, which object stores cannot do.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from pipelines.core.errors import BadParams, MissingInput

__all__ = ["is_url", "filesystem", "list_files", "read_bytes", "fingerprint"]

#: URL -> version of each file in the listings of this process (the newest listing wins)
_LISTED: dict[str, str] = {}

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def is_url(value: str) -> bool:
    """True for ``scheme://...`` (any scheme fsspec may know), False for a local path.

    >>> is_url("s3://bucket/corpus/"), is_url("docs/a.txt"), is_url("C:/docs")
    (True, False, False)
    """
    return bool(_URL.match(str(value)))


def filesystem(url: str) -> tuple[Any, str]:
    """The fsspec filesystem of ``url`` and the path inside it.

    Raises:
        BadParams: fsspec, or the package of the URL's protocol, is not installed.
    """
    try:
        from fsspec.core import url_to_fs
    except ImportError:
        raise BadParams(f"reading {url} needs fsspec; install it with "
                        "`pip install 'wenmai[remote]'`") from None
    try:
        return url_to_fs(url)
    except ImportError as err:  # fsspec names the package the protocol needs
        raise BadParams(f"reading {url} needs a package that is not installed ({err}); "
                        "install it and run again") from None
    except ValueError as err:  # an unknown protocol
        raise BadParams(f"{url}: {err}; check the URL's scheme") from None


def list_files(url: str) -> list[tuple[str, str, int]]:
    """Every file under ``url`` (a folder, a glob pattern or one file), sorted.

    Returns:
        ``(full URL, path relative to the folder or pattern root, size)`` per file.

    Raises:
        MissingInput: nothing exists there (or the pattern matches nothing).
    """
    fs, path = filesystem(url)
    try:
        if any(c in path for c in "*?["):
            root = re.split(r"[*?\[]", path, maxsplit=1)[0].rsplit("/", 1)[0]
            found = {p: i for p, i in fs.glob(path, detail=True).items()
                     if i.get("type") != "directory"}
        elif fs.isdir(path):
            root = path.rstrip("/")
            found = fs.find(path, detail=True)
        elif fs.exists(path):
            root = path.rsplit("/", 1)[0]
            found = {path: fs.info(path)}
        else:
            found = {}
    except (OSError, ValueError) as err:
        raise MissingInput(f"ingest: input {url} cannot be listed ({err}); check the URL and "
                           "your credentials") from None
    if not found:
        raise MissingInput(f"ingest: input {url} does not exist or holds no file; check the URL")
    rows = []
    for name, info in found.items():
        rel = name[len(root):].lstrip("/") if root and name.startswith(root) else name
        url_of = fs.unstrip_protocol(name)
        _LISTED[url_of] = _version(info)
        rows.append((url_of, rel or name.rsplit("/", 1)[-1], int(info.get("size") or 0)))
    return sorted(rows, key=lambda r: (r[1], r[0]))


def read_bytes(url: str, limit: int) -> bytes:
    """Up to ``limit`` bytes of the file at ``url`` (read ``limit + 1`` to tell it is larger).

    Raises:
        OSError: the file cannot be read (the caller records it as a rejected file).
    """
    fs, path = filesystem(url)
    with fs.open(path, "rb") as handle:
        return handle.read(limit)


def fingerprint(url: str) -> str:
    """A hash of the file's current version as its filesystem reports it (no byte is read):
    its entry in the last :func:`list_files` of this process, which the runner calls just
    before (one listing, not one request per file), else its ``info``.

    Raises:
        MissingInput: the file is gone.
    """
    version = _LISTED.get(url)
    if version is None:
        fs, path = filesystem(url)
        try:
            version = _version(fs.info(path))
        except (OSError, ValueError):
            raise MissingInput(f"input file {url} does not exist") from None
    return hashlib.sha256(f"{url}\n{version}".encode()).hexdigest()


def _version(info: dict[str, Any]) -> str:
    """A file's version from its listing entry (size, modification time, ETag on S3), as
    fsspec's default ``checksum`` derives it."""
    from fsspec.utils import tokenize

    return tokenize(info)
