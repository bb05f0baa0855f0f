"""Find the raw files of an ingest run and parse them into cleaned document dicts.

:func:`parse_files` works on one partition of files, so ``pipelines.core.engine`` can run it in a
process pool; everything that needs the whole corpus (repeated lines, duplicates) happens
afterwards in :mod:`pipelines.ingest`. Nothing is skipped silently: hidden files and folders,
symlinked folders, broken links, unreadable folders and special files (FIFOs, devices) each
become a ``rejected`` row, and a reader's unexpected exception rejects its file, not the run.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import stat
from collections.abc import Iterator, Sequence
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any

from pipelines.core import remote
from pipelines.core.errors import BadParams, MissingInput
from pipelines.ingest.clean import normalise, split_articles, strip_chrome_lines
from pipelines.ingest.decode import Rejected
from pipelines.ingest.meta import date_from_name, dateline, find_date, guess_title
from pipelines.ingest.readers import ZIP_CONTAINERS, ReadOptions, Record, read_bytes

__all__ = ["FileItem", "discover", "discover_all", "parse_files", "safe_name"]

# (absolute path, source relative to its input root, index of the input entry)
FileItem = tuple[str, str, int]
_GLOB_CHARS = set("*?[")


@lru_cache(maxsize=4096)
def safe_name(name: str) -> str:
    """A path as valid UTF-8 text: bytes that are not UTF-8 become U+FFFD.

    >>> safe_name(os.fsdecode(b"a\\xff.txt"))
    'a\\ufffd.txt'
    """
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _skip(source: str, reason: str, detail: str) -> dict[str, Any]:
    return {"kind": "reject", "source": safe_name(source), "part": None, "reason": reason,
            "detail": safe_name(detail)}


def _excluded(rel: str, patterns: Sequence[str]) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatchcase(rel, p) or fnmatch.fnmatchcase(name, p) for p in patterns)


def _inside(path: Path, root: Path) -> bool:
    """Whether a link's target resolves inside ``root`` (a received corpus folder must not
    make ingest read ``~/.ssh`` through a link)."""
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):
        return True  # a loop: _open_regular records it as broken_link


def _walk(folder: Path, root: Path, exclude: Sequence[str]
          ) -> tuple[list[Path], list[dict[str, Any]]]:
    """Files under ``folder`` and a reject row for each path not read (and why)."""
    found: list[Path] = []
    skipped: list[dict[str, Any]] = []

    def rel(p: Path) -> str:
        try:
            return p.relative_to(root).as_posix()
        except ValueError:
            return p.as_posix()

    def onerror(err: OSError) -> None:
        path = Path(err.filename) if err.filename else folder
        skipped.append(_skip(rel(path), "unreadable", f"{rel(path)} is a folder that cannot be "
                             f"read ({err.strerror}); fix its permissions to ingest it."))

    for dirpath, dirnames, filenames in os.walk(folder, onerror=onerror):
        here = Path(dirpath)
        keep = []
        for d in sorted(dirnames):
            path = here / d
            r = rel(path)
            if _excluded(r, exclude):
                continue
            if d.startswith("."):
                skipped.append(_skip(r, "hidden", f"{r} is a hidden folder, not read; pass it "
                                     "as an input to read it."))
            elif path.is_symlink():
                skipped.append(_skip(r, "symlink", f"{r} is a link to a folder, not followed "
                                     "(links can loop); pass its target as an input."))
            else:
                keep.append(d)
        dirnames[:] = keep
        for f in sorted(filenames):
            path = here / f
            r = rel(path)
            if _excluded(r, exclude):
                continue
            if f.startswith("."):
                skipped.append(_skip(r, "hidden", f"{r} is a hidden file, not read; pass it "
                                     "as an input to read it."))
            elif path.is_symlink() and path.exists() and not _inside(path, root):
                skipped.append(_skip(r, "symlink", f"{r} links to a file outside the input "
                                     "folder, not read; pass its target as an input."))
            else:
                found.append(path)
    return found, skipped


def discover_all(inputs: Sequence[str], exclude: Sequence[str] = ()
                 ) -> tuple[list[FileItem], list[dict[str, Any]]]:
    """The files named by ``inputs`` and a reject row for every path found but not read.

    Returns:
        Items sorted by source path (then absolute path), without repeats, and the rows.

    Raises:
        BadParams: no inputs were given.
        MissingInput: an input path does not exist or a glob matches nothing.
    """
    if not inputs:
        raise BadParams("ingest: no input files; pass file or folder paths (e.g. `wenmai ingest "
                        "docs/`) or set `inputs = [\"docs/\"]` under [ingest] in wenmai.toml")
    items: dict[str, FileItem] = {}
    skipped: list[dict[str, Any]] = []
    for index, entry in enumerate(inputs):
        if remote.is_url(entry):  # read where it lies, by each parse task (core/remote.py)
            for url, rel, _size in remote.list_files(entry):
                if _excluded(rel, exclude):
                    continue
                if any(part.startswith(".") for part in rel.split("/")):
                    skipped.append(_skip(rel, "hidden", f"{url} is hidden (a name starting "
                                         "with a dot), not read; pass it as an input to read "
                                         "it."))
                    continue
                items.setdefault(url, (url, rel, index))
            continue
        path = Path(entry).expanduser()
        if _GLOB_CHARS & set(entry):
            parts = Path(entry).parts
            root = Path(*[p for p in parts[:next(i for i, p in enumerate(parts)
                                                 if _GLOB_CHARS & set(p))]] or ["."])
            matches = [Path(m) for m in sorted(glob.glob(entry, recursive=True))]
            files = [m for m in matches if not m.is_dir()]
            for m in matches:
                if m.is_dir():
                    more, skip = _walk(m, root, exclude)
                    files.extend(more)
                    skipped.extend(skip)
            files = [f for f in files
                     if not _excluded(f.relative_to(root).as_posix()
                                      if f.is_relative_to(root) else f.name, exclude)]
            if not files and not skipped:
                raise MissingInput(f"ingest: the pattern {entry} matches no file; check the "
                                   "path or quote the pattern")
        elif path.is_dir():
            root = path
            files, skip = _walk(path, root, exclude)
            skipped.extend(skip)
        elif path.exists() or path.is_symlink():
            root, files = path.parent, [path]
        else:
            raise MissingInput(f"ingest: input {entry} does not exist; check the path in "
                               "`inputs`")
        for f in files:
            source = f.relative_to(root).as_posix() if f.is_relative_to(root) else f.name
            items.setdefault(os.path.abspath(f), (os.path.abspath(f), source, index))
    ordered = sorted(items.values(), key=lambda it: (it[1], it[0]))
    return ordered, sorted(skipped, key=lambda r: r["source"])


def discover(inputs: Sequence[str], exclude: Sequence[str] = ()) -> list[FileItem]:
    """The files named by ``inputs`` (see :func:`discover_all`)."""
    return discover_all(inputs, exclude)[0]


def _records(data: bytes, name: str, opts: ReadOptions, max_bytes: float, max_total: float
             ) -> list[tuple[str, Record | Rejected]]:
    """Read one file (or every member of a zip archive) into (source, record/reject) pairs."""
    from pipelines.ingest.archive import check_members, members

    suffix = PurePosixPath(name).suffix.lower()
    if suffix != ".zip":
        try:
            if suffix in ZIP_CONTAINERS:
                check_members(data, name, max_bytes, max_total)
            records, rejects = read_bytes(data, name, opts)
        except Rejected as rej:
            return [(name, rej)]
        return [(name, r) for r in records] + [(name, r) for r in rejects]
    out: list[tuple[str, Record | Rejected]] = []
    try:
        for member, content in members(data, name, max_bytes, max_total):
            base = PurePosixPath(member).name
            if base.startswith("."):
                out.append((member, Rejected("hidden", f"{member} is a hidden file in the "
                                             "archive, not read.")))
            elif member.lower().endswith(".zip"):
                out.append((member, Rejected("unsupported_format", f"{member} is a zip inside "
                                             "a zip; unpack the outer archive first.")))
            elif isinstance(content, Rejected):
                out.append((member, content))
            else:
                out.extend(_guarded(content, member, opts, max_bytes, max_total))
                del content  # one member's bytes at a time
    except Rejected as rej:
        out.append((name, rej))
    return out


def _guarded(data: bytes, name: str, opts: ReadOptions, max_bytes: float, max_total: float
             ) -> list[tuple[str, Record | Rejected]]:
    """:func:`_records`, with a reader's unexpected exception turned into a reject."""
    try:
        return _records(data, name, opts, max_bytes, max_total)
    except Exception as err:  # noqa: BLE001 - one bad file must not end the run
        return [(name, Rejected("reader_error", f"{name} could not be read: "
                                f"{type(err).__name__}: {str(err)[:200]}"))]


