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

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.core.association import from_occurrences
from pipelines.core.errors import EmptyCorpus, SchemaError

__all__ = ["MEASURES", "WINDOWS", "UNITS", "COUNTINGS", "FULL_MEASURES", "Cooccurrence",
           "count_cooccurrences", "association", "parse_window", "token_stream"]

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


def _flat(column: pa.ChunkedArray | pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Flattened list values and the row index of each value."""
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    return pc.list_flatten(arr), pc.list_parent_indices(arr).to_numpy(zero_copy_only=False)


def _row_units(tokens: pa.Table, unit: str) -> np.ndarray:
    """An int64 unit id (sentence, paragraph or document) for each row of the tokens table."""
    import pandas as pd

    n = tokens.num_rows
    if unit == "sentence":
        return np.arange(n, dtype=np.int64)
    doc = pd.factorize(tokens.column("doc_id").to_numpy(zero_copy_only=False))[0]
    if unit == "document":
        return doc.astype(np.int64)
    para = tokens.column("para_id").fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    para = para - para.min() if n else para
    combined = doc.astype(np.int64) * (int(para.max()) + 1 if n else 1) + para
    return pd.factorize(combined)[0].astype(np.int64)


def _token_mask(flat: pa.Array, pos: pa.Array | None, *, min_chars: int,
                pos_prefixes: tuple[str, ...]) -> pa.Array:
    """True for tokens that are counted: non-blank, long enough, with an accepted POS tag."""
    mask = pc.and_(pc.is_valid(flat), pc.greater_equal(pc.utf8_length(flat), min_chars))
    mask = pc.and_(mask, pc.not_equal(pc.utf8_trim_whitespace(flat), ""))
    if pos_prefixes and pos is not None:
        tag_ok = pc.starts_with(pos, pos_prefixes[0])
        for prefix in pos_prefixes[1:]:
            tag_ok = pc.or_(tag_ok, pc.starts_with(pos, prefix))
        mask = pc.and_(mask, pc.fill_null(tag_ok, False))
    return pc.fill_null(mask, False)


@dataclass(frozen=True)
class TokenStream:
    """The counted tokens in table order.

    Attributes:
        vocab: Distinct counted tokens.
        codes: Index into ``vocab`` of each counted token.
        rows: Row of the tokens table each counted token comes from.
    """

    vocab: pa.Array
    codes: np.ndarray
    rows: np.ndarray


def token_stream(tokens: pa.Table, *, unit: str, min_chars: int = 1,
                 pos_prefixes: tuple[str, ...] = ()) -> TokenStream:
    """The counted tokens of the table (checked columns, filters applied).

    Raises:
        SchemaError: a column the unit needs is missing.
        EmptyCorpus: no token is left to count.
    """
    needed = ["tokens", "doc_id"] + (["para_id"] if unit == "paragraph" else [])
    needed += ["pos"] if pos_prefixes else []
    missing = [c for c in needed if c not in tokens.column_names]
    if missing:
        raise SchemaError(f"network: table segment/tokens lacks column(s) {', '.join(missing)}; "
                          "rerun `wenmai segment --force`")
    if tokens.num_rows == 0:
        raise EmptyCorpus("network: segment/tokens has no sentences; check the ingest and "
                          "segment outputs (`wenmai status`)")
    flat, parents = _flat(tokens.column("tokens"))
    pos = _flat(tokens.column("pos"))[0] if pos_prefixes else None
    if pos is not None and len(pos) != len(flat):
        raise SchemaError("network: segment/tokens has rows whose pos and tokens lists differ "
                          "in length; rerun `wenmai segment --force`")
    mask = _token_mask(flat, pos, min_chars=min_chars, pos_prefixes=pos_prefixes)
    keep = mask.to_numpy(zero_copy_only=False)
    flat = flat.filter(mask)
    if len(flat) == 0:
        raise EmptyCorpus(f"network: no token of {tokens.num_rows} sentences passes min_chars="
                          f"{min_chars}" + (f", pos={','.join(pos_prefixes)}" if pos_prefixes
                                            else "") + "; relax these filters or check segment")
    encoded = pc.dictionary_encode(flat)
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    return TokenStream(encoded.dictionary, codes, parents[keep])


def count_cooccurrences(
    tokens: pa.Table,
    *,
    window: str = "sentence",
    top_n: int = 100,
    min_chars: int = 1,
    pos_prefixes: tuple[str, ...] = (),
    within: str = "sentence",
    counting: str = "binary",
    terms: list[str] | None = None,
) -> Cooccurrence:
    """Count term frequencies and window co-occurrences of the ``top_n`` most frequent terms.

    Args:
        tokens: The ``segment/tokens`` table (one row per sentence, in text order).
        window: ``sentence``, ``paragraph``, ``document`` or a number of tokens.
        top_n: Number of terms kept as nodes; ties in frequency are broken by the term.
        min_chars: Tokens shorter than this many characters are not counted.
        pos_prefixes: If given, only tokens whose POS tag starts with one of these count.
        within: Unit a sliding window stays inside (``sentence`` or ``paragraph``).
        counting: ``binary`` or ``full`` (module notes).
        terms: Use these terms as the nodes, in this order, instead of the ``top_n`` most
            frequent (time slices share the whole corpus's nodes); absent terms get zeros.

    Returns:
        The counts (pairs with at least one co-occurrence; no minimum applied yet).

    Raises:
        SchemaError: a column the window needs is missing.
        EmptyCorpus: no token is left to count.
    """
    kind, span = parse_window(window)
    if counting not in COUNTINGS:
        raise ValueError(f"unknown counting {counting!r}")
    unit = within if kind == "sliding" else kind
    started = time.perf_counter()
    stream = token_stream(tokens, unit=unit, min_chars=min_chars, pos_prefixes=pos_prefixes)
    vocab, codes = stream.vocab, stream.codes
    freq_all = np.bincount(codes, minlength=len(vocab)).astype(np.int64)
    if terms is None:
        ranking = pa.table({"term": vocab, "freq": freq_all,
                            "code": np.arange(len(vocab), dtype=np.int64)})
        ranking = ranking.sort_by([("freq", "descending"), ("term", "ascending")])
        ranking = ranking.slice(0, top_n)
        node_codes = ranking.column("code").to_numpy()
        terms = ranking.column("term").to_pylist()
    else:
        position = pc.index_in(pa.array(terms, pa.string()), value_set=vocab)
        node_codes = position.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    n_nodes = len(terms)
    node_of_code = np.full(len(vocab), -1, dtype=np.int64)
    present = node_codes >= 0
    node_of_code[node_codes[present]] = np.arange(n_nodes)[present]
    freq = np.where(present, freq_all[np.maximum(node_codes, 0)], 0).astype(np.int64)
    token_unit = _row_units(tokens, unit)[stream.rows]
    token_node = node_of_code[codes]
    if kind == "sliding":
        assert span is not None
        counts = _sliding_counts(token_unit, token_node, n_nodes, span, counting)
    else:
        n_windows = int(np.unique(token_unit).size)
        kept = token_node >= 0
        counts = _unit_counts(token_unit[kept], token_node[kept], n_nodes, counting)
        counts = (*counts, n_windows)
    source, target, count, df, n_windows = counts
    strength = (np.bincount(source, weights=count, minlength=n_nodes)
                + np.bincount(target, weights=count, minlength=n_nodes))
    log.info("network: %d tokens in %d %s windows, vocabulary %d, %d nodes, %d co-occurring "
             "pairs (%.2f s)", len(codes), n_windows, window, len(vocab), n_nodes, len(count),
             time.perf_counter() - started)
    return Cooccurrence(terms, freq, df, n_windows, source, target, count, strength, counting)


def _upper(product: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Upper-triangle (i < j) entries of a symmetric sparse matrix."""
    coo = product.tocoo()  # type: ignore[attr-defined]
    upper = coo.row < coo.col
    return (coo.row[upper].astype(np.int64), coo.col[upper].astype(np.int64),
            np.rint(coo.data[upper]).astype(np.int64))


def _unit_counts(token_window: np.ndarray, token_node: np.ndarray, n_nodes: int, counting: str
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Window x node incidence X; X'X gives pair counts (off-diagonal).

    Binary counting sets every entry of X to 1 (presence); full counting keeps the number of
    occurrences, so ``(X'X)_ij = sum over windows of n_i n_j``.

    Returns:
        Upper-triangle pair node indices (i < j), their counts, and each node's df.
    """
    from scipy import sparse

    if token_window.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, np.zeros(n_nodes, dtype=np.int64)
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
        source, target, count, df, n_windows.
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
