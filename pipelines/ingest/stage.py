"""Ingest: read raw files into ``ingest/documents``, ``ingest/rejected``, ``ingest/duplicates``.

Reads .txt/.md/.html/.csv/.tsv/.json/.jsonl/.xlsx/.docx/.pdf, bibliographic exports (CNKI
NoteExpress .net and its RefWorks, EndNote and 自定义 styles, RIS, BibTeX, EndNote .enw and
XML, Web of Science plain text and tab-delimited, Scopus CSV) and zip archives from files,
folders and globs; detects encodings; normalises whitespace; drops web chrome (by pattern at
the edges of a page, and lines repeated across a collection, listed in ``ingest/boilerplate``);
splits collection files at article markers; finds titles, dates (with their source) and
language; removes exact and near duplicates. Every path found but not read is a ``rejected``
row with its reason.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from pipelines.core.engine import map_partitions, partition, resolve_workers
from pipelines.core.errors import BadParams, EmptyCorpus
from pipelines.core.params import param
from pipelines.ingest.clean import KEEP_LINES

if TYPE_CHECKING:
    from pipelines.core.store import StoredTable
    from pipelines.ingest.stream import Deduplicator, ParsedPart

__all__ = ["NAME", "INPUTS", "OUTPUTS", "SCHEMAS", "Params", "compute", "external_inputs",
           "DOCUMENTS_SCHEMA", "REJECTED_SCHEMA", "DUPLICATES_SCHEMA", "BOILERPLATE_SCHEMA"]

NAME = "ingest"
INPUTS: tuple[str, ...] = ()
OUTPUTS = ("documents", "rejected", "duplicates", "boilerplate")
#: Distributions whose code computes the tables; their versions go into the manifest.
LIBRARIES: tuple[str, ...] = ("charset-normalizer", "opencc", "openpyxl", "pypdf", "python-docx",
                               "trafilatura")

DOCUMENTS_SCHEMA = pa.schema([
    ("doc_id", pa.string()), ("source", pa.string()), ("part", pa.int32()),
    ("title", pa.string()), ("date", pa.string()), ("year", pa.int32()),
    ("date_source", pa.string()), ("lang", pa.string()),
    ("text", pa.string()), ("n_chars", pa.int32()), ("boilerplate_lines", pa.int32()),
])
REJECTED_SCHEMA = pa.schema([
    ("source", pa.string()), ("part", pa.int32()), ("reason", pa.string()),
    ("detail", pa.string()),
])
DUPLICATES_SCHEMA = pa.schema([
    ("doc_id", pa.string()), ("duplicate_of", pa.string()), ("similarity", pa.float64()),
    ("kind", pa.string()), ("source", pa.string()), ("part", pa.int32()),
    ("kept_source", pa.string()), ("kept_part", pa.int32()),
])
BOILERPLATE_SCHEMA = pa.schema([
    ("line", pa.string()), ("documents", pa.int32()), ("collection", pa.string()),
    ("kind", pa.string()),
])
SCHEMAS = {"documents": DOCUMENTS_SCHEMA, "rejected": REJECTED_SCHEMA,
           "duplicates": DUPLICATES_SCHEMA, "boilerplate": BOILERPLATE_SCHEMA}

DEFAULT_SPLIT = r"^第\s*[0-9一二三四五六七八九十百]+\s*篇\s*[:：]"
_PARALLEL_MIN_FILES = 16
log = logging.getLogger("wenmai")


@dataclass(frozen=True)
class Params:
    """Parameters of the ingest stage."""

    inputs: tuple[str, ...] = param(
        (), "Files, folders (searched recursively) or glob patterns to read; they may lie "
        "outside the project (a run names those that do).", path=True, anywhere=True)
    remote: bool = param(
        False, "Allow inputs named by a network URL (s3://, gs://, https://, ...); off by "
        "default, so a project received from someone else cannot make wenmai fetch URLs.",
        key=False)
    split_pattern: str | None = param(
        DEFAULT_SPLIT, "Regex marking the start of each article in a collection file "
        "(empty to never split).")
    exclude: tuple[str, ...] = param(
        (), "Glob patterns of files or folders not to read, matched against the path inside "
        "an input folder or the file name (e.g. README.md,SOURCE.md,drafts/*).")
    text_column: str | None = param(
        None, "Column or JSON field holding the text in .csv/.tsv/.xlsx/.json/.jsonl files; "
        "dotted for nested JSON (video_detail.content); several apart by commas take the "
        "first non-empty one of each row (video_detail.content,brief). Default: guessed, "
        "never a column of JSON objects or lists.")
    title_column: str | None = param(
        None, "Column or JSON field holding the title (dotted like text_column, e.g. "
        "video_title). Default: a field named title, video_title, headline, 标题, 题名 ..., "
        "else the first short line of the text.")
    records_path: str | None = param(
        None, "Dotted path of the list of items in a .json file that is one object "
        "(e.g. videoList); default: the file's only list of objects, or the file if a list.")
    min_chars: int = param(20, "Documents with fewer characters after clean-up are rejected.",
                           min=0)
    near_duplicates: float = param(
        0.9, "MinHash Jaccard threshold above which a document counts as a near duplicate "
        "(0 disables).", min=0.0, max=1.0)
    to_simplified: bool = param(False, "Convert traditional Chinese to simplified (OpenCC t2s).")
    metadata: str | None = param(
        None, "CSV of per-file metadata joined on its file-name column.", path=True)
    max_file_mb: float = param(
        50.0, "Files, and members of zip archives or .docx/.xlsx, larger than this many MB "
        "(decompressed) are rejected.", min=0.0)
    max_archive_mb: float = param(
        500.0, "A zip archive (or .docx/.xlsx) inflating past this many MB in all is cut off "
        "there (decompression bombs).", min=0.0)
    boilerplate_min_docs: int = param(
        5, "Collections (input entries) with fewer documents are not searched for repeated "
        "lines; 2 cleans even small collections.", min=2)
    boilerplate_share: float = param(
        0.6, "A short line found in at least this share of a collection's documents is "
        "boilerplate.", min=0.0, max=1.0)
    keep_lines: tuple[str, ...] = param(
        KEEP_LINES, "Regexes of lines that stay even when repeated (salutations such as "
        "各位代表：, numbered headings); empty to drop them too.")
    workers: int = param(0, "Processes used to parse files (0 = all cores).", min=0, key=False)

    def __post_init__(self) -> None:
        for pattern in self.keep_lines:
            try:
                re.compile(pattern)
            except re.error as err:
                raise BadParams(f"ingest: keep_lines pattern {pattern!r} is not a valid "
                                f"regular expression ({err}); fix or remove it") from None
        if self.split_pattern:
            try:
                re.compile(self.split_pattern)
            except re.error as err:
                raise BadParams(f"ingest: split_pattern {self.split_pattern!r} is not a valid "
                                f"regular expression ({err}); fix or empty it") from None


def external_inputs(params: Params) -> list[Path | str]:
    """The raw files (and the metadata CSV) whose content decides the result; files named by
    URL stay URLs (the runner fingerprints their version)."""
    import os

    from pipelines.core.remote import is_url
    from pipelines.ingest.files import discover

    files: list[Path | str] = [
        item[0] if is_url(item[0]) else Path(item[0])
        for item in discover(params.inputs, params.exclude)
        if is_url(item[0]) or (os.path.isfile(item[0]) and os.access(item[0], os.R_OK))]
    return files + ([Path(params.metadata)] if params.metadata else [])


def _load_metadata(path: str) -> dict[str, dict[str, str]]:
    """Rows of the metadata CSV keyed by their file-name column."""
    import csv
    import io

    from pipelines.core.errors import BadInputFile
    from pipelines.ingest.decode import Rejected, decode_bytes

    try:
        text = decode_bytes(Path(path).read_bytes(), name=path)[0]
    except (OSError, Rejected) as err:
        raise BadInputFile(f"ingest: cannot read the metadata file {path} ({err}); save it "
                           "as a UTF-8 CSV") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = [c for c in reader.fieldnames or [] if c]
    if not columns:
        raise BadInputFile(f"ingest: the metadata file {path} has no header row")
    lowered = {c.strip().lower(): c for c in columns}
    key = next((lowered[k] for k in ("file", "filename", "file_name", "source", "path", "文件名",
                                     "文件") if k in lowered), columns[0])
    out = {}
    for row in reader:
        name = (row.get(key) or "").strip()
        if name:
            out[name] = {k.strip(): (v or "").strip() for k, v in row.items()
                         if k and k != key and (v or "").strip()}
    return out


def _metadata_for(source: str, table: dict[str, dict[str, str]]) -> dict[str, str]:
    base = PurePosixPath(source.split(".zip/")[-1])
    for candidate in (source, base.as_posix(), base.name, base.stem):
        if candidate in table:
            return table[candidate]
    return {}


def _apply_metadata(doc: dict[str, Any], row: dict[str, str]) -> None:
    from pipelines.ingest.meta import find_date

    for key, value in row.items():
        low = key.lower()
        if low == "title":
            doc["title"] = value
        elif low in ("date", "year"):
            found = find_date(value)
            if found:
                doc["date"], doc["date_source"] = found, "metadata_file"
        else:
            doc["meta"] = {**doc["meta"], key: value}


@contextmanager
def _spool() -> Iterator[Path]:
    """A folder for the parsed and cleaned documents of this run, removed afterwards."""
    import tempfile

    from pipelines.core.store import spool_dir

    folder = Path(tempfile.mkdtemp(prefix="ingest-", dir=spool_dir()))
    try:
        yield folder
    finally:  # flat: the spool holds only files
        for path in folder.iterdir():
            path.unlink(missing_ok=True)
        folder.rmdir()


def _parse(params: Params, folder: Path) -> tuple[list[ParsedPart], list[dict[str, Any]]]:
    """Parse the files in partitions, each writing its documents to spool chunks in
    ``folder``; return the partitions' summaries and the paths discovery did not read."""
    from pipelines.ingest.files import discover_all
    from pipelines.ingest.readers import ReadOptions
    from pipelines.ingest.stream import parse_part

    items, skipped = discover_all(params.inputs, params.exclude)
    workers = resolve_workers(params.workers)
    if len(items) < _PARALLEL_MIN_FILES:
        workers = 1
    parts = partition(items, workers * 4 if workers > 1 else 1)
    log.info("ingest: parsing %d files with %d worker(s)", len(items), workers)
    opts = ReadOptions(params.text_column, params.records_path, params.title_column)
    results = map_partitions(parse_part, list(enumerate(parts)), str(folder),
                             params.split_pattern, opts, params.max_file_mb,
                             params.max_archive_mb, params.to_simplified,
                             workers=workers, label="ingest", unit="file",
                             weights=[len(p) for p in parts])
    return results, skipped


