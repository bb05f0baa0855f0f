"""The figures stage on small hand-made tables: files, model choice, skips, determinism."""

from __future__ import annotations

import io
import warnings

import pyarrow as pa
import pytest

from pipelines import figures
from pipelines.core.errors import BadParams, EmptyCorpus
from pipelines.figures import Params, choose_model, compute

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FAST = {"dpi": 40, "wordcloud_words": 20}


def _terms() -> pa.Table:
    terms = ["职业教育", "精准扶贫", "乡村振兴", "education", "培训", "政策"]
    return pa.table({"term": terms, "lang": ["zh", "zh", "zh", "en", "zh", "zh"],
                     "pos": ["n"] * 6, "tf": pa.array([40, 30, 30, 20, 10, 5], pa.int64()),
                     "df": pa.array([4, 3, 3, 2, 2, 1], pa.int64()), "idf": [1.0] * 6})


def _selection(recommended_k: int | None = 3) -> pa.Table:
    ks = [2, 3, 4]
    return pa.table({
        "method": ["lda"] * 3, "k": pa.array(ks, pa.int32()), "seed": pa.array([42] * 3),
        "coherence_cv": [0.41, 0.52, 0.47], "coherence_npmi": [0.01, 0.05, 0.03],
        "coherence_umass": [-2.0, -1.5, -1.8], "perplexity": [900.0, 850.0, 870.0],
        "topic_diversity": [1.0, 0.9, 0.85], "seconds": [0.1] * 3,
        "recommended": [k == recommended_k for k in ks]})


def _topic_terms() -> pa.Table:
    words = ["职业教育", "培训", "乡村振兴", "education", "政策", "精准扶贫"]
    rows = []
    for k in (2, 3, 4):
        for topic in range(k):
            for rank in range(1, 4):
                rows.append({"method": "lda", "k": k, "topic": topic, "rank": rank,
                             "term": words[(topic + rank) % len(words)],
                             "weight": 0.5 / rank, "label": f"Topic {topic}"})
    schema = pa.schema([("method", pa.string()), ("k", pa.int32()), ("topic", pa.int32()),
                        ("rank", pa.int32()), ("term", pa.string()), ("weight", pa.float64()),
                        ("label", pa.string())])
    return pa.Table.from_pylist(rows, schema)


def _trends(years: tuple[int, ...] = (2019, 2020, 2021), k: int = 3) -> pa.Table:
    rows = [{"method": "lda", "k": k, "year": y, "topic": t, "share": 1 / k}
            for y in years for t in range(k)]
    schema = pa.schema([("method", pa.string()), ("k", pa.int32()), ("year", pa.int32()),
                        ("topic", pa.int32()), ("share", pa.float64())])
    return pa.Table.from_pylist(rows, schema)


def _effects(k: int = 3) -> pa.Table:
    from pipelines.topics import SCHEMAS

    rows = [{"method": "lda", "k": k, "covariate": "year", "value": str(y), "x": float(y),
             "topic": t, "share": 1 / k, "lower": 0.8 / k, "upper": 1.2 / k, "n_docs": 3,
             "label": f"Topic {t}"} for y in (2019, 2020, 2021) for t in range(k)]
    return pa.Table.from_pylist(rows, SCHEMAS["topic_effects"])


def _alignment() -> pa.Table:
    from pipelines.topics import SCHEMAS

    rows = [{"method": "lda", "k_from": k, "topic_from": a, "k_to": k + 1, "topic_to": b,
             "similarity": 1.0 if a == min(b, k - 1) else 0.1, "parent": a == min(b, k - 1),
             "share_from": 1 / k, "share_to": 1 / (k + 1), "label_from": f"Topic {a}",
             "label_to": f"Topic {b}"} for k in (2, 3) for a in range(k) for b in range(k + 1)]
    return pa.Table.from_pylist(rows, SCHEMAS["topic_alignment"])


