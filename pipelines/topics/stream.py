"""``--fit-on sample``: the token passes that never hold the whole corpus.

Pass 1 (:func:`scan_units`) reads ``segment/tokens`` once and keeps per unit only its key
(doc_id, para_id) and the number of tokens that pass the language filter: enough to draw the
seeded sample. Pass 2 is :func:`pipelines.topics.build.encode_batches` over the batches filtered
to the sampled units (:func:`only_units`). Pass 3 (:func:`unit_bags`) reads the tokens again and
gives every unit's bag of words over the sample's vocabulary, a unit at a time, in table order;
:class:`Inferrer` turns a batch of such bags into topic shares with the sample's model
(tomotopy ``infer``, gensim ``inference``, NMF ``transform``).
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.core.errors import BadParams
from pipelines.topics.corpus import normalise_rows

__all__ = ["UnitScan", "scan_units", "only_units", "unit_bags", "Inferrer"]

Key = tuple[str, "int | None"]


@dataclass
class UnitScan:
    """Every unit of the token table in order of first sight, and its language-kept tokens.

    Attributes:
        doc_ids: Each unit's document.
        para_ids: Each unit's paragraph (None with document units).
        tokens: Tokens of each unit that pass the language filter (``int64``).
    """

    doc_ids: list[str]
    para_ids: list[int | None]
    tokens: np.ndarray


def _row_keys(batch: pa.RecordBatch, unit: str) -> list[Key]:
    docs = batch.column("doc_id").to_pylist()
    paras = (batch.column("para_id").to_pylist() if unit == "paragraph"
             else [None] * batch.num_rows)
    return list(zip(docs, paras, strict=True))


def _kept_mask(lists: pa.Array, keep: Callable[[str], bool]) -> tuple[np.ndarray, pa.Array]:
    """For every token of the batch: does it pass the filter (not empty, not null, ``keep``)?
    Returns the mask and the dictionary-encoded tokens."""
    encoded = pc.list_flatten(lists).dictionary_encode()
    ok = np.zeros(len(encoded.dictionary) + 1, dtype=bool)  # last entry: null tokens
    for j, w in enumerate(encoded.dictionary.to_pylist()):
        ok[j] = bool(w) and keep(w)
    local = pc.fill_null(encoded.indices, len(encoded.dictionary)).to_numpy()
    return ok[local], encoded


def scan_units(batches: Iterable[pa.RecordBatch], unit: str,
               keep: Callable[[str], bool]) -> UnitScan:
    """Pass 1: the units and their token counts (nothing per token is kept).

    Raises:
        BadParams: a unit's rows are not all together in the table (the later passes read a
            unit at a time, so they need it whole; ``wenmai segment`` writes them together).
    """
    index: dict[Key, int] = {}
    doc_ids: list[str] = []
    para_ids: list[int | None] = []
    counts: list[int] = []
    last: Key | None = None
    for batch in batches:
        if not batch.num_rows:
            continue
        keys = _row_keys(batch, unit)
        lists = batch.column("tokens")
        mask, _ = _kept_mask(lists, keep)
        parents = pc.list_parent_indices(lists).to_numpy()
        per_row = np.bincount(parents[mask], minlength=batch.num_rows)
        for key, n in zip(keys, per_row.tolist(), strict=True):
            if key != last:
                if key in index:
                    raise BadParams(f"topics: segment/tokens has the rows of unit {key[0]}"
                                    f"{'' if key[1] is None else f' paragraph {key[1]}'} "
                                    "in more than one place; --fit-on sample reads a unit at "
                                    "a time: rerun `wenmai segment --force` or use --fit-on all")
                index[key] = len(doc_ids)
                doc_ids.append(key[0])
                para_ids.append(key[1])
                counts.append(0)
                last = key
            counts[-1] += n
    return UnitScan(doc_ids, para_ids, np.asarray(counts, dtype=np.int64))


def only_units(batches: Iterable[pa.RecordBatch], unit: str, keys: set[Key]
               ) -> Iterator[pa.RecordBatch]:
    """Pass 2's input: the batches cut down to the rows of the units ``keys``."""
    for batch in batches:
        if not batch.num_rows:
            continue
        mask = np.fromiter((k in keys for k in _row_keys(batch, unit)), dtype=bool,
                           count=batch.num_rows)
        if mask.any():
            yield batch.filter(pa.array(mask))