def collection_name(entry: str) -> str:
    """An input entry as ``ingest/boilerplate`` names it: never an absolute path of this
    machine (a moved project, or the same corpus in another clone, gives the same table).

    A relative entry stays as given; an absolute one is made relative to the working folder
    (the project) when inside it, else named from its last folder on (``/data/corpus`` →
    ``corpus``, ``/data/corpus/*.txt`` → ``corpus/*.txt``); a URL stays a URL.

    >>> collection_name("docs/"), collection_name("/nowhere/data/corpus")
    ('docs/', 'corpus')
    >>> collection_name("/nowhere/data/corpus/**/*.txt"), collection_name("s3://b/corpus")
    ('corpus/**/*.txt', 's3://b/corpus')
    """
    import os

    from pipelines.core.remote import is_url

    if is_url(entry) or not os.path.isabs(entry):
        return entry
    path = PurePosixPath(Path(entry).as_posix())
    try:
        return path.relative_to(Path.cwd().as_posix()).as_posix() or "."
    except ValueError:
        pass
    parts = path.parts
    glob_at = next((i for i, p in enumerate(parts) if set(p) & set("*?[")), len(parts))
    start = max(1, glob_at - 1)
    return "/".join(parts[start:]) or path.name


def _boilerplate_rows(dedup: Deduplicator, chrome: dict[int, Counter[str]],
                      docs: Counter[int], params: Params) -> list[dict[str, Any]]:
    """Rows of ``ingest/boilerplate``: every removed line (repeated or page chrome) with the
    number of documents of its collection it was removed from."""
    rows = []
    for collection in sorted(docs):
        name = (collection_name(params.inputs[collection]) if collection < len(params.inputs)
                else str(collection))
        lines = dedup.boilerplate_names(collection)
        if lines:
            log.info("ingest: %d repeated template lines removed from a collection of %d",
                     len(lines), docs[collection])
        rows.extend({"line": line, "documents": n, "collection": name, "kind": kind}
                    for (kind, line), n in sorted(lines.items(),
                                                  key=lambda kv: (-kv[1], kv[0][1], kv[0][0])))
        removed = chrome.get(collection, Counter())
        rows.extend({"line": line, "documents": n, "collection": name, "kind": "chrome"}
                    for line, n in sorted(removed.items(), key=lambda kv: (-kv[1], kv[0])))
    return rows