def _choose_date(rec: Record, raw: str, fallback: tuple[str | None, str | None]
                 ) -> tuple[str | None, str | None]:
    """The document's date and where it came from, strongest evidence first.

    A date field of the record > the document's own dateline > the file name > an HTML
    page's metadata > when the PDF/DOCX file was made (the metadata CSV, applied later,
    beats them all).
    """
    own = find_date(rec.date) if rec.date else None
    if own and rec.date_kind == "record":
        return own, "record"
    line = dateline(raw)
    if line:
        return line, "dateline"
    if fallback[0]:
        return fallback
    if own:
        return own, rec.date_kind
    return None, None


def _document(rec: Record, source: str, collection: int, part: int, raw: str,
              title: str | None, fallback: tuple[str | None, str | None]) -> dict[str, Any]:
    text, chrome = strip_chrome_lines(raw)
    date, date_source = _choose_date(rec, raw, fallback)
    return {"source": source, "part": part, "title": title or guess_title(text), "date": date,
            "date_source": date_source, "text": text, "meta": rec.meta,
            "collection": collection, "boilerplate": len(chrome), "chrome": tuple(chrome)}


@lru_cache(maxsize=4096)
def _name_date(source: str) -> str | None:
    """The date in a file name (cached: a table's rows share one file)."""
    return date_from_name(PurePosixPath(source).name)


