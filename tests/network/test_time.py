"""Slices, Kleinberg bursts and two-mode networks against hand computations."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pyarrow as pa
import pytest

from pipelines import network
from pipelines.core.errors import BadParams
from pipelines.network.bursts import burst_states, find_bursts
from tests.network.test_stage import OLD, TOY, tokens_table


def brute_force(r: np.ndarray, d: np.ndarray, s: float, gamma: float) -> list[int]:
    """The least-cost state sequence by trying all 2^n of them (Kleinberg 2003, section 4)."""
    n = len(d)
    p0 = r.sum() / d.sum()
    p = [p0, min(s * p0, 1 - 1e-12)]

    def sigma(i: int, t: int) -> float:
        return -(math.log(math.comb(int(d[t]), int(r[t]))) + r[t] * math.log(p[i])
                 + (d[t] - r[t]) * math.log(1 - p[i]))

    best = None
    for seq in itertools.product((0, 1), repeat=n):
        cost = sum(sigma(q, t) for t, q in enumerate(seq))
        cost += sum(gamma * math.log(n) for prev, q in zip((0, *seq), seq, strict=False)
                    if q > prev)
        if best is None or cost < best[0] - 1e-12:
            best = (cost, list(seq))
    return best[1]


@pytest.mark.parametrize("seed", range(6))
def test_viterbi_equals_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    d = rng.integers(20, 60, size=7)
    rate = np.where(rng.random(7) < 0.3, 0.3, 0.05)
    r = rng.binomial(d, rate)
    for s, gamma in ((2.0, 1.0), (3.0, 0.5), (1.5, 2.0)):
        states, _ = burst_states(r[None, :], d, s=s, gamma=gamma)
        assert states[0].tolist() == brute_force(r, d, s, gamma)


def test_burst_span_and_strength_by_hand() -> None:
    d = np.array([100, 100, 100, 100, 100])
    r = np.array([[2, 2, 30, 30, 2]])
    found = find_bursts(r, d, [2001, 2002, 2003, 2004, 2005], s=2.0, gamma=1.0)
    assert [(row, a, b) for row, a, b, _ in found] == [(0, 2003, 2004)]
    p0 = 66 / 500
    p1 = 2 * p0
    gain = sum(-(30 * math.log(p0) + 70 * math.log(1 - p0))
               + (30 * math.log(p1) + 70 * math.log(1 - p1)) for _ in range(2))
    assert found[0][3] == pytest.approx(gain)


def docs(years: dict[str, int]) -> pa.Table:
    return pa.table({"doc_id": list(years), "year": pa.array(list(years.values()), pa.int32()),
                     "source": [f"{d}.txt" for d in years]})


YEARLY = [("d1", 0, ["a", "b"]), ("d1", 0, ["a", "c"]), ("d2", 0, ["a", "b"]),
          ("d3", 0, ["b", "c"]), ("d3", 0, ["b", "c"]), ("d4", 0, ["a", "b"])]
YEARS = {"d1": 2001, "d2": 2002, "d3": 2003, "d4": 2004}


def run_with_docs(rows: list, years: dict[str, int], **kwargs: object) -> dict:
    return network.compute({"segment/tokens": tokens_table(rows),
                            "ingest/documents": docs(years)},
                           network.Params(**{**OLD, **kwargs}))


def test_slices_share_nodes_and_count_by_hand() -> None:
    out = run_with_docs(YEARLY, YEARS, by="year", slice=2, min_cooccurrence=1)
    slices = out["slices"].to_pylist()
    labels = sorted({r["slice"] for r in slices})
    assert labels == ["2001-2002", "2003-2004"]
    freq = {(r["slice"], r["term"]): r["freq"] for r in slices}
    # 2001-2002: a 3, b 2, c 1; 2003-2004: a 1, b 3, c 2
    assert freq == {("2001-2002", "a"): 3, ("2001-2002", "b"): 2, ("2001-2002", "c"): 1,
                    ("2003-2004", "a"): 1, ("2003-2004", "b"): 3, ("2003-2004", "c"): 2}
    edges = {(r["slice"], r["source"], r["target"]): r["cooccurrences"]
             for r in out["slice_edges"].to_pylist()}
    assert edges == {("2001-2002", "a", "b"): 2, ("2001-2002", "a", "c"): 1,
                     ("2003-2004", "a", "b"): 1, ("2003-2004", "b", "c"): 2}
    summary = out["summary"].column("slice").to_pylist()
    assert summary == ["all", "2001-2002", "2003-2004"]
    gexf = out["network.gexf"].decode("utf-8")
    assert 'title="freq@2003-2004"' in gexf and 'title="pagerank"' in gexf


def test_slices_by_text_column_and_missing_column() -> None:
    out = run_with_docs(YEARLY, YEARS, by="source", min_cooccurrence=1)
    assert sorted(set(out["slices"].column("slice").to_pylist())) == [
        "d1.txt", "d2.txt", "d3.txt", "d4.txt"]
    with pytest.raises(BadParams, match="'region' is not a column of ingest/documents"):
        run_with_docs(YEARLY, YEARS, by="region")


def test_bursts_in_the_stage() -> None:
    rows = [(f"d{y}", 0, ["base", "x"] if y in (2004, 2005) else ["base", "y"])
            for y in range(2000, 2010) for _ in range(5)]
    out = run_with_docs(rows, {f"d{y}": y for y in range(2000, 2010)}, burst_terms=10)
    bursts = {r["term"]: (r["start"], r["end"]) for r in out["bursts"].to_pylist()}
    assert bursts["x"] == (2004, 2005)
    assert "base" not in bursts  # present every year at the same rate
    first = {r["term"]: r["first_year"] for r in out["bursts"].to_pylist()}
    assert first["x"] == 2004


def test_two_mode_by_hand() -> None:
    groups = {"d1": 2001, "d2": 2002}
    out = run_with_docs(TOY, groups, two_mode="year", min_cooccurrence=1)
    got = {(r["term"], r["group"]): r["cooccurrences"] for r in out["two_mode"].to_pylist()}
    # sentences of d1: {a,b} {b,c} {c,d}; of d2: {a,b,d}
    assert got == {("a", "2001"): 1, ("b", "2001"): 2, ("c", "2001"): 2, ("d", "2001"): 1,
                   ("a", "2002"): 1, ("b", "2002"): 1, ("d", "2002"): 1}
    jac = run_with_docs(TOY, groups, two_mode="year", min_cooccurrence=1, measure="jaccard")
    weight = {(r["term"], r["group"]): r["weight"] for r in jac["two_mode"].to_pylist()}
    # b: 3 sentences; group 2001: 3 sentences; c = 2 -> 2 / (3 + 3 - 2)
    assert weight[("b", "2001")] == pytest.approx(0.5)
    assert weight[("a", "2002")] == pytest.approx(1 / (2 + 1 - 1))
    assert b"group:2001" in out["two_mode.gexf"]


def test_a_term_absent_everywhere_has_no_burst_and_no_warning() -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        states, gain = burst_states(np.array([[0, 0, 0], [1, 5, 1]]), np.array([10, 10, 10]))
    assert states[0].tolist() == [0, 0, 0] and gain[0].tolist() == [0.0, 0.0, 0.0]


def test_a_slice_without_edges_keeps_string_labels() -> None:
    # one slice per document and pairs needing 2 co-occurrences: some slices have no edge
    # (pa.array of no labels was typed null and broke the concatenation of the slice tables)
    out = run_with_docs(YEARLY, YEARS, by="source", min_cooccurrence=2)
    assert out["slices"].schema.field("slice").type == pa.string()
    assert out["slice_edges"].schema.field("slice").type == pa.string()
    assert 0 < out["slice_edges"].num_rows
