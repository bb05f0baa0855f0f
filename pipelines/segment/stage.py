"""Segment documents into sentences of filtered tokens with part-of-speech tags.

Reads ``ingest/documents``; writes ``segment/tokens`` (one row per sentence that keeps at
least one token) and ``segment/report`` (tokens removed per filter, frequent words missing
from the dictionary, dictionary words the segmenter split or found inside longer words,
English phrases joined, shipped domain terms never seen).

Chinese is segmented by jieba's dictionary and precise mode (``rjieba`` by default, pure
Python ``jieba`` as the reference), English words by a regular expression and lemmatised by
simplemma. See ``docs/segmentation.md`` for the details and where the two backends differ.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from pipelines.core import store
from pipelines.core.engine import can_fork, map_stream, resolve_workers
from pipelines.core.errors import BadParams
from pipelines.core.params import param
from pipelines.core.resources import builtin_path, data_path
from pipelines.segment.backends import BACKENDS
from pipelines.segment.lexicon import (
    checked_words,
    load_stopwords,
    load_synonyms,
    load_user_dict,
)
from pipelines.segment.postags import check_keep_pos
from pipelines.segment.types import (
    FILTERS,
    TOKENS_SCHEMA,
    PartitionResult,
    Settings,
)
from pipelines.segment.worker import (
    Part,
    Segmenter,
    dictionary_counts,
    segment_part,
    write_partition,
)

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
    "prepare",
    "settings_from_params",
    "segment_documents",
    "segment_stream",
    "partitions",
    "STREAMED",
]

NAME = "segment"
INPUTS = ("ingest/documents",)
#: The documents are read a batch at a time (``store.StoredTable``), never whole.
STREAMED = ("ingest/documents",)
OUTPUTS = ("tokens", "report")
#: Distributions whose code computes the tables; their versions go into the manifest.
LIBRARIES: tuple[str, ...] = ("gensim", "jieba", "opencc", "rjieba", "simplemma")

REPORT_SCHEMA = pa.schema([("kind", pa.string()), ("term", pa.string()), ("count", pa.int64())])
SCHEMAS = {"tokens": TOKENS_SCHEMA, "report": REPORT_SCHEMA}

DOMAIN_DICT = ("dicts", "education_policy.txt")
DEFAULT_STOPWORDS = (("stopwords", "zh.txt"), ("stopwords", "en.txt"))
POLICY_STOPWORDS = ("stopwords", "zh_policy.txt")
#: ``common`` report rows: terms in at least this share of the documents (with at least
#: COMMON_MIN_DOCS documents), candidates for a stopword list of the user's own.
COMMON_SHARE = 0.9
COMMON_MIN_DOCS = 5
#: The documents are cut into partitions of at least this many characters of text (the last
#: may be shorter), in table order, by the text alone: each partition is segmented on its own
#: and written as one part file of ``segment/tokens`` (``part-00000.parquet``, ...), so the
#: parts are the same for any number of workers and on every engine, and no process holds
#: more than a few partitions. jieba's are smaller: it is ten times slower, and 40 times on
#: text in traditional characters, which a smaller partition keeps from leaving one worker
#: working alone.
PART_CHARS = {"rjieba": 250_000, "jieba": 60_000}
#: With workers > 1, partitions run in worker processes once the documents reach this many
#: characters (read ahead, at most this much). Where processes are forked (Linux) the workers
#: inherit the loaded segmenter and start in milliseconds, so they pay from about 3 MB of
#: Chinese for rjieba, 1 MB for jieba; elsewhere (spawn, Dask) each worker first imports
#: wenmai and loads the dictionary (about 2 s): SPAWN_MIN_CHARS.
PARALLEL_MIN_CHARS = {"rjieba": 1_000_000, "jieba": 300_000}
SPAWN_MIN_CHARS = 3_000_000
#: Documents read from the input at a time.
READ_ROWS = 1024
#: How many out-of-dictionary words, and how many joined English phrases, the report lists.
REPORT_OOV = 50
REPORT_PHRASES = 50

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
    policy_stopwords: bool = param(False, "Also drop the shipped policy-genre stopwords "
                                   "(data/stopwords/zh_policy.txt: 发展, 加强, 应当 ...); "
                                   "wenmai init turns it on.")
    synonyms: str | None = param(None, "Synonym table, variant<TAB>canonical per line, or a "
                                 "shipped one: builtin:bilingual_concepts (English renderings "
                                 "of the dictionary's terms).", path=True)
    keep_pos: tuple[str, ...] = param((), "Keep only tokens whose POS tag starts with one of "
                                      "these (e.g. n,v,eng); empty keeps all.")
    min_length: int = param(2, "Shortest Chinese token kept, in characters.", min=1, max=20)
    keep_numbers: bool = param(False, "Keep numbers (2020, 3.5%, 二十) as tokens.")
    lemmatize: bool = param(True, "Lemmatise English words (policies -> policy).")
    lowercase: bool = param(True, "Lower-case English words.")
    presegmented: bool = param(False, "Text is already segmented: split on spaces only.")
    phrases: bool = param(False, "Join frequent English word pairs into one token (gensim "
                          "Phrases), e.g. vocational_education.")
    phrase_min_count: int = param(5, "Phrases: a pair must occur more often than this.", min=1)
    phrase_threshold: float = param(10.0, "Phrases: score a pair must exceed, above 0 (gensim's "
                                    "default scorer; higher joins fewer pairs).", min=0.0)
    workers: int = param(0, "Worker processes (0 = all cores).", min=0, key=False)


def _dict_paths(params: Params) -> list[Path]:
    paths = [data_path(*DOMAIN_DICT)] if params.use_domain_dict else []
    return paths + [Path(p) for p in params.user_dicts]


def _stopword_paths(params: Params) -> list[Path]:
    paths = [data_path(*p) for p in DEFAULT_STOPWORDS] if params.use_default_stopwords else []
    if params.policy_stopwords:
        paths.append(data_path(*POLICY_STOPWORDS))
    return paths + [Path(p) for p in params.stopwords]


def external_inputs(params: Params) -> list[Path]:
    """The dictionary, stopword and synonym files in use (editing one makes the stage stale)."""
    paths = _dict_paths(params) + _stopword_paths(params)
    if params.synonyms:
        paths.append(_synonyms_path(params.synonyms))
    return paths


def _synonyms_path(value: str) -> Path:
    return builtin_path(value, "synonyms", ".tsv", what="segment synonyms")


def settings_from_params(params: Params) -> Settings:
    """Load every word list the params name into worker settings.

    Raises:
        BadInputFile: a file is unreadable, not UTF-8, or has a malformed line.
    """
    entries = tuple(e for p in _dict_paths(params) for e in load_user_dict(p))
    check_keep_pos(params.keep_pos, {e.tag for e in entries})
    stop = frozenset(w for p in _stopword_paths(params) for w in load_stopwords(p))
    syn = tuple(load_synonyms(_synonyms_path(params.synonyms))) if params.synonyms else ()
    return Settings(backend=params.backend, entries=entries, stopwords=stop, synonyms=syn,
                    keep_pos=params.keep_pos, min_length=params.min_length,
                    keep_numbers=params.keep_numbers, lemmatize=params.lemmatize,
                    lowercase=params.lowercase, presegmented=params.presegmented)


def prepare(params: Params) -> None:
    """Load what every run needs, in a thread while the runner reads the documents: rjieba's
    dictionary (which ``import rjieba`` builds), simplemma's English data and OpenCC's."""
    if params.backend == "rjieba":
        import rjieba  # noqa: F401
    from pipelines.segment.text import english_lemmatizer, t2s_converter

    if not params.presegmented:
        t2s_converter()
    if params.lemmatize and not params.presegmented:
        english_lemmatizer()


def partitions(source: pa.Table | store.StoredTable, part_chars: int
               ) -> Iterator[list[tuple[str, str]]]:
    """The ``(doc_id, text)`` pairs of the documents, in partitions of at least ``part_chars``
    characters of text (the last may be shorter), read a batch of documents at a time.

    >>> t = pa.table({"doc_id": list("abcd"), "text": ["xx", "x", "xxx", None]})
    >>> [[d for d, _ in p] for p in partitions(t, 3)]
    [['a', 'b'], ['c'], ['d']]
    """
    part: list[tuple[str, str]] = []
    size = 0
    for batch in store.iter_batches(source, ["doc_id", "text"], rows=READ_ROWS):
        texts = batch.column(1).to_pylist()
        for doc in zip(batch.column(0).to_pylist(), texts, strict=True):
            part.append(doc)
            size += len(doc[1] or "")
            if size >= part_chars:
                yield part
                part, size = [], 0
    if part:
        yield part


def segment_stream(source: pa.Table | store.StoredTable, settings: Settings,
                   writer: store.PartWriter, *, workers: int = 1,
                   part_chars: int | None = None,
                   min_chars_parallel: int | None = None) -> PartitionResult:
    """Segment the documents of ``source`` (doc_id, text) partition by partition, each written
    as one part of ``writer`` by the process that segments it, in worker processes when
    there is enough text.

    Args:
        source: The documents, in memory or on disk (read a batch at a time).
        settings: Loaded settings.
        writer: The tokens dataset; part ``i`` holds the rows of partition ``i``.
        workers: Worker processes (0 = all cores; on Dask, every worker thread).
        part_chars: Characters of text per partition (default ``PART_CHARS`` of the backend).
        min_chars_parallel: Workers start once the text reaches this many characters
            (default ``PARALLEL_MIN_CHARS`` of the backend where they fork, else
            ``SPAWN_MIN_CHARS``); there must be two partitions or more.

    Returns:
        The merged report counts (``table`` empty: the rows are in ``writer``'s parts),
        identical for any ``workers`` and engine.
    """
    part_chars = part_chars or PART_CHARS[settings.backend]
    n = resolve_workers(workers)
    fork = can_fork()
    min_chars = min_chars_parallel or (PARALLEL_MIN_CHARS[settings.backend] if fork
                                       else SPAWN_MIN_CHARS)
    stream = partitions(source, part_chars)
    ahead: list[list[tuple[str, str]]] = []  # read ahead until the text says whether to fork
    chars = 0
    if n > 1:
        for part in stream:
            ahead.append(part)
            chars += sum(len(t or "") for _, t in part)
            if len(ahead) > 1 and chars >= min_chars:
                break
    parallel = n > 1 and len(ahead) > 1 and chars >= min_chars
    def read() -> Iterator[list[tuple[str, str]]]:
        while ahead:  # handed on, not kept
            yield ahead.pop(0)
        yield from stream

    items = ((i, docs, str(writer.path_for(i))) for i, docs in enumerate(read()))
    segmenter = Segmenter(settings) if not parallel or fork else None

    def forked(item: Part, in_worker: bool) -> PartitionResult:
        if in_worker:  # nothing of pyarrow's allocator state copied by the fork is used
            pa.set_memory_pool(pa.system_memory_pool())
        return write_partition(segmenter, item[1], item[2])

    results = map_stream(segment_part, items, settings, workers=n if parallel else 1,
                         label=NAME, unit="doc", total=source.num_rows,
                         weight=lambda item: len(item[1]),
                         forked=forked if segmenter is not None else None)
    merged = PartitionResult()
    for i, res in enumerate(results):
        writer.add(writer.path_for(i), i)
        for name in ("removed", "oov", "words", "occurrences", "documents"):
            getattr(merged, name).update(getattr(res, name))
        merged.traditional += res.traditional
        merged.docs_kept += res.docs_kept
        merged.written += res.written
    if not settings.presegmented:
        dictionary_counts(merged, checked_words(settings.entries))
    return merged


def segment_documents(docs: list[tuple[str, str]], settings: Settings, *, workers: int = 1,
                      part_chars: int | None = None, min_chars_parallel: int | None = None
                      ) -> PartitionResult:
    """:func:`segment_stream` of documents in memory, with the token table read back into
    ``table`` (for tests and small corpora)."""
    source = pa.table({"doc_id": [d for d, _ in docs], "text": [t for _, t in docs]},
                      schema=pa.schema([("doc_id", pa.string()), ("text", pa.string())]))
    writer = store.PartWriter(TOKENS_SCHEMA, "tokens")
    result = segment_stream(source, settings, writer, workers=workers, part_chars=part_chars,
                            min_chars_parallel=min_chars_parallel)
    result.table = store.read_all(writer.finish())
    return result


def _by_count(counts: dict[str, int]) -> list[tuple[str, int]]:
    """Items with a positive count, most frequent first, ties by term."""
    return sorted(((w, c) for w, c in counts.items() if c > 0), key=lambda kv: (-kv[1], kv[0]))


def _dictionary_rows(result: PartitionResult, occurrences: dict[str, int]
                     ) -> list[tuple[str, str, int]]:
    """``split`` rows (occurrences cut across by the segmenter), then ``inside_longer`` rows."""
    split = {w: n - result.as_token[w] - result.inside[w] for w, n in occurrences.items()}
    return ([("split", w, c) for w, c in _by_count(split)]
            + [("inside_longer", w, c) for w, c in _by_count(result.inside)])


def _report(result: PartitionResult, domain_words: list[str], *,
            occurrences: dict[str, int] | None = None, phrases: Counter | None = None,
            traditional: list[tuple[str, int]] = ()) -> pa.Table:
    """Rows: removed/<filter> counts, top out-of-dictionary words, split dictionary words,
    joined phrases, unseen domain terms, documents in traditional characters."""
    rows: list[tuple[str, str, int]] = [("removed", f, result.removed.get(f, 0)) for f in FILTERS]
    rows += [("oov", w, c) for w, c in _by_count(result.oov)[:REPORT_OOV]]
    if occurrences:
        rows += _dictionary_rows(result, occurrences)
    if phrases:
        rows += [("phrase", w, c) for w, c in _by_count(phrases)[:REPORT_PHRASES]]
    if domain_words:
        seen = result.documents
        rows += [("domain_unseen", w, 0) for w in sorted(set(domain_words)) if w not in seen]
    rows += [("traditional", doc_id, n) for doc_id, n in traditional]
    rows += [("common", w, n) for w, n in _common_terms(result.documents, result.docs_kept)]
    kinds, terms, counts = zip(*rows, strict=True)
    return pa.table({"kind": list(kinds), "term": list(terms), "count": list(counts)},
                    schema=REPORT_SCHEMA)


def _common_terms(documents: Counter, n_docs: int) -> list[tuple[str, int]]:
    """Terms kept in at least COMMON_SHARE of the ``n_docs`` documents that keep a token,
    with their document counts (``documents``: term -> documents keeping it)."""
    if n_docs < COMMON_MIN_DOCS:
        return []
    return _by_count({w: n for w, n in documents.items() if n >= COMMON_SHARE * n_docs})


def compute(tables: dict[str, Any], params: Params) -> dict[str, Any]:
    """Segment every document, a partition at a time.

    Args:
        tables: ``{"ingest/documents": documents}`` (a table, or a ``store.StoredTable`` read
            a batch at a time); uses columns doc_id and text.
        params: Stage parameters.

    Returns:
        ``{"tokens": ..., "report": ...}``: tokens as a dataset of part files
        (``store.StoredTable``), one per partition of the documents.

    Raises:
        BadInputFile: a dictionary, stopword or synonym file is malformed.
        BadParams: the documents table lacks doc_id or text, or ``phrases`` is on with a
            ``phrase_threshold`` of 0.
    """
    source = tables["ingest/documents"]
    missing = [c for c in ("doc_id", "text") if c not in source.column_names]
    if missing:
        raise BadParams(f"segment: documents table lacks {', '.join(missing)}; rerun "
                        "`wenmai ingest`")
    if params.phrases and params.phrase_threshold <= 0:
        raise BadParams(f"segment: phrase_threshold={params.phrase_threshold} must be above 0 "
                        "(gensim's default scorer); use e.g. 10")
    settings = settings_from_params(params)
    writer = store.PartWriter(TOKENS_SCHEMA, "tokens")
    result = segment_stream(source, settings, writer, workers=params.workers)
    traditional = result.traditional
    if traditional:
        log.warning("segment: %d document(s) are largely in traditional characters (first: "
                    "%s); the dictionaries are simplified, so words are cut poorly: rerun "
                    "`wenmai ingest --to-simplified` (they are listed in segment/report)",
                    len(traditional), traditional[0][0])
    tokens = writer.finish()
    log.info("segment: %d documents -> %d sentences in %d part(s)", source.num_rows,
             result.written, len(tokens.files))
    phrases = None
    if params.phrases:
        from pipelines.segment.phrases import join_phrases_in_parts

        joined = store.PartWriter(TOKENS_SCHEMA, "tokens")
        phrases, result.documents, result.docs_kept = join_phrases_in_parts(
            tokens, joined, min_count=params.phrase_min_count,
            threshold=params.phrase_threshold)
        tokens = joined.finish()
        log.info("segment: %d English phrases joined", len(phrases))
    shipped = str(data_path(*DOMAIN_DICT))
    domain = [e.word for e in settings.entries if e.source == shipped]
    return {"tokens": tokens, "report": _report(result, domain, occurrences=result.occurrences,
                                                phrases=phrases, traditional=traditional)}
