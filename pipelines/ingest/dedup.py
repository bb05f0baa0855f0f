"""Near-duplicate detection with MinHash over character 5-shingles (datasketch)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

__all__ = ["near_duplicates", "signature", "signatures", "jaccard"]

_NUM_PERM = 128  # bins of one-permutation hashing: the top 7 bits of a 32-bit hash
_SHIFT = 25
_BIN_MASK = (1 << _SHIFT) - 1
_MAX_HASH = (1 << 32) - 1
_SEED = 1


def _shingle_hashes(text: str, k: int = 5) -> np.ndarray:
    """64-bit hashes of the character ``k``-shingles (whitespace removed), vectorised.

    A polynomial rolling hash over code points, mixed with a splitmix64 finaliser; equal
    shingles always get equal hashes, so the estimate matches set Jaccard up to collisions.
    """
    import numpy as np

    compact = "".join(text.split())
    cps = np.frombuffer(compact.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    n = len(cps)
    if n == 0:
        return np.zeros(0, dtype=np.uint64)
    k = min(k, n)
    h = np.zeros(n - k + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(k):
            h = h * np.uint64(1_000_003) + cps[j:n - k + 1 + j]
        h ^= h >> np.uint64(30)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(27)
        h *= np.uint64(0x94D049BB133111EB)
        h ^= h >> np.uint64(31)
    return h  # repeats are harmless: a minimum ignores them


def signature(text: str) -> np.ndarray | None:
    """The MinHash signature (``_NUM_PERM`` values) of the text's 5-shingles, or None if empty.

    One-permutation hashing with rotation densification (Shrivastava & Li, 2014): the 32-bit
    shingle hashes are split by their top 7 bits into 128 bins and each bin keeps its
    smallest value; an empty bin borrows the value of the next non-empty bin plus an offset
    for the distance. One sort replaces 128 hash passes (10 M shingles in ~0.2 s) and the
    share of equal bins still estimates Jaccard without bias (checked by simulation:
    standard error about ``sqrt(J(1-J)/128)`` from 60 to 5 000 shingles).

    >>> sig = signature("职业 教育与乡村振兴")
    >>> len(sig), bool((sig == signature("职业教育与乡村振兴")).all()), signature(" ")
    (128, True, None)
    """
    import numpy as np

    hashes = np.sort((_shingle_hashes(text) & np.uint64(_MAX_HASH)).astype(np.uint32))
    if not len(hashes):
        return None
    bins = np.arange(_NUM_PERM, dtype=np.uint64)
    idx = np.searchsorted(hashes, (bins << np.uint64(_SHIFT)).astype(np.uint32))
    first = hashes[np.minimum(idx, len(hashes) - 1)].astype(np.uint64)
    filled = (idx < len(hashes)) & ((first >> np.uint64(_SHIFT)) == bins)
    sig = first & np.uint64(_BIN_MASK)
    if not filled.all():
        nonempty = np.flatnonzero(filled)
        nxt = nonempty[np.searchsorted(nonempty, np.arange(_NUM_PERM)) % len(nonempty)]
        distance = ((nxt - np.arange(_NUM_PERM)) % _NUM_PERM).astype(np.uint64)
        sig = np.where(filled, sig, sig[nxt] + distance * np.uint64(_BIN_MASK + 1))
    return sig


def _minhash(minhash_cls: type, sig: np.ndarray) -> Any:
    """A datasketch MinHash holding our signature ``sig``.

    Signatures are only ever compared with each other, so the scheme label (which datasketch
    2.x wants when values are given) only has to be the same for all of them.
    """
    try:
        return minhash_cls(num_perm=_NUM_PERM, seed=_SEED, hashvalues=sig, scheme="legacy")
    except TypeError:  # datasketch < 2.0 has a single scheme and no ``scheme`` argument
        return minhash_cls(num_perm=_NUM_PERM, seed=_SEED, hashvalues=sig)


def signatures(texts: Sequence[str]) -> list[np.ndarray | None]:
    """:func:`signature` of each text."""
    return [signature(t) for t in texts]


def jaccard(a: str, b: str) -> float:
    """Exact Jaccard similarity of two texts' 5-shingle sets (64-bit shingle hashes).

    >>> jaccard("abcdef", "abcdefg"), jaccard("", "")
    (0.6667, 0.0)
    """
    import numpy as np

    x, y = np.unique(_shingle_hashes(a)), np.unique(_shingle_hashes(b))
    union = len(np.union1d(x, y))
    return round(len(np.intersect1d(x, y, assume_unique=True)) / union, 4) if union else 0.0


def near_duplicates(texts: Sequence[str], threshold: float) -> dict[int, tuple[int, float]]:
    """Find documents that nearly repeat an earlier one.

    Documents are taken in order. MinHash LSH (at a threshold 0.1 lower and weighted for
    recall, so noisy estimates do not hide a pair) proposes earlier kept documents; the
    five with the highest estimates are checked with the exact shingle Jaccard, and the
    document is a duplicate of the most similar one reaching ``threshold`` (ties: the
    earliest).

    Args:
        texts: Document texts in their deterministic order.
        threshold: Jaccard similarity threshold in (0, 1].

    Returns:
        ``{index: (index of the kept document it repeats, exact Jaccard similarity)}``.
    """
    from datasketch import MinHash, MinHashLSH

    sigs = signatures(texts)  # in-process: one sort per text is cheaper than a process pool
    # Candidates are checked exactly, so LSH is tuned for recall: for threshold 0.9 a pair
    # at 0.9 is proposed with probability 0.994, at 0.85 with 0.93, at 0.5 with 0.01.
    lsh = MinHashLSH(threshold=max(0.05, threshold - 0.1), num_perm=_NUM_PERM,
                     weights=(0.2, 0.8))
    sketches: dict[int, MinHash] = {}
    found: dict[int, tuple[int, float]] = {}
    for i, sig in enumerate(sigs):
        if sig is None:
            continue
        mh = _minhash(MinHash, sig)
        estimates = sorted((-mh.jaccard(sketches[int(key)]), int(key)) for key in lsh.query(mh))
        best: tuple[float, int] | None = None
        for _, j in estimates[:5]:
            sim = jaccard(texts[i], texts[j])
            if sim >= threshold and (best is None or (sim, -j) > (best[0], -best[1])):
                best = (sim, j)
        if best is not None:
            found[i] = (best[1], best[0])
            continue
        sketches[i] = mh
        lsh.insert(str(i), mh)
    return found
