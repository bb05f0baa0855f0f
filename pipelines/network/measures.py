"""Co-occurrence counting over windows and the association measures of the network stage.

Windows (``window``):

- ``sentence``, ``paragraph``, ``document``: the unit itself is the window; a window never
  crosses its unit's boundary.
- an integer ``N`` (``--window 5``): a sliding window of ``N`` consecutive counted tokens inside
  a sentence or a paragraph (``within``). Binary counting uses Boolean sliding windows (Röder,
  Both & Hinneburg 2015, as in gensim's ``c_npmi``): every run of ``N`` consecutive tokens of
  a unit is one virtual window (a unit shorter than ``N`` is one window), and ``df``, ``c``
  and ``N_windows`` count these windows. Full counting counts pairs of token positions less
  than ``N`` apart.

Counting (``counting``):

- ``binary`` (default): a term's window frequency ``df`` is the number of windows that contain
  it, and a pair's co-occurrence ``c`` the number of windows that contain both terms, however
  often either occurs there.
- ``full`` (frequency counting): ``c`` is the number of pairs of occurrences, i.e. the sum
  over windows of ``n_i * n_j`` (unit windows) or the number of position pairs of the two
  terms less than ``N`` apart (sliding windows).

Only the ``top_n`` most frequent terms become nodes, so the window x term incidence matrix is
small and the pair counts come from one sparse product ``X.T @ X``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from pipelines.core.association import from_occurrences
from pipelines.core.errors import EmptyCorpus
from pipelines.network import tasks
from pipelines.network.stream import Batch, distinct, need_columns, num_rows, top_terms

__all__ = ["MEASURES", "WINDOWS", "UNITS", "COUNTINGS", "FULL_MEASURES", "Cooccurrence",
           "PairCounter", "count_cooccurrences", "association", "parse_window"]

log = logging.getLogger("wenmai")

WINDOWS = ("sentence", "paragraph", "document")
UNITS = ("sentence", "paragraph")  # units a sliding window stays inside
COUNTINGS = ("binary", "full")
MEASURES = ("association", "count", "lift", "jaccard", "dice", "cosine", "simpson",
            "inclusion", "pmi", "npmi")
#: measures defined from the co-occurrence matrix alone (usable with full counting)
FULL_MEASURES = ("association", "count")


def parse_window(window: str) -> tuple[str, int | None]:
    """``("sentence", None)`` for a unit window, ``("sliding", N)`` for ``"N"``.

    >>> parse_window("5"), parse_window("paragraph")
    (('sliding', 5), ('paragraph', None))

    Raises:
        ValueError: neither a unit name nor an integer >= 2.
    """
    if window in WINDOWS:
        return window, None
    if window.strip().isdigit() and int(window) >= 2:
        return "sliding", int(window)
    raise ValueError(f"window={window!r} is neither one of {', '.join(WINDOWS)} nor a number "
                     "of tokens >= 2")


@dataclass(frozen=True)
class Cooccurrence:
    """Counts over the kept terms (the nodes), in node order (frequency desc, then term).

    Attributes:
        terms: The node terms.
        freq: Total occurrences of each term in the tokens.
        df: Number of windows containing each term (binary counting; with full counting the
            number of windows, or for sliding windows of units, containing it).
        n_windows: Number of windows holding at least one counted token.
        source: Node index of the first term of each co-occurring pair (``source < target``).
        target: Node index of the second term.
        count: Co-occurrences of each pair (always >= 1).
        strength: Total link strength of each node: the sum of its pairs' counts over all
            co-occurring pairs among the nodes (VOSviewer's ``k_i``).
        counting: ``binary`` or ``full``.
    """

    terms: list[str]
    freq: np.ndarray
    df: np.ndarray
    n_windows: int
    source: np.ndarray
    target: np.ndarray
    count: np.ndarray
    strength: np.ndarray
    counting: str = "binary"


def _upper(product: object) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Upper-triangle (i < j) entries of a symmetric sparse matrix, in its storage order, and
    their positions in that order."""
    coo = product.tocoo()  # type: ignore[attr-defined]
    upper = coo.row < coo.col
    return (coo.row[upper].astype(np.int64), coo.col[upper].astype(np.int64),
            np.rint(coo.data[upper]).astype(np.int64), np.flatnonzero(upper))


def _unit_counts(token_window: np.ndarray, token_node: np.ndarray, n_nodes: int, counting: str
                 ) -> tuple[np.ndarray, ...]:
    """Window x node incidence X; X'X gives pair counts (off-diagonal).

    Binary counting sets every entry of X to 1 (presence); full counting keeps the number of
    occurrences, so ``(X'X)_ij = sum over windows of n_i n_j``.

    Returns:
        Upper-triangle pair node indices (i < j), their counts, their positions in the
        product's storage order, and each node's df.
    """
    from scipy import sparse

    if token_window.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, empty, np.zeros(n_nodes, dtype=np.int64)
    _, win_index = np.unique(token_window, return_inverse=True)
    incidence = sparse.csr_matrix(
        (np.ones(token_node.size, dtype=np.float64), (win_index.ravel(), token_node)),
        shape=(int(win_index.max()) + 1, n_nodes))
    incidence.sum_duplicates()
    df = np.diff(incidence.tocsc().indptr).astype(np.int64)
    if counting == "binary":
        incidence.data[:] = 1.0  # presence per window, not the number of occurrences in it
    return (*_upper(incidence.T @ incidence), df)


def _sliding_counts(token_unit: np.ndarray, token_node: np.ndarray, n_nodes: int, span: int,
                    counting: str) -> tuple[np.ndarray, ...]:
    """Counts over sliding windows of ``span`` consecutive tokens inside each unit.

    ``token_unit`` is non-decreasing within a unit's run (tokens in text order); positions are
    counted over all counted tokens, nodes or not.

    Returns:
        source, target, count, position (as :func:`_unit_counts`), df, n_windows.
    """
    from scipy import sparse

    n_tok = token_unit.size
    starts = np.flatnonzero(np.r_[True, token_unit[1:] != token_unit[:-1]])
    lengths = np.diff(np.r_[starts, n_tok])
    run = np.repeat(np.arange(starts.size), lengths)
    position = np.arange(n_tok) - starts[run]
    last_start = np.maximum(lengths - span, 0)  # last window start in each run
    n_win_run = last_start + 1
    offset = np.r_[0, np.cumsum(n_win_run)[:-1]]
    n_windows = int(n_win_run.sum())
    is_node = token_node >= 0
    # df: Boolean sliding windows (each run of ``span`` tokens), also for full counting
    rows, cols = [], []
    node_pos = np.flatnonzero(is_node)
    for back in range(span):
        start = position[node_pos] - back
        ok = (start >= 0) & (start <= last_start[run[node_pos]])
        rows.append(offset[run[node_pos[ok]]] + start[ok])
        cols.append(token_node[node_pos[ok]])
    r, c = np.concatenate(rows), np.concatenate(cols)
    incidence = sparse.csr_matrix((np.ones(r.size), (r, c)), shape=(max(n_windows, 1), n_nodes))
    incidence.sum_duplicates()
    incidence.data[:] = 1.0
    df = np.diff(incidence.tocsc().indptr).astype(np.int64)
    if counting == "binary":
        return (*_upper(incidence.T @ incidence), df, n_windows)
    # full: position pairs (p, p + d), 0 < d < span, same run, two different node terms
    src, dst = [], []
    for d in range(1, span):
        p = np.arange(n_tok - d)
        ok = (run[p] == run[p + d]) & is_node[p] & is_node[p + d]
        a, b = token_node[p[ok]], token_node[p[ok] + d]
        diff = a != b
        src.append(np.minimum(a[diff], b[diff]))
        dst.append(np.maximum(a[diff], b[diff]))
    s, t = np.concatenate(src), np.concatenate(dst)
    pairs = sparse.coo_matrix((np.ones(s.size), (s, t)), shape=(n_nodes, n_nodes)).tocsr()
    pairs.sum_duplicates()
    return (*_upper(pairs), df, n_windows)


class PairCounter:
    """Term frequencies and window co-occurrences of fixed nodes, summed over batches.

    Map: each batch (whole documents) gives its sparse pair counts, window frequencies and
    window count; reduce: their sums (:meth:`merge` adds another counter's, for the batches
    after this one's). The pairs are listed in the order one product over the whole table
    lists them (:meth:`pairs`), so everything computed from them (sums of floats, igraph's
    edge ids) is the same for any cut into batches.
    """

    def __init__(self, n_nodes: int, window: str, counting: str, unit: str = "sentence"
                 ) -> None:
        self.n = n_nodes
        self.window = window
        self.kind, self.span = parse_window(window)
        self.counting = counting
        self.unit = unit
        self.freq = np.zeros(n_nodes, dtype=np.int64)
        self.df = np.zeros(n_nodes, dtype=np.int64)
        self.n_windows = 0
        self.tokens = 0
        self._batches = 0
        empty = np.zeros(0, dtype=np.int64)
        self._key, self._count, self._batch, self._pos = empty, empty, empty, empty

    def fresh(self) -> PairCounter:
        """A counter with the same settings and nothing counted."""
        return PairCounter(self.n, self.window, self.counting, self.unit)

    def add(self, batch: Batch, node: np.ndarray) -> None:
        """Add one batch of whole documents, windows in ``unit`` (``node``: the node index of
        each counted token, -1 if none)."""
        self.add_tokens(batch.token_units(self.unit), node)

    def add_tokens(self, token_unit: np.ndarray, token_node: np.ndarray) -> None:
        """Add one batch: the unit id and node index (-1: not a node) of each counted token,
        in text order; a unit never continues in another batch."""
        self.tokens += int(token_unit.size)
        is_node = token_node >= 0
        self.freq += np.bincount(token_node[is_node], minlength=self.n).astype(np.int64)
        if self.kind == "sliding":
            assert self.span is not None
            *pairs, df, n_windows = _sliding_counts(token_unit, token_node, self.n, self.span,
                                                    self.counting)
        else:
            n_windows = int(distinct(token_unit).size)
            *pairs, df = _unit_counts(token_unit[is_node], token_node[is_node], self.n,
                                      self.counting)
        self.df += df
        self.n_windows += n_windows
        row, col, count, pos = pairs
        self._merge(row * self.n + col, count, np.full(row.size, self._batches, np.int64), pos)
        self._batches += 1

    def totals(self) -> PairCounter:
        """This counter (it holds counts only; sent back from a worker as it is)."""
        return self

    def merge(self, later: PairCounter) -> None:
        """Add the counts of ``later``, a counter of the batches that follow this one's: the
        same as adding its batches here one by one."""
        self.tokens += later.tokens
        self.freq += later.freq
        self.df += later.df
        self.n_windows += later.n_windows
        self._merge(later._key, later._count, later._batch + self._batches, later._pos)
        self._batches += later._batches

    def _merge(self, key: np.ndarray, count: np.ndarray, batch: np.ndarray, pos: np.ndarray
               ) -> None:
        """Sum the counts of pairs seen before; keep the new pairs with the number of the
        batch they were first seen in and their positions in its product (the pairs sorted by
        key)."""
        at = np.searchsorted(self._key, key)
        seen = at < self._key.size
        seen[seen] = self._key[at[seen]] == key[seen]
        self._count[at[seen]] += count[seen]
        new = ~seen
        if new.any():
            keys = np.concatenate([self._key, key[new]])
            order = np.argsort(keys, kind="stable")
            self._key = keys[order]
            self._count = np.concatenate([self._count, count[new]])[order]
            self._batch = np.concatenate([self._batch, batch[new]])[order]
            self._pos = np.concatenate([self._pos, pos[new]])[order]

    def pairs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """source, target (source < target) and count of every co-occurring pair.

        In the order of one sparse product over all windows: by target; within a target the
        pairs first seen in a later batch first, then by position in their batch's product
        (scipy lists a column's new entries before older ones). Full counting over sliding
        windows sums a canonical matrix: by source, then target.
        """
        if self.kind == "sliding" and self.counting == "full":
            order = np.arange(self._key.size)
        else:
            order = np.lexsort((self._pos, -self._batch, self._key % self.n))
        key = self._key[order]
        return key // self.n, key % self.n, self._count[order]

    def result(self, terms: list[str]) -> Cooccurrence:
        """The counts as a :class:`Cooccurrence` over ``terms`` (the nodes, in order)."""
        source, target, count = self.pairs()
        strength = (np.bincount(source, weights=count, minlength=self.n)
                    + np.bincount(target, weights=count, minlength=self.n))
        return Cooccurrence(terms, self.freq.copy(), self.df.copy(), self.n_windows, source,
                            target, count, strength, self.counting)


def count_cooccurrences(
    tokens: Any,
    *,
    window: str = "sentence",
    top_n: int = 100,
    min_chars: int = 1,
    pos_prefixes: tuple[str, ...] = (),
    within: str = "sentence",
    counting: str = "binary",
    terms: list[str] | None = None,
    rows: int | None = None,
    task_rows: int | None = None,
    workers: int = 1,
) -> Cooccurrence:
    """Count term frequencies and window co-occurrences of the ``top_n`` most frequent terms.

    Two passes over batches of ``rows`` rows (:mod:`pipelines.network.stream`): the term
    frequencies, then the pairs among the chosen terms.

    Args:
        tokens: The ``segment/tokens`` table (one row per sentence, in text order), a
            ``pa.Table`` or a table on disk read a batch at a time.
        window: ``sentence``, ``paragraph``, ``document`` or a number of tokens.
        top_n: Number of terms kept as nodes; ties in frequency are broken by the term.
        min_chars: Tokens shorter than this many characters are not counted.
        pos_prefixes: If given, only tokens whose POS tag starts with one of these count.
        within: Unit a sliding window stays inside (``sentence`` or ``paragraph``).
        counting: ``binary`` or ``full`` (module notes).
        terms: Use these terms as the nodes, in this order, instead of the ``top_n`` most
            frequent (time slices share the whole corpus's nodes); absent terms get zeros.
        rows: Rows per batch (default ``stream.BATCH_ROWS``; the counts do not depend on
            it).
        task_rows: Rows per engine task at least (default ``tasks.TASK_ROWS``; the counts
            do not depend on it).
        workers: Processes counting the tasks (0 = every core; the counts do not depend on
            it).

    Returns:
        The counts (pairs with at least one co-occurrence; no minimum applied yet).

    Raises:
        SchemaError: a column the window needs is missing.
        EmptyCorpus: no token is left to count.
    """
    kind, _ = parse_window(window)
    if counting not in COUNTINGS:
        raise ValueError(f"unknown counting {counting!r}")
    unit = within if kind == "sliding" else kind
    started = time.perf_counter()
    columns = need_columns(tokens, unit, pos_prefixes)
    work = tasks.tasks(tokens, columns, task_rows)
    if terms is None:
        vocab, freq = tasks.vocabulary(tokens, columns, min_chars=min_chars,
                                       pos_prefixes=pos_prefixes, rows=rows, workers=workers,
                                       work=work)
        terms = top_terms(vocab, freq, top_n)[0]
    counter = PairCounter(len(terms), window, counting, unit)
    tasks.count(tokens, columns, [counter], pa.array(terms, pa.string()),
                min_chars=min_chars, pos_prefixes=pos_prefixes, rows=rows, workers=workers,
                work=work)
    if counter.tokens == 0:
        raise EmptyCorpus(f"network: no token of {num_rows(tokens)} sentences passes "
                          f"min_chars={min_chars}" + (f", pos={','.join(pos_prefixes)}"
                                                      if pos_prefixes else "")
                          + "; relax these filters or check segment")
    co = counter.result(terms)
    log.info("network: %d tokens in %d %s windows, %d nodes, %d co-occurring pairs (%.2f s)",
             counter.tokens, co.n_windows, window, len(terms), len(co.count),
             time.perf_counter() - started)
    return co


def association(measure: str, count: np.ndarray, df_i: np.ndarray, df_j: np.ndarray,
                n_windows: int, *, strength_i: np.ndarray | None = None,
                strength_j: np.ndarray | None = None, total_strength: float | None = None
                ) -> np.ndarray:
    """The association value of each pair (all arrays aligned).

    With ``c`` the pair's co-occurrences, ``a``/``b`` the windows holding each term, ``N`` all
    windows, ``k_i`` a node's total link strength (sum of its co-occurrence counts) and
    ``2m = sum of k`` over the nodes:

    - ``association`` (association strength as VOSviewer computes it, CWTS networkanalysis
      ``Network.createNormalizedNetworkUsingAssociationStrength``): c / (k_i k_j / 2m), the
      observed link weight over its expectation in the configuration model
    - ``count``: c
    - ``lift`` (the occurrence-based probabilistic association strength of van Eck & Waltman
      2009, = observed / expected under independence = 2^pmi): N c / (a b)
    - ``jaccard``: c / (a + b - c)
    - ``dice``: 2c / (a + b)
    - ``cosine`` (Salton's index): c / sqrt(a b)
    - ``simpson`` = ``inclusion`` (overlap coefficient): c / min(a, b)
    - ``pmi``: log2(N c / (a b))
    - ``npmi`` (Bouma 2009): pmi / -log2(c / N), 1 when the pair fills every window

    >>> association("jaccard", np.array([2]), np.array([3]), np.array([4]), 10).tolist()
    [0.4]

    Args:
        measure: One of :data:`MEASURES`.
        count: Pair co-occurrence counts ``c``.
        df_i: Window frequency of the first term.
        df_j: Window frequency of the second term.
        n_windows: Number of windows ``N``.
        strength_i: Total link strength of the first term (``association`` only).
        strength_j: Total link strength of the second term (``association`` only).
        total_strength: ``2m``, the sum of every node's total link strength.

    Returns:
        float64 values.
    """
    if measure == "count":
        return count.astype(np.float64)
    if measure == "association":
        if strength_i is None or strength_j is None or total_strength is None:
            raise ValueError("association needs the total link strengths")
        return count.astype(np.float64) / (strength_i.astype(np.float64)
                                           * strength_j.astype(np.float64) / float(total_strength))
    return from_occurrences(measure, count, df_i, df_j, n_windows)