def _clean(rec: Record, source: str, collection: int, split_pattern: str | None,
           ) -> list[dict[str, Any]]:
    """Normalise a record, split it into articles if marked, drop chrome lines."""
    text = normalise(rec.text)
    name_date = _name_date(source)
    by_name = (name_date, "file_name" if name_date else None)
    preamble, articles = split_articles(text, split_pattern) if rec.split else (text, [])
    if not articles:
        return [_document(rec, source, collection, rec.part, text, rec.title, by_name)]
    page = dateline(preamble)
    fallback = (page, "dateline") if page else by_name
    return [_document(rec, source, collection, i, article, title or rec.title, fallback)
            for i, (title, article) in enumerate(articles)]


def _open_regular(path: str, source: str, max_bytes: float, max_file_mb: float
                  ) -> bytes | dict[str, Any]:
    """The bytes of a regular file, or the reject row saying why it is not read."""
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return _skip(source, "broken_link", f"{source} is a link to nothing (its target is "
                     "missing); fix or remove the link.")
    except OSError as err:  # ELOOP: a symlink loop; EACCES on a parent folder
        reason = "broken_link" if os.path.islink(path) else "unreadable"
        return _skip(source, reason, f"{source} cannot be opened ({err.strerror}).")
    if not stat.S_ISREG(st.st_mode):
        kind = ("a FIFO" if stat.S_ISFIFO(st.st_mode) else "a device"
                if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else "a socket"
                if stat.S_ISSOCK(st.st_mode) else "not a regular file")
        return _skip(source, "not_a_file", f"{source} is {kind}, not a document file.")
    if st.st_size > max_bytes:
        return _skip(source, "too_large", f"{source} is {st.st_size / 1e6:.1f} MB, above "
                     f"max_file_mb={max_file_mb:g}; raise max_file_mb to read it.")
    try:
        with open(path, "rb") as handle:
            data = handle.read(int(max_bytes) + 1)
    except PermissionError:
        return _skip(source, "unreadable", f"{source} cannot be read (permission denied); fix "
                     "its permissions.")
    except OSError as err:
        return _skip(source, "unreadable", f"{source} cannot be read ({err.strerror}).")
    if len(data) > max_bytes:  # grew while we looked
        return _skip(source, "too_large", f"{source} is above max_file_mb={max_file_mb:g}.")
    return data


