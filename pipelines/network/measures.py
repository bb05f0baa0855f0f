"""Co-occurrence counting over windows and the association measures of the network stage.

A *window* is a sentence, a paragraph or a document; it never crosses its unit's boundary.
Counting is binary per window: a term's window frequency ``df`` is the number of windows that
contain it, and a pair's co-occurrence ``c`` is the number of windows that contain both terms,
however often either term occurs there. Only the ``top_n`` most frequent terms become nodes, so
the window x term incidence matrix is small and the pair counts come from one sparse product.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.core.errors import EmptyCorpus, SchemaError

__all__ = ["MEASURES", "WINDOWS", "Cooccurrence", "count_cooccurrences", "association"]

log = logging.getLogger("wenmai")

WINDOWS = ("sentence", "paragraph", "document")
MEASURES = ("count", "jaccard", "dice", "cosine", "inclusion", "association", "pmi", "npmi")


@dataclass(frozen=True)
class Cooccurrence:
    """Counts over the kept terms (the nodes), in node order (frequency desc, then term).

    Attributes:
        terms: The node terms.
        freq: Total occurrences of each term in the tokens.
        df: Number of windows containing each term.
        n_windows: Number of windows holding at least one counted token.
        source: Node index of the first term of each co-occurring pair (``source < target``).
        target: Node index of the second term.
        count: Number of windows containing both terms (always >= 1).
    """

    terms: list[str]
    freq: np.ndarray
    df: np.ndarray
    n_windows: int
    source: np.ndarray
    target: np.ndarray
    count: np.ndarray


def _flat(column: pa.ChunkedArray | pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Flattened list values and the row index of each value."""
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    return pc.list_flatten(arr), pc.list_parent_indices(arr).to_numpy(zero_copy_only=False)


def _row_windows(tokens: pa.Table, window: str) -> np.ndarray:
    """An int64 window id for each row of the tokens table."""
    import pandas as pd

    n = tokens.num_rows
    if window == "sentence":
        return np.arange(n, dtype=np.int64)
    doc = pd.factorize(tokens.column("doc_id").to_numpy(zero_copy_only=False))[0]
    if window == "document":
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


def count_cooccurrences(
    tokens: pa.Table,
    *,
    window: str = "sentence",
    top_n: int = 100,
    min_chars: int = 1,
    pos_prefixes: tuple[str, ...] = (),
) -> Cooccurrence:
    """Count term frequencies and window co-occurrences of the ``top_n`` most frequent terms.

    Args:
        tokens: The ``segment/tokens`` table (one row per sentence).
        window: ``sentence``, ``paragraph`` or ``document``.
        top_n: Number of terms kept as nodes; ties in frequency are broken by the term.
        min_chars: Tokens shorter than this many characters are not counted.
        pos_prefixes: If given, only tokens whose POS tag starts with one of these count.

    Returns:
        The counts (pairs with at least one shared window; no minimum applied yet).

    Raises:
        SchemaError: a column the window needs is missing.
        EmptyCorpus: no token is left to count.
    """
    if window not in WINDOWS:
        raise ValueError(f"unknown window {window!r}")
    needed = ["tokens", "doc_id"] + (["para_id"] if window == "paragraph" else [])
    needed += ["pos"] if pos_prefixes else []
    missing = [c for c in needed if c not in tokens.column_names]
    if missing:
        raise SchemaError(f"network: table segment/tokens lacks column(s) {', '.join(missing)}; "
                          "rerun `wenmai segment --force`")
    if tokens.num_rows == 0:
        raise EmptyCorpus("network: segment/tokens has no sentences; check the ingest and "
                          "segment outputs (`wenmai status`)")
    started = time.perf_counter()
    flat, parents = _flat(tokens.column("tokens"))
    pos = _flat(tokens.column("pos"))[0] if pos_prefixes else None
    if pos is not None and len(pos) != len(flat):
        raise SchemaError("network: segment/tokens has rows whose pos and tokens lists differ "
                          "in length; rerun `wenmai segment --force`")
    mask = _token_mask(flat, pos, min_chars=min_chars, pos_prefixes=pos_prefixes)
    keep = mask.to_numpy(zero_copy_only=False)
    flat = flat.filter(mask)
    parents = parents[keep]
    if len(flat) == 0:
        raise EmptyCorpus(f"network: no token of {tokens.num_rows} sentences passes min_chars="
                          f"{min_chars}" + (f", pos={','.join(pos_prefixes)}" if pos_prefixes
                                            else "") + "; relax these filters or check segment")
    encoded = pc.dictionary_encode(flat)
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    vocab = encoded.dictionary
    freq_all = np.bincount(codes, minlength=len(vocab)).astype(np.int64)
    ranking = pa.table({"term": vocab, "freq": freq_all,
                        "code": np.arange(len(vocab), dtype=np.int64)})
    ranking = ranking.sort_by([("freq", "descending"), ("term", "ascending")]).slice(0, top_n)
    node_codes = ranking.column("code").to_numpy()
    terms = ranking.column("term").to_pylist()
    n_nodes = len(terms)

    token_window = _row_windows(tokens, window)[parents]
    n_windows = int(np.unique(token_window).size)
    node_of_code = np.full(len(vocab), -1, dtype=np.int64)
    node_of_code[node_codes] = np.arange(n_nodes)
    token_node = node_of_code[codes]
    kept = token_node >= 0
    source, target, count, df = _pair_counts(token_window[kept], token_node[kept], n_nodes)
    log.info("network: %d tokens in %d %s windows, vocabulary %d, %d nodes, %d co-occurring "
             "pairs (%.2f s)", len(codes), n_windows, window, len(vocab), n_nodes, len(count),
             time.perf_counter() - started)
    return Cooccurrence(terms, ranking.column("freq").to_numpy().astype(np.int64), df,
                        n_windows, source, target, count)


