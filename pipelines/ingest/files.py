"""Find the raw files of an ingest run and parse them into cleaned document dicts.

:func:`parse_files` works on one partition of files, so ``pipelines.core.engine`` can run it in a
process pool; everything that needs the whole corpus (repeated lines, duplicates) happens
afterwards in :mod:`pipelines.ingest`.
"""

from __future__ import annotations

import glob
import io
import os
import zipfile
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from pipelines.core.errors import BadParams, MissingInput
from pipelines.ingest.clean import normalise, split_articles, strip_chrome
from pipelines.ingest.decode import Rejected
from pipelines.ingest.meta import date_from_name, find_date, guess_title, top_date
from pipelines.ingest.readers import Record, read_bytes

__all__ = ["FileItem", "discover", "parse_files"]

# (absolute path, source relative to its input root, index of the input entry)
FileItem = tuple[str, str, int]
_GLOB_CHARS = set("*?[")


def _walk(folder: Path) -> list[Path]:
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        found.extend(Path(dirpath) / f for f in filenames if not f.startswith("."))
    return found


def discover(inputs: Sequence[str]) -> list[FileItem]:
    """List the files named by ``inputs`` (files, folders searched recursively, or globs).

    Returns:
        Items sorted by source path (then absolute path), without repeats.

    Raises:
        BadParams: no inputs were given.
        MissingInput: an input path does not exist or a glob matches nothing.
    """
    if not inputs:
        raise BadParams("ingest: no input files; pass file or folder paths (e.g. `wenmai ingest "
                        "docs/`) or set `inputs = [\"docs/\"]` under [ingest] in wenmai.toml")
    items: dict[str, FileItem] = {}
    for index, entry in enumerate(inputs):
        path = Path(entry).expanduser()
        if _GLOB_CHARS & set(entry):
            parts = Path(entry).parts
            root = Path(*[p for p in parts[:next(i for i, p in enumerate(parts)
                                                 if _GLOB_CHARS & set(p))]] or ["."])
            matches = [Path(m) for m in glob.glob(entry, recursive=True)]
            files = [m for m in matches if m.is_file()]
            for m in matches:
                if m.is_dir():
                    files.extend(_walk(m))
            if not files:
                raise MissingInput(f"ingest: the pattern {entry} matches no file; check the "
                                   "path or quote the pattern")
        elif path.is_dir():
            root, files = path, _walk(path)
        elif path.is_file():
            root, files = path.parent, [path]
        else:
            raise MissingInput(f"ingest: input {entry} does not exist; check the path in "
                               "`inputs`")
        for f in files:
            resolved = str(f.resolve())
            source = f.resolve().relative_to(root.resolve()).as_posix() \
                if f.resolve().is_relative_to(root.resolve()) else f.name
            items.setdefault(resolved, (resolved, source, index))
    return sorted(items.values(), key=lambda it: (it[1], it[0]))


def _records(data: bytes, name: str, text_column: str | None, max_bytes: float
             ) -> list[tuple[str, Record | Rejected]]:
    """Read one file (or every member of a zip archive) into (source, record/reject) pairs."""
    if PurePosixPath(name).suffix.lower() != ".zip":
        try:
            records, rejects = read_bytes(data, name, text_column)
        except Rejected as rej:
            return [(name, rej)]
        return [(name, r) for r in records] + [(name, r) for r in rejects]
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return [(name, Rejected("parse_error", f"{name} is not a readable zip archive."))]
    out: list[tuple[str, Record | Rejected]] = []
    with archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            member = f"{name}/{info.filename}"
            if info.is_dir() or PurePosixPath(info.filename).name.startswith("."):
                continue
            if info.file_size > max_bytes:
                out.append((member, Rejected("too_large", f"{member} is {info.file_size / 1e6:.1f}"
                                             " MB, above max_file_mb; raise max_file_mb.")))
            elif info.filename.lower().endswith(".zip"):
                out.append((member, Rejected("unsupported_format", f"{member} is a zip inside "
                                             "a zip; unpack the outer archive first.")))
            else:
                out.extend(_records(archive.read(info), member, text_column, max_bytes))
    return out


def _document(rec: Record, source: str, collection: int, part: int, raw: str,
              title: str | None, fallback_date: str | None) -> dict[str, Any]:
    text, chrome = strip_chrome(raw)
    date = find_date(rec.date) if rec.date else None
    date = date or top_date(raw) or fallback_date
    return {"source": source, "part": part, "title": title or guess_title(text), "date": date,
            "text": text, "meta": rec.meta, "collection": collection, "boilerplate": chrome}


def _clean(rec: Record, source: str, collection: int, split_pattern: str | None,
           ) -> list[dict[str, Any]]:
    """Normalise a record, split it into articles if marked, drop chrome lines."""
    text = normalise(rec.text)
    name_date = date_from_name(PurePosixPath(source).name)
    if name_date and len(name_date) == 10:  # a full date in a file name is deliberate
        rec.date = rec.date or name_date
    preamble, articles = split_articles(text, split_pattern) if rec.split else (text, [])
    if not articles:
        return [_document(rec, source, collection, rec.part, text, rec.title, name_date)]
    page_date = top_date(preamble) or name_date
    out = []
    for i, (title, article) in enumerate(articles):
        out.append(_document(rec, source, collection, i, article, title or rec.title,
                             page_date))
    return out


def parse_files(items: Sequence[FileItem], split_pattern: str | None, text_column: str | None,
                max_file_mb: float, to_simplified: bool) -> list[dict[str, Any]]:
    """Parse and clean one partition of files.

    Returns:
        Dicts with ``kind`` ``"doc"`` (source, part, title, date, text, meta, collection,
        boilerplate) or ``"reject"`` (source, part, reason, detail), in file order.
    """
    converter = None
    if to_simplified:
        import opencc

        converter = opencc.OpenCC("t2s")
    max_bytes = max_file_mb * 1e6
    out: list[dict[str, Any]] = []
    for path, source, collection in items:
        size = os.path.getsize(path)
        if size > max_bytes:
            out.append({"kind": "reject", "source": source, "part": None, "reason": "too_large",
                        "detail": f"{source} is {size / 1e6:.1f} MB, above max_file_mb="
                        f"{max_file_mb:g}; raise max_file_mb to read it."})
            continue
        data = Path(path).read_bytes()
        for name, rec in _records(data, source, text_column, max_bytes):
            if isinstance(rec, Rejected):
                out.append({"kind": "reject", "source": name, "part": rec.part,
                            "reason": rec.reason, "detail": rec.detail})
                continue
            if converter is not None:
                rec.text = converter.convert(rec.text)
                rec.title = converter.convert(rec.title) if rec.title else rec.title
            for doc in _clean(rec, name, collection, split_pattern):
                doc["kind"] = "doc"
                out.append(doc)
    return out
