"""Segment documents into sentences of filtered tokens with part-of-speech tags.

Reads ``ingest/documents``; writes ``segment/tokens`` (one row per sentence that keeps at
least one token) and ``segment/report`` (tokens removed per filter, frequent words missing
from the dictionary, shipped domain terms never seen).

Chinese is segmented by jieba's dictionary and precise mode (``rjieba`` by default, pure
Python ``jieba`` as the reference), English words by a regular expression and lemmatised by
simplemma. See ``docs/segmentation.md`` for the details and where the two backends differ.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from pipelines.engine import map_partitions, partition, resolve_workers
from pipelines.errors import BadParams
from pipelines.params import param
from pipelines.resources import data_path
from pipelines.segment_backends import BACKENDS
from pipelines.segment_core import FILTERS, PartitionResult, Settings, segment_partition
from pipelines.segment_lexicon import load_stopwords, load_synonyms, load_user_dict

__all__ = [
    "NAME",
    "INPUTS",
    "OUTPUTS",
    "SCHEMAS",
    "TOKENS_SCHEMA",
    "REPORT_SCHEMA",
    "Params",
    "compute",
    "external_inputs",
    "settings_from_params",
    "segment_documents",
]

NAME = "segment"
INPUTS = ("ingest/documents",)
OUTPUTS = ("tokens", "report")

TOKENS_SCHEMA = pa.schema([
    ("doc_id", pa.string()),
    ("para_id", pa.int32()),
    ("sent_id", pa.int32()),
    ("tokens", pa.list_(pa.string())),
    ("pos", pa.list_(pa.string())),
    ("lang", pa.string()),
])
REPORT_SCHEMA = pa.schema([("kind", pa.string()), ("term", pa.string()), ("count", pa.int64())])
SCHEMAS = {"tokens": TOKENS_SCHEMA, "report": REPORT_SCHEMA}

DOMAIN_DICT = ("dicts", "education_policy.txt")
DEFAULT_STOPWORDS = (("stopwords", "zh.txt"), ("stopwords", "en.txt"))
#: Below this many documents the stage runs in-process even with workers > 1: starting
#: worker processes (each loading the dictionary) costs more than it saves.
PARALLEL_MIN_DOCS = 200
#: How many out-of-dictionary words the report lists.
REPORT_OOV = 50

log = logging.getLogger("wenmai")


@dataclass(frozen=True)
class Params:
    """Parameters of the segment stage."""

    backend: str = param("rjieba", "Chinese segmenter: rjieba (fast) or jieba (reference).",
                         choices=BACKENDS)
    user_dicts: tuple[str, ...] = param((), "Extra jieba-format dictionaries (word [freq] [tag]).",
                                        path=True)
    use_domain_dict: bool = param(True, "Load the shipped education-policy dictionary.")
    stopwords: tuple[str, ...] = param((), "Extra stopword lists, one word per line.", path=True)
    use_default_stopwords: bool = param(True, "Use the shipped Chinese and English stopwords.")
    synonyms: str | None = param(None, "Synonym table, variant<TAB>canonical per line.",
                                 path=True)
    keep_pos: tuple[str, ...] = param((), "Keep only tokens whose POS tag starts with one of "
                                      "these (e.g. n,v,eng); empty keeps all.")
    min_length: int = param(2, "Shortest Chinese token kept, in characters.", min=1, max=20)
    keep_numbers: bool = param(False, "Keep numbers (2020, 3.5%, 二十) as tokens.")
    lemmatize: bool = param(True, "Lemmatise English words (policies -> policy).")
    lowercase: bool = param(True, "Lower-case English words.")
    presegmented: bool = param(False, "Text is already segmented: split on spaces only.")
    workers: int = param(0, "Worker processes (0 = all cores).", min=0, key=False)


def _dict_paths(params: Params) -> list[Path]:
    paths = [data_path(*DOMAIN_DICT)] if params.use_domain_dict else []
    return paths + [Path(p) for p in params.user_dicts]


def _stopword_paths(params: Params) -> list[Path]:
    paths = [data_path(*p) for p in DEFAULT_STOPWORDS] if params.use_default_stopwords else []
    return paths + [Path(p) for p in params.stopwords]


def external_inputs(params: Params) -> list[Path]:
    """The dictionary, stopword and synonym files in use (editing one makes the stage stale)."""
    paths = _dict_paths(params) + _stopword_paths(params)
    if params.synonyms:
        paths.append(Path(params.synonyms))
    return paths


def settings_from_params(params: Params) -> Settings:
    """Load every word list the params name into worker settings.

    Raises:
        BadInputFile: a file is unreadable, not UTF-8, or has a malformed line.
    """
    entries = tuple(e for p in _dict_paths(params) for e in load_user_dict(p))
    stop = frozenset(w for p in _stopword_paths(params) for w in load_stopwords(p))
    syn = tuple(load_synonyms(params.synonyms)) if params.synonyms else ()
    return Settings(backend=params.backend, entries=entries, stopwords=stop, synonyms=syn,
                    keep_pos=params.keep_pos, min_length=params.min_length,
                    keep_numbers=params.keep_numbers, lemmatize=params.lemmatize,
                    lowercase=params.lowercase, presegmented=params.presegmented)


def segment_documents(docs: list[tuple[str, str]], settings: Settings, *, workers: int = 1,
                      min_docs_parallel: int = PARALLEL_MIN_DOCS) -> PartitionResult:
    """Segment ``(doc_id, text)`` pairs, in partitions over worker processes when it pays.

    Args:
        docs: The documents in table order.
        settings: Loaded settings.
        workers: Worker processes (0 = all cores).
        min_docs_parallel: Fewer documents than this run in-process.

    Returns:
        The merged result, rows in document order (identical for any ``workers``).
    """
    n = resolve_workers(workers)
    parallel = n > 1 and len(docs) >= min_docs_parallel
    # one partition per worker: each partition builds its own segmenter (dictionary load)
    parts = partition(docs, n) if parallel else [docs]
    merged = PartitionResult()
    for res in map_partitions(segment_partition, parts, settings, workers=n, label=NAME):
        merged.rows.extend(res.rows)
        merged.removed.update(res.removed)
        merged.oov.update(res.oov)
    return merged


def _report(result: PartitionResult, settings: Settings, domain_words: list[str]) -> pa.Table:
    """Rows: removed/<filter> counts, top out-of-dictionary words, unseen domain terms."""
    rows: list[tuple[str, str, int]] = [("removed", f, result.removed.get(f, 0)) for f in FILTERS]
    oov = sorted(result.oov.items(), key=lambda kv: (-kv[1], kv[0]))[:REPORT_OOV]
    rows += [("oov", w, c) for w, c in oov]
    seen: Counter = Counter()
    for row in result.rows:
        seen.update(row[3])
    rows += [("domain_unseen", w, 0) for w in sorted(set(domain_words)) if seen[w] == 0]
    kinds, terms, counts = zip(*rows, strict=True)
    return pa.table({"kind": list(kinds), "term": list(terms), "count": list(counts)},
                    schema=REPORT_SCHEMA)


def compute(tables: dict[str, pa.Table], params: Params) -> dict[str, Any]:
    """Segment every document.

    Args:
        tables: ``{"ingest/documents": documents}``; uses columns doc_id and text.
        params: Stage parameters.

    Returns:
        ``{"tokens": ..., "report": ...}``.

    Raises:
        BadInputFile: a dictionary, stopword or synonym file is malformed.
        BadParams: the documents table lacks doc_id or text.
    """
    docs_table = tables["ingest/documents"]
    missing = [c for c in ("doc_id", "text") if c not in docs_table.column_names]
    if missing:
        raise BadParams(f"segment: documents table lacks {', '.join(missing)}; rerun "
                        "`wenmai ingest`")
    settings = settings_from_params(params)
    docs = list(zip(docs_table.column("doc_id").to_pylist(),
                    docs_table.column("text").to_pylist(), strict=True))
    result = segment_documents(docs, settings, workers=params.workers)
    log.info("segment: %d documents -> %d sentences", len(docs), len(result.rows))
    cols = list(zip(*result.rows, strict=True)) if result.rows else [[]] * 6
    tokens = pa.table({name: list(col) for name, col in zip(TOKENS_SCHEMA.names, cols,
                                                              strict=True)},
                      schema=TOKENS_SCHEMA)
    domain = ([e.word for e in load_user_dict(data_path(*DOMAIN_DICT))]
              if params.use_domain_dict else [])
    return {"tokens": tokens, "report": _report(result, settings, domain)}