def _pair_counts(token_window: np.ndarray, token_node: np.ndarray, n_nodes: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Binary window x node incidence X; X'X gives pair counts (off-diagonal) and df (diagonal).

    Returns:
        Upper-triangle pair node indices (i < j), their counts, and each node's df.
    """
    from scipy import sparse

    if token_window.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, np.zeros(n_nodes, dtype=np.int64)
    windows, win_index = np.unique(token_window, return_inverse=True)
    incidence = sparse.csr_matrix(
        (np.ones(token_node.size, dtype=np.int64), (win_index.ravel(), token_node)),
        shape=(windows.size, n_nodes))
    incidence.sum_duplicates()
    incidence.data[:] = 1  # presence per window, not the number of occurrences in it
    product = (incidence.T @ incidence).tocoo()
    df = np.asarray(product.diagonal(), dtype=np.int64)
    upper = product.row < product.col
    return (product.row[upper].astype(np.int64), product.col[upper].astype(np.int64),
            product.data[upper].astype(np.int64), df)


def association(measure: str, count: np.ndarray, df_i: np.ndarray, df_j: np.ndarray,
                n_windows: int) -> np.ndarray:
    """The association value of each pair from window counts (all arrays aligned).

    With ``c`` the windows holding both terms, ``a``/``b`` the windows holding each term and
    ``N`` all windows:

    - ``count``: c
    - ``jaccard``: c / (a + b - c)
    - ``dice``: 2c / (a + b)
    - ``cosine`` (Salton's index): c / sqrt(a b)
    - ``inclusion``: c / min(a, b)
    - ``association`` (association strength, van Eck & Waltman 2009, in its probabilistic
      form): N c / (a b), the observed over the expected co-occurrences under independence
    - ``pmi``: log2(N c / (a b))
    - ``npmi``: pmi / -log2(c / N), 1 when the pair fills every window

    >>> association("jaccard", np.array([2]), np.array([3]), np.array([4]), 10).tolist()
    [0.4]

    Args:
        measure: One of :data:`MEASURES`.
        count: Pair co-occurrence counts ``c``.
        df_i: Window frequency of the first term.
        df_j: Window frequency of the second term.
        n_windows: Number of windows ``N``.

    Returns:
        float64 values.
    """
    c = count.astype(np.float64)
    a = df_i.astype(np.float64)
    b = df_j.astype(np.float64)
    if measure == "count":
        return c
    if measure == "jaccard":
        return c / (a + b - c)
    if measure == "dice":
        return 2.0 * c / (a + b)
    if measure == "cosine":
        return c / np.sqrt(a * b)
    if measure == "inclusion":
        return c / np.minimum(a, b)
    ratio = n_windows * c / (a * b)
    if measure == "association":
        return ratio
    pmi = np.log2(ratio)
    if measure == "pmi":
        return pmi
    if measure == "npmi":
        denom = -np.log2(c / n_windows)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(denom > 0, pmi / np.where(denom > 0, denom, 1.0), 1.0)
    raise ValueError(f"unknown measure {measure!r}")
