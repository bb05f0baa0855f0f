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
from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import Any

import pyarrow as pa

from pipelines.core.engine import can_fork, map_forked, map_partitions, resolve_workers
from pipelines.core.errors import BadParams
from pipelines.core.params import param
from pipelines.core.resources import data_path
from pipelines.segment.backends import BACKENDS
from pipelines.segment.lexicon import (
    checked_words,
    load_stopwords,
    load_synonyms,
    load_user_dict,
)
from pipelines.segment.types import (
    FILTERS,
    TOKENS_SCHEMA,
    PartitionResult,
    Settings,
    document_counts,
)
from pipelines.segment.worker import Segmenter, dictionary_counts, segment_partition

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
    "partition_by_size",
]

NAME = "segment"
INPUTS = ("ingest/documents",)
OUTPUTS = ("tokens", "report")

REPORT_SCHEMA = pa.schema([("kind", pa.string()), ("term", pa.string()), ("count", pa.int64())])
SCHEMAS = {"tokens": TOKENS_SCHEMA, "report": REPORT_SCHEMA}

DOMAIN_DICT = ("dicts", "education_policy.txt")
DEFAULT_STOPWORDS = (("stopwords", "zh.txt"), ("stopwords", "en.txt"))
POLICY_STOPWORDS = ("stopwords", "zh_policy.txt")
#: ``common`` report rows: terms in at least this share of the documents (with at least
#: COMMON_MIN_DOCS documents), candidates for a stopword list of the user's own.
COMMON_SHARE = 0.9
COMMON_MIN_DOCS = 5
#: With workers > 1 the stage runs in-process below this many documents *and* this many
#: characters. Where worker processes are forked (Linux) they inherit the loaded segmenter
#: and start in milliseconds, so they pay once the work split between them outweighs the
#: dictionary load and lemmatiser data that every run needs anyway (about 0.5 s): from about
#: 3 MB of Chinese for rjieba, 1 MB for jieba (ten times slower). Elsewhere (spawn)
#: each worker first imports wenmai and loads the dictionary (about 2 s): SPAWN_MIN_CHARS.
PARALLEL_MIN_DOCS = 200
#: Forked workers share the work in this many partitions per process, so that text much
#: slower to segment than its size says (jieba's POS-HMM takes 40 times longer on traditional
#: characters, which its dictionary lacks) does not leave one process working alone; a
#: partition costs rjieba about 15 ms more, jieba next to nothing.
PARTS_PER_WORKER = {"rjieba": 4, "jieba": 16}
PARALLEL_MIN_CHARS = {"rjieba": 1_000_000, "jieba": 300_000}
SPAWN_MIN_CHARS = 3_000_000
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
    synonyms: str | None = param(None, "Synonym table, variant<TAB>canonical per line.",
                                 path=True)
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


def partition_by_size(docs: Sequence[tuple[str, str]], parts: int
                      ) -> list[Sequence[tuple[str, str]]]:
    """Split documents into at most ``parts`` contiguous, non-empty slices of similar text size.

    >>> [len(p) for p in partition_by_size([("a", "x" * 9), ("b", "x"), ("c", "x" * 8)], 2)]
    [1, 2]
    """
    cum = list(accumulate(len(text or "") + 1 for _, text in docs))
    total = cum[-1] if cum else 0
    cuts = [0]
    parts = max(1, min(parts, len(docs)))
    for k in range(1, parts):
        target = total * k / parts
        i = bisect_left(cum, target)  # document i reaches the target: cut before or after it
        cut = i if target - (cum[i - 1] if i else 0) <= cum[i] - target else i + 1
        if cut > cuts[-1]:
            cuts.append(cut)
    cuts.append(len(docs))
    return [docs[a:b] for a, b in zip(cuts[:-1], cuts[1:], strict=True) if b > a]


