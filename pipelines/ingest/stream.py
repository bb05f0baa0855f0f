"""Ingest as a stream: parsed documents go to spool files on disk, never all into memory.

1. :func:`parse_part` (a partition task, possibly on another process or a Dask worker)
   parses its files one at a time and writes the documents to spool chunks of about
   :data:`SPOOL_CHARS` characters; it returns only its rejects, the number of documents and
   the hashed short lines of each collection (for template lines) and the chrome lines.
2. :class:`Deduplicator` reads the chunks in order, drops the collection's repeated lines,
   rejects short texts, removes exact duplicates (a set of 64-bit document ids) and keeps,
   per document, only its LSH band keys and a few numbers; the cleaned documents go to a
   second spool.
3. Near duplicates are decided from the band keys, reading back only the texts of
   candidate pairs; the kept documents are then read once more and cut into parts of at most
   :data:`PART_DOCS` documents or :data:`PART_BYTES` bytes of text, in input order, so the
   part boundaries depend on the data alone (not on workers or the engine).
"""

from __future__ import annotations

import hashlib
import pickle
import re
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.ingest.clean import MAX_LINE, PREFIX, SUFFIX, drop_lines, edge_pieces, strip_edges

if TYPE_CHECKING:
    import numpy as np

    from pipelines.ingest.files import FileItem
    from pipelines.ingest.readers import ReadOptions

__all__ = ["parse_part", "ParsedPart", "merge_lines", "Deduplicator", "line_key", "load",
           "parts_of", "SPOOL_CHARS", "PART_DOCS", "PART_BYTES"]

#: Characters of text per spool chunk written while parsing.
SPOOL_CHARS = 8_000_000
#: A documents part holds at most this many documents ...
PART_DOCS = 100_000
#: ... and is cut once its texts reach this many UTF-8 bytes.
PART_BYTES = 32 << 20
#: Documents spooled together after cleaning ...
BATCH_DOCS = 4096
#: ... whose signatures are computed this many characters at a time (numpy holds about 60
#: bytes per character of a batch while hashing its shingles).
SIGNATURE_CHARS = 1_000_000