def _open_remote(url: str, source: str, max_bytes: float, max_file_mb: float
                 ) -> bytes | dict[str, Any]:
    """The bytes of a file named by URL, or the reject row saying why it is not read."""
    try:
        data = remote.read_bytes(url, int(max_bytes) + 1)
    except FileNotFoundError:
        return _skip(source, "unreadable", f"{url} is gone (it was listed, then removed).")
    except OSError as err:
        return _skip(source, "unreadable", f"{url} cannot be read ({err}).")
    if len(data) > max_bytes:
        return _skip(source, "too_large", f"{source} is above max_file_mb={max_file_mb:g}; "
                     "raise max_file_mb to read it.")
    return data


def parse_files(items: Sequence[FileItem], split_pattern: str | None, opts: ReadOptions,
                max_file_mb: float, max_archive_mb: float, to_simplified: bool
                ) -> list[dict[str, Any]]:
    """Parse and clean one partition of files (:func:`iter_parsed` as a list)."""
    return list(iter_parsed(items, split_pattern, opts, max_file_mb, max_archive_mb,
                            to_simplified))


def iter_parsed(items: Sequence[FileItem], split_pattern: str | None, opts: ReadOptions,
                max_file_mb: float, max_archive_mb: float, to_simplified: bool
                ) -> Iterator[dict[str, Any]]:
    """Parse and clean files one at a time.

    Yields:
        Dicts with ``kind`` ``"doc"`` (source, part, title, date, date_source, text, meta,
        collection, boilerplate, chrome) or ``"reject"`` (source, part, reason, detail), in
        file order; one file's rows are held at a time.
    """
    converter = None
    if to_simplified:
        import opencc

        converter = opencc.OpenCC("t2s")
    max_bytes = max_file_mb * 1e6
    max_total = max_archive_mb * 1e6
    for path, raw_source, collection in items:
        source = safe_name(raw_source)
        data = (_open_remote(path, source, max_bytes, max_file_mb) if remote.is_url(path)
                else _open_regular(path, source, max_bytes, max_file_mb))
        if isinstance(data, dict):
            yield data
            continue
        rows: list[dict[str, Any]] = []
        try:
            pairs = _guarded(data, source, opts, max_bytes, max_total)
            del data
            pairs.reverse()
            while pairs:  # pop: each raw record is freed once it is cleaned
                name, rec = pairs.pop()
                if isinstance(rec, Rejected):
                    rows.append({"kind": "reject", "source": safe_name(name),
                                 "part": rec.part, "reason": rec.reason,
                                 "detail": safe_name(rec.detail)})
                    continue
                if converter is not None:
                    rec.text = converter.convert(rec.text)
                    rec.title = converter.convert(rec.title) if rec.title else rec.title
                for doc in _clean(rec, safe_name(name), collection, split_pattern):
                    doc["kind"] = "doc"
                    rows.append(doc)
        except Exception as err:  # noqa: BLE001 - clean-up of one file must not end the run
            rows = [_skip(source, "reader_error", f"{source} could not be processed: "
                          f"{type(err).__name__}: {str(err)[:200]}")]
        yield from rows