def segment_documents(docs: list[tuple[str, str]], settings: Settings, *, workers: int = 1,
                      min_docs_parallel: int = PARALLEL_MIN_DOCS,
                      min_chars_parallel: int | None = None) -> PartitionResult:
    """Segment ``(doc_id, text)`` pairs, in partitions over worker processes when it pays.

    Args:
        docs: The documents in table order.
        settings: Loaded settings.
        workers: Worker processes (0 = all cores).
        min_docs_parallel: From this many documents on, partitions run in parallel.
        min_chars_parallel: From this many characters of text on, partitions run in parallel
            (default: ``PARALLEL_MIN_CHARS`` of the backend where workers are forked, else
            ``SPAWN_MIN_CHARS``).

    Returns:
        The merged result, rows in document order (identical for any ``workers``).
    """
    n = resolve_workers(workers)
    fork = can_fork()
    if min_chars_parallel is None:
        min_chars_parallel = PARALLEL_MIN_CHARS[settings.backend] if fork else SPAWN_MIN_CHARS
    chars = sum(len(text or "") for _, text in docs)
    parallel = n > 1 and len(docs) > 1 and (len(docs) >= min_docs_parallel
                                             or chars >= min_chars_parallel)
    checked = frozenset() if settings.presegmented else checked_words(settings.entries)
    if not parallel:
        result = segment_partition(docs, settings)
        dictionary_counts(result, checked)
        return result
    if fork:
        parts = partition_by_size(docs, n * PARTS_PER_WORKER[settings.backend])
        segmenter = Segmenter(settings)

        def run_part(i: int, in_worker: bool) -> PartitionResult:
            # in a worker, the table is built without pyarrow's allocator and thread pools,
            # whose state the fork copied from this process
            return segmenter.run(list(parts[i]), pool=pa.system_memory_pool() if in_worker
                                 else None)

        results = map_forked(run_part, len(parts), n, label=NAME, unit="doc",
                             weights=[len(p) for p in parts])
    else:  # spawn: each worker builds its own segmenter
        parts = partition_by_size(docs, n)
        results = map_partitions(segment_partition, parts, settings, workers=n, label=NAME,
                                 unit="doc", weights=[len(p) for p in parts])
    merged = PartitionResult(table=pa.concat_tables([r.table for r in results]))
    for res in results:
        for name in ("removed", "oov", "words", "occurrences", "documents"):
            getattr(merged, name).update(getattr(res, name))
        merged.traditional += res.traditional
        merged.docs_kept += res.docs_kept
    dictionary_counts(merged, checked)
    return merged


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


def compute(tables: dict[str, pa.Table], params: Params) -> dict[str, Any]:
    """Segment every document.

    Args:
        tables: ``{"ingest/documents": documents}``; uses columns doc_id and text.
        params: Stage parameters.

    Returns:
        ``{"tokens": ..., "report": ...}``.

    Raises:
        BadInputFile: a dictionary, stopword or synonym file is malformed.
        BadParams: the documents table lacks doc_id or text, or ``phrases`` is on with a
            ``phrase_threshold`` of 0.
    """
    docs_table = tables["ingest/documents"]
    missing = [c for c in ("doc_id", "text") if c not in docs_table.column_names]
    if missing:
        raise BadParams(f"segment: documents table lacks {', '.join(missing)}; rerun "
                        "`wenmai ingest`")
    if params.phrases and params.phrase_threshold <= 0:
        raise BadParams(f"segment: phrase_threshold={params.phrase_threshold} must be above 0 "
                        "(gensim's default scorer); use e.g. 10")
    settings = settings_from_params(params)
    docs = list(zip(docs_table.column("doc_id").to_pylist(),
                    docs_table.column("text").to_pylist(), strict=True))
    result = segment_documents(docs, settings, workers=params.workers)
    traditional = result.traditional
    if traditional:
        log.warning("segment: %d document(s) are largely in traditional characters (first: "
                    "%s); the dictionaries are simplified, so words are cut poorly: rerun "
                    "`wenmai ingest --to-simplified` (they are listed in segment/report)",
                    len(traditional), traditional[0][0])
    tokens = result.table
    log.info("segment: %d documents -> %d sentences", len(docs), tokens.num_rows)
    phrases = None
    if params.phrases:
        from pipelines.segment.phrases import join_phrases

        tokens, phrases = join_phrases(tokens, min_count=params.phrase_min_count,
                                       threshold=params.phrase_threshold)
        log.info("segment: %d English phrases joined", len(phrases))
        result.table = tokens
        result.documents, result.docs_kept = document_counts(tokens)
    occurrences = result.occurrences
    shipped = str(data_path(*DOMAIN_DICT))
    domain = [e.word for e in settings.entries if e.source == shipped]
    return {"tokens": tokens, "report": _report(result, domain, occurrences=occurrences,
                                                phrases=phrases, traditional=traditional)}