def compute(tables: dict[str, pa.Table], params: Params
            ) -> dict[str, pa.Table | StoredTable]:
    """Read, clean and deduplicate the raw files named by ``params.inputs``.

    Documents stream through: parse tasks write them to a spool on disk, and the documents
    table is built part by part (:mod:`pipelines.ingest.stream`); the process holds a few
    numbers per document, not the texts.

    Args:
        tables: Unused (ingest has no upstream tables).
        params: The stage parameters.

    Returns:
        ``documents`` (a dataset of parts, :class:`~pipelines.core.store.StoredTable`),
        ``rejected``, ``duplicates`` and ``boilerplate`` tables.

    Raises:
        BadParams: no inputs were given.
        MissingInput: an input path does not exist.
        EmptyCorpus: no usable document is left.
    """
    from pipelines.ingest.clean import detect_lang
    from pipelines.ingest.meta import year_of
    from pipelines.ingest.stream import Deduplicator, load, merge_lines

    meta_table = _load_metadata(params.metadata) if params.metadata else {}

    def finish(doc: dict[str, Any]) -> None:
        doc["lang"] = detect_lang(doc["text"])
        if meta_table:
            _apply_metadata(doc, _metadata_for(doc["source"], meta_table))
        doc["year"] = year_of(doc["date"])

    with _spool() as folder:
        parts, rejected = _parse(params, folder)
        rejected += [row for part in parts for row in part.rejects]
        docs, repeated, chrome = merge_lines(parts, params.boilerplate_min_docs,
                                             params.boilerplate_share)
        dedup = Deduplicator(folder, repeated, min_chars=params.min_chars,
                             near=params.near_duplicates, keep=params.keep_lines, finish=finish)
        for part in parts:
            for name in part.chunks:
                for doc in load(folder / name):
                    dedup.add(doc)
                (folder / name).unlink()
        near = dedup.near_duplicates()
        rejected += dedup.rejected
        duplicates = dedup.duplicates
        boilerplate = _boilerplate_rows(dedup, chrome, docs, params)
        kept = len(dedup.ids) - len(near)
        if not kept:
            reasons = Counter(r["reason"] for r in rejected)
            summary = ", ".join(f"{n} {reason}" for reason, n in sorted(reasons.items()))
            first = f"; first: {rejected[0]['detail']}" if rejected else ""
            raise EmptyCorpus(f"ingest: no usable documents in {', '.join(params.inputs)} "
                              f"({len(rejected)} rejected{': ' + summary if summary else ''}, "
                              f"{len(duplicates)} duplicates{first}); check the files and "
                              "min_chars")
        not_read = Counter(r["reason"] for r in rejected
                           if r["reason"] in ("hidden", "symlink", "unreadable", "broken_link",
                                              "not_a_file"))
        log.info("ingest: %d documents, %d rejected%s, %d duplicates", kept, len(rejected),
                 f" ({', '.join(f'{n} {k}' for k, n in sorted(not_read.items()))} not read)"
                 if not_read else "", len(duplicates))
        documents = _write_documents(dedup, near)
    return {"documents": documents,
            "rejected": pa.Table.from_pylist(
                [{k: r[k] for k in REJECTED_SCHEMA.names} for r in rejected],
                schema=REJECTED_SCHEMA),
            "duplicates": pa.Table.from_pylist(duplicates, schema=DUPLICATES_SCHEMA),
            "boilerplate": pa.Table.from_pylist(boilerplate, schema=BOILERPLATE_SCHEMA)}