def unit_bags(batches: Iterable[pa.RecordBatch], unit: str, vocab: Sequence[str]
              ) -> Iterator[tuple[Key, np.ndarray]]:
    """Pass 3: every unit's tokens that are in ``vocab`` (as ``vocab`` columns, table order),
    one unit at a time; units whose rows are together (checked by :func:`scan_units`)."""
    column = {w: j for j, w in enumerate(vocab)}
    open_key: Key | None = None
    open_ids: list[np.ndarray] = []
    for batch in batches:
        if not batch.num_rows:
            continue
        keys = _row_keys(batch, unit)
        lists = batch.column("tokens")
        encoded = pc.list_flatten(lists).dictionary_encode()
        mapping = np.full(len(encoded.dictionary) + 1, -1, dtype=np.int64)
        for j, w in enumerate(encoded.dictionary.to_pylist()):
            mapping[j] = column.get(w, -1)
        ids = mapping[pc.fill_null(encoded.indices, len(encoded.dictionary)).to_numpy()]
        rows = pc.list_parent_indices(lists).to_numpy()
        inside = ids >= 0
        ids, rows = ids[inside].astype(np.int32), rows[inside]
        # the tokens of each row: rows are ascending, so row r's tokens are one slice
        starts = np.searchsorted(rows, np.arange(batch.num_rows + 1))
        for r, key in enumerate(keys):
            if key != open_key:
                if open_key is not None:
                    yield open_key, _joined(open_ids)
                open_key, open_ids = key, []
            if starts[r + 1] > starts[r]:
                open_ids.append(ids[starts[r]:starts[r + 1]])
    if open_key is not None:
        yield open_key, _joined(open_ids)


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)


class Inferrer:
    """Topic shares (``len(bags) x k``, rows sum 1) of unseen units under a fitted model.

    tomotopy: ``infer`` with ``iterations`` Gibbs sweeps per unit, one worker (each unit is
    inferred on its own from the model's seed, so the result does not depend on the batch it
    comes in); gensim: the variational ``inference`` (γ, rows normalised); NMF: ``transform``
    of the units' TF-IDF rows (the fitted ``TfidfTransformer``), rows normalised.
    """

    def __init__(self, model: bytes, method: str, backend: str, vocab: Sequence[str],
                 iterations: int) -> None:
        self.method, self.backend, self.iterations = method, backend, iterations
        self.vocab, self.data = tuple(vocab), model
        self._load()

    def _load(self) -> None:
        self.words = np.asarray(self.vocab, dtype=object)
        if self.method == "nmf" or self.backend == "gensim":
            self.model = pickle.loads(self.data)
            self.k = (self.model["nmf"].n_components if self.method == "nmf"
                      else self.model.num_topics)
        else:
            import tomotopy as tp

            self.model = tp.LDAModel.loads(self.data)
            self.k = self.model.k

    def __getstate__(self) -> dict:
        """Pickled as the model's bytes (a process pool or Dask worker loads it again)."""
        return {"method": self.method, "backend": self.backend, "iterations": self.iterations,
                "vocab": self.vocab, "data": self.data}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._load()

    def __call__(self, bags: Sequence[np.ndarray]) -> np.ndarray:
        if self.method == "nmf":
            from scipy import sparse

            lengths = np.fromiter((len(b) for b in bags), dtype=np.int64, count=len(bags))
            rows = np.repeat(np.arange(len(bags), dtype=np.int64), lengths)
            cols = (np.concatenate(list(bags)).astype(np.int64) if lengths.sum()
                    else np.zeros(0, np.int64))
            counts = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)),
                                       shape=(len(bags), len(self.words)))
            counts.sum_duplicates()
            tfidf, nmf = self.model["tfidf"], self.model["nmf"]
            return normalise_rows(nmf.transform(tfidf.transform(counts)))
        if self.backend == "gensim":
            from pipelines.topics.lda import bow

            gamma, _ = self.model.inference([bow(b) for b in bags])
            return normalise_rows(gamma)
        import tomotopy as tp

        docs = [self.model.make_doc(self.words[b].tolist()) for b in bags]
        dists, _ = self.model.infer(docs, iterations=self.iterations, workers=1,
                                    parallel=tp.ParallelScheme.NONE)
        return normalise_rows(np.array([np.asarray(d) for d in dists]).reshape(
            len(bags), self.model.k))