def _network() -> tuple[pa.Table, pa.Table]:
    terms = ["职业教育", "培训", "政策", "education", "training"]
    nodes = pa.table({"term": terms, "freq": pa.array([50, 40, 20, 30, 10], pa.int64()),
                      "degree": pa.array([2, 2, 2, 1, 1], pa.int64()),
                      "weighted_degree": [2.0] * 5, "betweenness": [0.0] * 5,
                      "closeness": [0.5] * 5, "eigenvector": [0.4] * 5,
                      "community": pa.array([0, 0, 0, 1, 1], pa.int32())})
    edges = pa.table({"source": ["培训", "培训", "政策", "education"],
                      "target": ["职业教育", "政策", "职业教育", "training"],
                      "cooccurrences": pa.array([9, 3, 5, 4], pa.int64()),
                      "weight": [0.9, 0.3, 0.5, 0.4], "measure": ["jaccard"] * 4})
    return nodes, edges


def _network_extras() -> dict[str, pa.Table]:
    """Two slices and two bursts, so the slice and burst figures are drawn."""
    from pipelines.network import schemas

    nodes, edges = _network()
    slices = pa.concat_tables([nodes.drop_columns(["closeness"]).add_column(
        0, "slice", pa.array([s] * nodes.num_rows)) for s in ("2001-2002", "2003-2004")])
    slices = slices.append_column("closeness", pa.array([0.5] * slices.num_rows))
    slices = slices.append_column("pagerank", pa.array([0.2] * slices.num_rows))
    slice_edges = pa.concat_tables([edges.add_column(0, "slice", pa.array([s] * 4))
                                    for s in ("2001-2002", "2003-2004")])
    bursts = pa.Table.from_pylist(
        [{"term": "培训", "start": 2002, "end": 2003, "strength": 5.0, "first_year": 2001,
          "freq": 40}, {"term": "政策", "start": 2001, "end": 2001, "strength": 3.0,
                        "first_year": 2001, "freq": 20}], schemas.BURSTS_SCHEMA)
    two = pa.Table.from_pylist(
        [{"term": t, "group": g, "cooccurrences": 3, "weight": w, "measure": "jaccard",
          "by": "year"} for t, g, w in (("培训", "2001", 0.5), ("政策", "2001", 0.2),
                                        ("培训", "2002", 0.3))], schemas.TWO_MODE_SCHEMA)
    return {"network/slices": slices.select(schemas.SLICES_SCHEMA.names),
            "network/slice_edges": slice_edges, "network/bursts": bursts,
            "network/two_mode": two}


def _group_keywords() -> pa.Table:
    from pipelines.terms import GROUP_KEYWORDS_SCHEMA

    rows = [("1950s", 1, "粮食", 12, 3, 20.5, 2.1), ("1950s", 2, "合作社", 9, 1, 18.0, 3.0),
            ("2010s", 1, "创新", 40, 10, 55.2, 1.9), ("2010s", 2, "互联网", 15, 0, 30.1, 4.5)]
    return pa.table({"by": ["decade"] * 4, "group": [r[0] for r in rows],
                     "n_docs": [5, 5, 8, 8], "term": [r[2] for r in rows],
                     "score": [r[5] for r in rows], "rank": pa.array([r[1] for r in rows],
                                                                     pa.int32()),
                     "method": ["keyness"] * 4, "freq": [r[3] for r in rows],
                     "ref_freq": [r[4] for r in rows], "g2": [r[5] for r in rows],
                     "log_ratio": [r[6] for r in rows]}, schema=GROUP_KEYWORDS_SCHEMA)


def _tables(**override: pa.Table) -> dict[str, pa.Table]:
    nodes, edges = _network()
    tables = {
        "ingest/documents": pa.table({"doc_id": ["a", "b"], "year": pa.array([2019, 2020],
                                                                             pa.int32())}),
        "terms/terms": _terms(),
        "terms/group_keywords": _group_keywords(),
        "topics/model_selection": _selection(),
        "topics/topic_terms": _topic_terms(),
        "topics/topic_trends": _trends(),
        "network/nodes": nodes,
        "network/edges": edges,
        "topics/topic_effects": _effects(),
        "topics/topic_alignment": _alignment(),
        **_network_extras(),
    }
    tables.update({name.replace("__", "/"): value for name, value in override.items()})
    return tables


def test_stage_contract():
    assert figures.NAME == "figures"
    assert figures.OUTPUTS == () and figures.SCHEMAS == {}
    assert "topics/topic_trends" in figures.INPUTS