def _meta_column(key: str) -> str:
    """The column of a metadata key (``meta_`` before a name the schema already has)."""
    return f"meta_{key}" if key in DOCUMENTS_SCHEMA.names else key


def _write_documents(dedup: Deduplicator, near: set[int]) -> StoredTable:
    """The kept documents, read back from the spool and written part by part."""
    from pipelines.core.store import PartWriter
    from pipelines.ingest.records import LIST_KEYS
    from pipelines.ingest.stream import parts_of

    extra = sorted({_meta_column(k) for k in dedup.meta_keys(near)})
    schema = pa.schema(list(DOCUMENTS_SCHEMA) + [
        (k, pa.list_(pa.string()) if k in LIST_KEYS else pa.string()) for k in extra])
    writer = PartWriter(schema, name="documents")
    for part in parts_of(dedup.kept(near)):
        writer.write(_documents_table(part, schema))
    return writer.finish()


def _documents_table(docs: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    """One part of the documents table; metadata keys are the columns after
    :data:`DOCUMENTS_SCHEMA`'s: lists of strings for authors and keywords (a string from a
    table or the metadata file is split at ``;``), strings for the others."""
    from pipelines.ingest.records import LIST_KEYS, as_list

    core = set(DOCUMENTS_SCHEMA.names)
    extra = schema.names[len(DOCUMENTS_SCHEMA):]
    columns: dict[str, list[Any]] = {
        "doc_id": [d["doc_id"] for d in docs], "source": [d["source"] for d in docs],
        "part": [d["part"] for d in docs], "title": [d["title"] for d in docs],
        "date": [d["date"] for d in docs], "year": [d["year"] for d in docs],
        "date_source": [d["date_source"] for d in docs],
        "lang": [d["lang"] for d in docs],
        # UTF-8 bytes from the spool: no str copy (and its cached UTF-8) on the way to arrow
        "text": pa.array([d["text"] for d in docs], pa.binary()).cast(pa.string()),
        "n_chars": [d["n_chars"] for d in docs],
        "boilerplate_lines": [d["boilerplate"] for d in docs],
    }
    for key in extra:
        raw = key[5:] if key.startswith("meta_") and key[5:] in core else key
        values = [d["meta"].get(raw) for d in docs]
        if key in LIST_KEYS:
            columns[key] = [as_list(v) for v in values]
        else:
            columns[key] = [v if v is None or isinstance(v, str) else "; ".join(v)
                            for v in values]
    return pa.table(columns, schema=schema)