def line_key(line: str) -> int:
    """A stable 64-bit hash of a line (the same in every process, unlike ``hash``)."""
    digest = hashlib.blake2b(line.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def _dump(path: Path, rows: list[dict[str, Any]]) -> None:
    with open(path, "wb") as handle:
        pickle.dump(rows, handle, protocol=pickle.HIGHEST_PROTOCOL)


def load(path: Path) -> list[dict[str, Any]]:
    with open(path, "rb") as handle:
        return pickle.load(handle)  # noqa: S301 - our own spool file, written by this run


@dataclass
class ParsedPart:
    """What a parse task returns: everything but the documents, which are on disk."""

    rejects: list[dict[str, Any]] = field(default_factory=list)
    chunks: list[str] = field(default_factory=list)  # spool file names, in order
    docs: Counter[int] = field(default_factory=Counter)  # documents per collection
    lines: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    chrome: dict[int, Counter[str]] = field(default_factory=dict)


def parse_part(task: tuple[int, Sequence[FileItem]], folder: str, split_pattern: str | None,
               opts: ReadOptions, max_file_mb: float, max_archive_mb: float,
               to_simplified: bool) -> ParsedPart:
    """Parse one partition of files into spool chunks ``parsed-<task>-<n>.pkl`` in ``folder``.

    The short lines of each document (a set per document, as ``clean.repeated_lines`` counts
    them) are counted per collection as 64-bit :func:`line_key` hashes.
    """
    import numpy as np

    from pipelines.ingest.files import iter_parsed

    index, items = task
    out = ParsedPart()
    keys: dict[int, array] = defaultdict(lambda: array("Q"))
    chrome: dict[int, Counter[str]] = defaultdict(Counter)
    buffer: list[dict[str, Any]] = []
    chars = 0

    def flush() -> None:
        name = f"parsed-{index:05d}-{len(out.chunks):05d}.pkl"
        _dump(Path(folder) / name, buffer)
        out.chunks.append(name)
        buffer.clear()

    for row in iter_parsed(items, split_pattern, opts, max_file_mb, max_archive_mb,
                           to_simplified):
        if row.pop("kind") == "reject":
            out.rejects.append(row)
            continue
        collection = row["collection"]
        out.docs[collection] += 1
        chrome[collection].update(set(row.pop("chrome", ())))
        keys[collection].extend({line_key(line) for line in row["text"].split("\n")
                                 if len(line) <= MAX_LINE}
                                | {line_key(piece) for piece in edge_pieces(row["text"])})
        buffer.append(row)
        chars += len(row["text"])
        if chars >= SPOOL_CHARS:
            flush()
            chars = 0
    if buffer:
        flush()
    for collection, found in keys.items():
        out.lines[collection] = np.unique(np.frombuffer(found, dtype=np.uint64),
                                          return_counts=True)
    out.chrome = {c: counts for c, counts in chrome.items() if counts}
    return out


def merge_lines(parts: Sequence[ParsedPart], min_docs: int, share: float
                ) -> tuple[Counter[int], dict[int, dict[int, int]], dict[int, Counter[str]]]:
    """Sum the parse tasks' counts per collection.

    Returns:
        Documents per collection; per collection the line hashes found in at least ``share``
        of its documents (``{hash: documents}``, the rule of ``clean.repeated_lines``); the
        chrome lines per collection with the number of documents they were removed from.
    """
    import numpy as np

    docs: Counter[int] = Counter()
    chrome: dict[int, Counter[str]] = defaultdict(Counter)
    for part in parts:
        docs.update(part.docs)
        for collection, counts in part.chrome.items():
            chrome[collection].update(counts)
    repeated: dict[int, dict[int, int]] = {}
    for collection, n in docs.items():
        if n < max(min_docs, 2):
            continue
        found = [p.lines[collection] for p in parts if collection in p.lines]
        keys, inverse = np.unique(np.concatenate([k for k, _ in found]), return_inverse=True)
        counts = np.bincount(inverse, weights=np.concatenate([c for _, c in found]))
        hit = counts >= max(2, share * n)
        if hit.any():
            repeated[collection] = dict(zip(keys[hit].tolist(), counts[hit].astype(int).tolist(),
                                            strict=True))
    return docs, repeated, dict(chrome)


class _Texts:
    """Texts of the documents in candidate pairs, read from the spool in order, dropped after
    their last pair."""

    def __init__(self, chunks: list[tuple[Path, int]], later: np.ndarray,
                 earlier: np.ndarray) -> None:
        import numpy as np

        involved = np.concatenate([later, earlier])
        last = np.concatenate([later, later])
        order = np.lexsort((last, involved))
        involved, last = involved[order], last[order]
        end = np.concatenate((involved[1:] != involved[:-1], [True]))
        self.last_use = dict(zip(involved[end].tolist(), last[end].tolist(), strict=True))
        self.chunks = iter(chunks)
        self.loaded = 0  # documents read so far
        self.front = 0  # the largest document asked for
        self.cache: dict[int, str] = {}

    def __call__(self, i: int) -> str:
        if i > self.front:
            self.front = i
        while i >= self.loaded:
            path, n = next(self.chunks)
            self.cache = {k: t for k, t in self.cache.items() if self.last_use[k] >= self.front}
            for k, doc in enumerate(load(path), self.loaded):
                if k in self.last_use:
                    self.cache[k] = doc["text"].decode("utf-8")
            self.loaded += n
        return self.cache[i]


class Deduplicator:
    """Clean, reject and deduplicate documents streamed from the parse spool (see module doc).

    Per kept document it holds its 64-bit id, source (interned), part, metadata key set and
    band keys: about 130 bytes, never its text.
    """

    def __init__(self, folder: Path, repeated: dict[int, dict[int, int]], *, min_chars: int,
                 near: float, keep: Sequence[str],
                 finish: Callable[[dict[str, Any]], None]) -> None:
        import numpy as np

        from pipelines.ingest.dedup import lsh_params

        self.folder = folder
        self.repeated = repeated
        self.min_chars = min_chars
        self.near = near
        self.keep = [re.compile(p) for p in keep]
        self.finish = finish  # fills doc_id-independent fields of a kept document
        self.names: dict[int, dict[int, str]] = defaultdict(dict)  # collection: hash: line
        self._dropped: dict[int, bool] = {}  # line hash: dropped (not kept by a pattern)
        self.rejected: list[dict[str, Any]] = []
        self.duplicates: list[dict[str, Any]] = []
        self.seen: dict[int, int] = {}  # document id: index among kept documents
        self.ids = array("Q")
        self.parts = array("q")
        self.source_of = array("l")
        self.sources: dict[str, int] = {}  # source: its number in source_names
        self.source_names: list[str] = []
        self.keysets: dict[tuple[str, ...], int] = {}
        self.keyset_of = array("l")
        self.bands = lsh_params(near) if near > 0 else (0, 0)
        self.keys: list[np.ndarray] = []
        self.empty: list[np.ndarray] = []
        self.chunks: list[tuple[Path, int]] = []
        self.batch: list[dict[str, Any]] = []
        self.batch_chars = 0
        self.np = np

    # --- pass 1: clean, reject, exact duplicates -------------------------------------------

    def _drop_repeated(self, doc: dict[str, Any]) -> None:
        """Drop the collection's repeated lines, then its repeated first-line prefixes and
        last-line suffixes (:func:`clean.edge_pieces`), unless a keep pattern holds them."""
        lines = self.repeated.get(doc["collection"])
        if not lines:
            return
        names = self.names[doc["collection"]]
        drop = set()
        for line in doc["text"].split("\n"):
            if len(line) > MAX_LINE:
                continue
            key = line_key(line)
            if key in lines and self._drops(key, line):
                drop.add(line)
                names.setdefault(key, line)
        doc["text"], n = drop_lines(doc["text"], drop)
        doc["boilerplate"] += n
        pieces = {p for p in edge_pieces(doc["text"])
                  if line_key(p) in lines and self._drops(line_key(p), p[2:])}
        if pieces:
            doc["text"], removed = strip_edges(doc["text"], pieces)
            for piece in removed:
                names.setdefault(line_key(piece), piece)

    def _drops(self, key: int, line: str) -> bool:
        dropped = self._dropped.get(key)
        if dropped is None:
            dropped = self._dropped[key] = not any(k.match(line) for k in self.keep)
        return dropped

    def add(self, doc: dict[str, Any]) -> None:
        """Take the next parsed document (in input order)."""
        self._drop_repeated(doc)
        text = doc["text"]
        n_chars = len(text)
        if n_chars < max(self.min_chars, 1):
            reason = "too_short" if n_chars else "empty"
            self.rejected.append({
                "source": doc["source"], "part": doc["part"], "reason": reason,
                "detail": f"{doc['source']} part {doc['part']} has {n_chars} characters after "
                f"clean-up, fewer than min_chars={self.min_chars}."})
            return
        doc_id = hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]
        key = int(doc_id, 16)
        first = self.seen.get(key)
        if first is not None:
            self.duplicates.append({
                "doc_id": doc_id, "duplicate_of": doc_id, "similarity": 1.0, "kind": "exact",
                "source": doc["source"], "part": doc["part"],
                "kept_source": self._source(first), "kept_part": self.parts[first]})
            return
        self.seen[key] = len(self.ids)
        self.ids.append(key)
        self.parts.append(doc["part"])
        source = self.sources.get(doc["source"])
        if source is None:
            source = self.sources[doc["source"]] = len(self.source_names)
            self.source_names.append(doc["source"])
        self.source_of.append(source)
        doc.update(doc_id=doc_id, n_chars=n_chars)
        self.finish(doc)
        keyset = tuple(sorted(doc["meta"]))
        self.keyset_of.append(self.keysets.setdefault(keyset, len(self.keysets)))
        self.batch.append(doc)
        self.batch_chars += n_chars
        if len(self.batch) >= BATCH_DOCS or self.batch_chars >= SPOOL_CHARS:
            self._flush()

    def _source(self, index: int) -> str:
        return self.source_names[self.source_of[index]]

    def _flush(self) -> None:
        if not self.batch:
            return
        if self.near > 0:
            from pipelines.ingest.dedup import band_keys

            start = 0
            while start < len(self.batch):
                end, chars = start, 0
                while end < len(self.batch) and (end == start or chars < SIGNATURE_CHARS):
                    chars += len(self.batch[end]["text"])
                    end += 1
                keys, empty = band_keys([d["text"] for d in self.batch[start:end]],
                                        *self.bands)
                self.keys.append(keys)
                self.empty.append(empty)
                start = end
        for doc in self.batch:  # spooled as UTF-8, as the documents table will hold it
            doc["text"] = doc["text"].encode("utf-8")
        path = self.folder / f"clean-{len(self.chunks):05d}.pkl"
        _dump(path, self.batch)
        self.chunks.append((path, len(self.batch)))
        self.batch, self.batch_chars = [], 0

    # --- pass 2: near duplicates ------------------------------------------------------------

    def near_duplicates(self) -> set[int]:
        """Decide the near duplicates among the kept documents; return their indices."""
        self._flush()
        np = self.np
        if self.near <= 0 or len(self.ids) < 2:
            return set()
        from pipelines.ingest.dedup import candidates, resolve

        keys, empty = np.concatenate(self.keys), np.concatenate(self.empty)
        self.keys, self.empty = [], []
        later, earlier, shared = candidates(keys, empty)
        del keys, empty
        if not len(later):
            return set()
        found = resolve(later, earlier, shared, self.near, _Texts(self.chunks, later, earlier))
        for i, (j, sim) in sorted(found.items()):
            self.duplicates.append({
                "doc_id": f"{self.ids[i]:016x}", "duplicate_of": f"{self.ids[j]:016x}",
                "similarity": sim, "kind": "near", "source": self._source(i),
                "part": self.parts[i], "kept_source": self._source(j),
                "kept_part": self.parts[j]})
        return set(found)

    # --- pass 3: the kept documents, in order -----------------------------------------------

    def meta_keys(self, dropped: set[int]) -> set[str]:
        """Metadata keys of the documents that are kept."""
        used = {k for i, k in enumerate(self.keyset_of) if i not in dropped}
        return {key for keyset, k in self.keysets.items() if k in used for key in keyset}

    def kept(self, dropped: set[int]) -> Iterator[dict[str, Any]]:
        """The kept documents in input order, read back from the spool (which is then
        removed); their texts are UTF-8 ``bytes``."""
        index = 0
        for path, _ in self.chunks:
            for doc in load(path):
                if index not in dropped:
                    yield doc
                index += 1
            path.unlink()

    def boilerplate_names(self, collection: int) -> dict[tuple[str, str], int]:
        """The repeated lines, prefixes and suffixes removed from a collection, as
        ``{(kind, text): documents}`` with kind ``repeated``, ``prefix`` or ``suffix``."""
        counts = self.repeated.get(collection, {})
        out = {}
        for key, line in self.names.get(collection, {}).items():
            kind = ("prefix" if line.startswith(PREFIX) else "suffix" if line.startswith(SUFFIX)
                    else "repeated")
            out[(kind, line[2:] if kind != "repeated" else line)] = counts[key]
        return out


def parts_of(docs: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Cut documents (texts as UTF-8 bytes) into parts of at most :data:`PART_DOCS` documents
    or :data:`PART_BYTES` bytes of text (cut after the document that reaches it)."""
    part: list[dict[str, Any]] = []
    size = 0
    for doc in docs:
        part.append(doc)
        size += len(doc["text"])
        if len(part) >= PART_DOCS or size >= PART_BYTES:
            yield part
            part, size = [], 0
    if part:
        yield part