@pytest.fixture(scope="module")
def drawn() -> tuple[dict[str, bytes], list[str]]:
    """Every figure of the hand-made tables as PNG and SVG, with the warnings raised (in one
    process: a forked worker's warnings would not reach this list)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = compute(_tables(), Params(**FAST, workers=1))
    return out, [str(w.message) for w in caught]


def test_every_figure_in_png_and_svg_with_no_missing_glyph(drawn):
    out, messages = drawn
    assert sorted(out) == sorted(f"{n}.{f}" for n in figures.FIGURES
                                 for f in ("png", "svg", "csv"))
    for name, data in out.items():
        if name.endswith(".csv"):
            assert data.startswith("\ufeff".encode()) and data.count(b"\n") >= 2
        elif name.endswith(".png"):
            assert data.startswith(PNG_SIGNATURE) and len(data) > 1000
        else:
            assert data.lstrip().startswith(b"<?xml") and b"<svg" in data
            assert b"<text" not in data  # text drawn as paths, no font needed to view
    assert [m for m in messages if "missing from" in m] == []


def test_reruns_are_byte_identical(drawn):
    again = compute(_tables(), Params(**FAST))
    assert [n for n in again if again[n] != drawn[0][n]] == []


def test_pdf_is_byte_identical_and_png_follows_dpi():
    from PIL import Image

    from pipelines.figures import figure_style, save_figure
    from pipelines.figures.plots import term_frequency

    with figure_style(), warnings.catch_warnings():
        warnings.simplefilter("error")  # a glyph missing from the font fails the test
        fig = term_frequency(_terms(), top_n=5)
        pdf = save_figure(fig, "pdf", 100)
        assert pdf.startswith(b"%PDF") and save_figure(fig, "pdf", 100) == pdf
        png = save_figure(fig, "png", 100)
    image = Image.open(io.BytesIO(png))
    assert round(image.info["dpi"][0]) == 100
    assert image.size[0] == 650  # 6.5 in wide at 100 dpi


def test_topic_trends_skipped_when_empty_or_other_model():
    quiet = {"terms__terms": _terms()[:0], "network__nodes": _network()[0][:0],
             "network__slice_edges": _network_extras()["network/slice_edges"][:0],
             "network__bursts": _network_extras()["network/bursts"][:0],
             "network__two_mode": _network_extras()["network/two_mode"][:0],
             "terms__group_keywords": _group_keywords()[:0]}
    figs = figures.draw(_tables(**quiet), Params(**FAST))
    assert list(figs) == ["model_selection", "topic_terms", "topic_trends", "topic_effects",
                          "topic_alignment"]
    figs = figures.draw(_tables(topics__topic_trends=_trends()[:0], **quiet), Params(**FAST))
    assert list(figs) == ["model_selection", "topic_terms", "topic_effects", "topic_alignment"]
    # rows only for k=2 while the recommended model is k=3
    figs = figures.draw(_tables(topics__topic_trends=_trends(k=2), **quiet), Params(**FAST))
    assert "topic_trends" not in figs
    figs = figures.draw(_tables(topics__topic_trends=_trends(k=2), **quiet),
                        Params(k=2, **FAST))
    assert "topic_trends" in figs


def test_nothing_to_draw_is_an_error():
    tables = {name: t[:0] for name, t in _tables().items()}
    with pytest.raises(EmptyCorpus, match="nothing to draw"):
        compute(tables, Params(**FAST))


def test_choose_model_defaults_to_recommended():
    assert choose_model(_selection(3), _topic_terms(), method=None, k=None) == ("lda", 3)
    assert choose_model(_selection(3), _topic_terms(), method="lda", k=2) == ("lda", 2)
    # no recommended row: the best c_v (0.52 at k=3)
    assert choose_model(_selection(None), _topic_terms(), method=None, k=None) == ("lda", 3)


def test_choose_model_rejects_a_model_without_terms():
    with pytest.raises(BadParams, match="no topic model method=lda k=7 .* lda k=2, lda k=3"):
        choose_model(_selection(), _topic_terms(), method="lda", k=7)
    with pytest.raises(BadParams, match="method=nmf k=None"):
        choose_model(_selection(), _topic_terms(), method="nmf", k=None)


def test_empty_formats_rejected():
    with pytest.raises(BadParams, match="formats is empty"):
        Params(formats=())


def test_term_frequency_bars_are_the_top_terms_in_order():
    from pipelines.figures.plots import term_frequency

    fig = term_frequency(_terms(), top_n=3)
    ax = fig.axes[0]
    # tf 40, 30, 30: the tie is broken by the term; the largest bar is at the top
    assert [t.get_text() for t in ax.get_yticklabels()] == ["精准扶贫", "乡村振兴", "职业教育"]
    assert [p.get_width() for p in ax.patches] == [30, 30, 40]


def test_topic_terms_panels_follow_the_chosen_model():
    from pipelines.figures.plots import topic_terms

    fig = topic_terms(_topic_terms(), method="lda", k=3, words=2)
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == ["T0", "T1", "T2"]
    # topic 1, ranks 1-2: words[(1+1)%6], words[(1+2)%6], drawn top (rank 1) down
    assert [t.get_text() for t in panels[1].get_yticklabels()] == ["education", "乡村振兴"]


def test_network_keeps_top_nodes_and_strongest_edges():
    from pipelines.figures.graph import network

    nodes, edges = _network()
    fig = network(nodes, edges, max_nodes=3, max_edges=2, seed=1)
    ax = fig.axes[0]
    labels = sorted(t.get_text() for t in ax.texts)
    # among the 3 nodes only 培训-职业教育 (0.9) survives; education has no drawn edge and
    # is left out (counted in the title)
    assert labels == sorted(["职业教育", "培训"])
    lines = ax.collections[0]
    assert len(lines.get_segments()) == 1
    assert "2 terms, 1 edges" in fig.get_suptitle()
    assert "1 top terms without an edge not shown" in fig.get_suptitle()


def test_wordcloud_draws_every_word_once():
    from pipelines.core.fonts import cjk_font_path
    from pipelines.figures.graph import wordcloud

    fig = wordcloud(_terms(), words=4, seed=7, font_path=str(cjk_font_path()))
    words = sorted(t.get_text() for t in fig.axes[0].texts)
    # top 4 by tf with the tie at 30 kept: 职业教育 40, 乡村振兴 30, 精准扶贫 30, education 20
    assert words == sorted(["职业教育", "乡村振兴", "精准扶贫", "education"])


def test_spread_labels_separates_stacked_labels_along_the_smaller_overlap():
    from pipelines.figures.graph import spread_labels

    pos = {"教育": (0.0, 0.0), "扶贫": (0.0, 0.0), "x": (10.0, 10.0)}
    out = spread_labels(pos, {"教育": 10.0, "扶贫": 10.0, "x": 10.0}, width_in=1.0,
                        height_in=1.0)
    # 10 layout units over 1 in: 10/72 units per point; a 2-character label at 10 pt is
    # (2*10 + 2) * 10/72 = 3.06 wide and 13 * 10/72 = 1.81 high, so the pair (same spot)
    # is pushed apart vertically, symmetrically, by at least one label height
    (ax, ay), (bx, by) = out["教育"], out["扶贫"]
    assert ax == bx == 0.0
    assert ay == pytest.approx(-by)
    assert abs(ay - by) >= 13 * 10 / 72
    assert out["x"] == (10.0, 10.0)


def test_topic_trends_leave_years_without_documents_blank():
    from matplotlib.collections import PolyCollection

    from pipelines.figures.plots import _consecutive_runs, topic_trends

    assert _consecutive_runs([1954, 1955, 1957, 1960, 1961]) == [[1954, 1955], [1957],
                                                                  [1960, 1961]]
    rows = [{"method": "lda", "k": 2, "year": y, "topic": t, "share": 0.5, "n_docs": 1,
             "label": f"Topic {t}"} for y in (2000, 2001, 2005, 2009, 2010) for t in (0, 1)]
    terms = pa.Table.from_pylist([{"method": "lda", "k": 2, "topic": t, "rank": 1,
                                   "term": w, "weight": 0.1, "label": f"Topic {t}"}
                                  for t, w in ((0, "教育"), (1, "扶贫"))])
    fig = topic_trends(pa.Table.from_pylist(rows), terms, method="lda", k=2)
    ax = fig.axes[0]
    areas = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(areas) == 4  # two runs (2000-01, 2009-10) x two topics; 2005 stands alone
    assert len(ax.patches) == 2  # 2005 as one stacked bar of two topics, no slope to it
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["T0 教育", "T1 扶贫"]
