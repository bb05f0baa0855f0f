"""Thesis figures from the analysis tables, as PNG (300 dpi), SVG and optionally PDF.

Reads ``terms/terms``, ``topics/model_selection``,
``topics/topic_terms``, ``topics/topic_trends``, ``network/nodes`` and ``network/edges``.
Writes no tables, only files in ``work/figures/``, each as ``<name>.<format>``:

* ``term_frequency``: the ``top_n`` terms by frequency, horizontal bars;
* ``wordcloud``: the ``wordcloud_words`` most frequent terms (wordcloud's layout, drawn with
  matplotlib so the PNG and a vector SVG come from one renderer);
* ``keyness``: when ``terms/group_keywords`` has rows (``wenmai terms --by decade``), the
  ``topic_words`` keywords of each group, bars of log ratio, one panel per group;
* ``model_selection``: every metric of ``topics/model_selection`` against k (ldatuning's four
  rescaled 0-1), each metric's best k marked, the recommended k one line, its reason below;
* ``topic_terms``: the top terms of every topic of one model (the recommended one unless
  ``method``/``k`` say otherwise), one small bar chart per topic titled with its label;
* ``topic_trends``: topic shares by year for that model (skipped, with a log line, when the
  documents carry no years);
* ``network``: the co-occurrence network, nodes coloured by community and sized by
  frequency, edge width by weight, spring layout seeded with ``seed``;
* ``topic_effects`` and ``topic_alignment``: topic share by year with its band, and topics
  across k as a flow (``topic_figs.py``).
* ``network_slices``, ``bursts`` and ``two_mode``: the networks of the time slices (same
  positions in every panel), the CiteSpace-style burst chart and the term x group network,
  when the network stage made them
  (:mod:`pipelines.figures.network_figs`).

Beside every figure, ``<name>.csv`` holds the data it draws (``pipelines/figures/data.py``).
``size`` fits the figures to an A4 page: ``double`` 17 cm wide (the text width of an A4 page
with 2 cm margins, or a two-column journal's full width), ``single`` 8.5 cm (one column of
two); ``native`` keeps each figure's own size.

Every figure uses the shipped Noto Sans CJK subset (``pipelines.core.fonts``), so Chinese labels
render without system fonts; SVG text is converted to paths. Reruns are byte-identical: PNG
and SVG/PDF metadata that carry the software version or a date are left out.

With ``workers`` > 1 (default: every core) on Linux, each figure is drawn and saved whole by
this process or a forked worker (:func:`pipelines.core.engine.map_forked`): the same bytes as
one process, in about half the time on two cores (``bench/bench_figures.py``).
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

import pyarrow as pa

from pipelines.core.errors import BadParams, EmptyCorpus
from pipelines.core.params import param
from pipelines.figures import code as code_figures

__all__ = ["NAME", "INPUTS", "OUTPUTS", "SCHEMAS", "FIGURES", "SIZES", "Params", "compute",
           "draw", "plan", "choose_model", "save_figure", "figure_style", "fit_width"]

NAME = "figures"
# not ingest/documents: no figure needs the texts, and years arrive through topic_trends
INPUTS = ("terms/terms", "terms/group_keywords", "topics/model_selection", "topics/topic_terms",
          "topics/topic_trends", "network/nodes", "network/edges", "topics/recommendation",
          "topics/topic_effects", "topics/topic_alignment", "network/slices",
          "network/slice_edges", "network/bursts", "network/two_mode") + code_figures.INPUTS
OUTPUTS: tuple[str, ...] = ()
#: Distributions whose code computes the tables; their versions go into the manifest.
LIBRARIES: tuple[str, ...] = ("fonttools", "matplotlib", "networkx", "numpy", "scipy", "wordcloud")
SCHEMAS: dict[str, pa.Schema] = {}

FIGURES = ("term_frequency", "wordcloud", "keyness", "model_selection", "topic_terms",
           "topic_trends", "network", "topic_effects", "topic_alignment", "network_slices",
           "bursts", "two_mode")

#: Figure width in inches for each ``size`` (None: the figure's own size).
SIZES: dict[str, float | None] = {"double": 17.0 / 2.54, "single": 8.5 / 2.54, "native": None}
#: The smallest text on paper, in points (the figures' print rule).
MIN_PT = 6.0
#: Figures whose words are placed by a layout: their text scales with the figure.
LAYOUT_FIGURES = ("wordcloud", "network", "network_slices", "two_mode")

log = logging.getLogger("wenmai")


@dataclass(frozen=True)
class Params:
    """Parameters of the figures stage."""

    top_n: int = param(30, "Number of most frequent terms in the term-frequency bar chart.",
                       min=1, max=200)
    wordcloud_words: int = param(200, "Number of most frequent terms in the word cloud.",
                                 min=1, max=2000)
    topic_words: int = param(10, "Number of top terms drawn per topic.", min=1, max=50)
    network_nodes: int = param(100, "Number of most frequent network nodes considered (those "
                               "without a drawn edge are left out).", min=2, max=1000)
    network_edges: int = param(150, "Number of strongest edges (by weight) drawn among the "
                               "network nodes.", min=1, max=100000)
    dpi: int = param(300, "Resolution of PNG figures in dots per inch.", min=50, max=1200)
    seed: int = param(42, "Random seed of the word-cloud and network layouts.", min=0)
    formats: tuple[str, ...] = param(("png", "svg"), "File formats written for every figure "
                                     "(e.g. png,svg,pdf).", choices=("png", "svg", "pdf"))
    size: str = param("native", "Figure width for an A4 page: double (17 cm, the full text "
                      "width), single (8.5 cm, one of two columns) or native.",
                      choices=tuple(SIZES))
    csv: bool = param(True, "Write the data each figure draws as <figure>.csv beside it.")
    method: str | None = param(None, "Topic model drawn (lda or nmf); default: the recommended "
                               "one in topics/model_selection.", choices=("lda", "nmf"))
    k: int | None = param(None, "Number of topics of the model drawn; default: the "
                          "recommended k.", min=1)
    workers: int = param(0, "Processes drawing figures at once (0 = every core); forked on "
                         "Linux with the local engine, else one. Same files either way.",
                         min=0, key=False)

    def __post_init__(self) -> None:
        if not self.formats:
            raise BadParams("figures: formats is empty; give at least one of png, svg, pdf")


def choose_model(model_selection: pa.Table, topic_terms: pa.Table, *, method: str | None,
                 k: int | None) -> tuple[str, int]:
    """Pick the topic model to draw: the one asked for, else the recommended one.

    Args:
        model_selection: ``topics/model_selection`` (``recommended`` marks the chosen k).
        topic_terms: ``topics/topic_terms``; the model must have rows there.
        method: Method asked for, or None for the recommended one.
        k: Number of topics asked for, or None for the recommended one.

    Returns:
        (method, k).

    Raises:
        EmptyCorpus: there are no topic terms at all.
        BadParams: the asked-for model has no topic terms.
    """
    available = sorted(set(zip(topic_terms.column("method").to_pylist(),
                               topic_terms.column("k").to_pylist(), strict=True)))
    if not available:
        raise EmptyCorpus("figures: topics/topic_terms is empty; rerun `wenmai topics`")
    rows = model_selection.to_pylist()
    if method is None:
        recommended = [r["method"] for r in rows if r.get("recommended")]
        method = recommended[0] if recommended else available[0][0]
    if k is None:
        k = _default_k(rows, method, available)
    if (method, k) not in available:
        listed = ", ".join(f"{m} k={kk}" for m, kk in available)
        raise BadParams(f"figures: no topic model method={method} k={k} in "
                        f"topics/topic_terms; choose one of: {listed}")
    return method, int(k)


def _default_k(rows: list[dict[str, Any]], method: str,
               available: list[tuple[str, int]]) -> int | None:
    """The recommended k of ``method``, else its best c_v, else its smallest k with terms."""
    ks = [r["k"] for r in rows if r["method"] == method and r.get("recommended")]
    if ks:
        return ks[0]
    scored = [r for r in rows if r["method"] == method and r.get("coherence_cv") is not None]
    if scored:
        return max(scored, key=lambda r: (r["coherence_cv"], -r["k"]))["k"]
    own = [kk for m, kk in available if m == method]
    return min(own) if own else None


def _closest_k(recommendation: pa.Table | None, params: Params) -> int | None:
    if params.k is not None or recommendation is None or not recommendation.num_rows \
            or "closest_k" not in recommendation.column_names:
        return params.k
    return recommendation.column("closest_k")[0].as_py()


@contextlib.contextmanager
def figure_style() -> Iterator[None]:
    """A matplotlib rc context with the shipped CJK font and the thesis style.

    Draw and save figures inside it; the previous rcParams come back on exit.

    Raises:
        MissingInput: the font file is missing.
    """
    import matplotlib as mpl

    from pipelines.core.fonts import cjk_rc, use_cjk_font
    from pipelines.figures.plots import STYLE

    rc = {**cjk_rc(), **STYLE}
    with mpl.rc_context(rc):
        use_cjk_font()
        mpl.rcParams.update(rc)  # use_cjk_font sets the font; keep our style on top
        yield


def save_figure(fig: Any, fmt: str, dpi: int) -> bytes:
    """Render a matplotlib figure to bytes without timestamps or version metadata.

    Args:
        fig: A ``matplotlib.figure.Figure``.
        fmt: ``png``, ``svg`` or ``pdf``.
        dpi: Resolution (PNG; also rasterised parts of SVG/PDF).

    Returns:
        The file's bytes.
    """
    # PNG: zlib level 1 instead of 6, 3-4 times faster to encode, files about 20 % larger
    extra: dict[str, Any] = {"pil_kwargs": {"compress_level": 1}} if fmt == "png" else {}
    metadata: dict[str, Any] = {
        "png": {"Software": None},
        "svg": {"Date": None, "Creator": None},
        "pdf": {"CreationDate": None, "Creator": None, "Producer": None},
    }[fmt]
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=dpi, metadata=metadata, **extra)
    return buf.getvalue()


def _drawn_model(tables: dict[str, pa.Table], params: Params) -> tuple[str, int]:
    return choose_model(tables["topics/model_selection"], tables["topics/topic_terms"],
                        method=params.method, k=params.k)


def fit_width(fig: Any, width: float | None, *, scale_text: bool) -> None:
    """Resize ``fig`` to ``width`` inches, keeping its aspect ratio.

    Charts keep their font sizes (points are points on paper; constrained layout makes room),
    never below 0.75 of them; layout figures (word cloud, network) scale text, marker and line
    sizes with the figure, so the layout keeps its look.
    """
    if width is None:
        return
    from matplotlib.collections import Collection
    from matplotlib.text import Text

    w0, h0 = fig.get_size_inches()
    factor = width / w0
    fig.set_size_inches(width, h0 * factor)
    text_factor = factor if scale_text else min(1.0, max(0.75, factor))
    if text_factor != 1.0:
        for text in fig.findobj(Text):  # never below MIN_PT on paper
            size = text.get_fontsize()
            text.set_fontsize(max(size * text_factor, MIN_PT))
    if scale_text:
        for coll in fig.findobj(Collection):
            coll.set_linewidths([w * factor for w in coll.get_linewidths()])
            sizes = coll.get_sizes() if hasattr(coll, "get_sizes") else []
            if len(sizes):
                coll.set_sizes(sizes * factor ** 2)


def compute(tables: dict[str, pa.Table], params: Params) -> dict[str, bytes]:
    """Draw every figure the tables allow.

    With ``workers`` > 1 on Linux the figures are shared by this process and forked workers
    (each figure is drawn and saved whole in one process); the files are the same bytes as
    with one process.

    Args:
        tables: The tables named in ``INPUTS``.
        params: Figure parameters.

    Returns:
        ``"<figure>.<format>"`` -> file bytes, for each figure drawn and each format, and
        ``"<figure>.csv"`` -> the data it draws.

    Raises:
        EmptyCorpus: no figure could be drawn (every table is empty).
        BadParams: ``method``/``k`` name a model without topic terms.
    """
    from pipelines.core.engine import can_fork, map_forked, resolve_workers
    from pipelines.core.progress import progress

    jobs = plan(tables, params)
    model = _drawn_model(tables, params) if any(n == "topic_terms" for n, _ in jobs) else None

    def render(i: int, _in_worker: bool = False) -> dict[str, bytes]:
        from pipelines.figures.plots import target_width

        name, build = jobs[i]
        with figure_style(), target_width(SIZES[params.size]):
            return _files(name, build(), tables, params, model)

    workers = min(resolve_workers(params.workers), len(jobs))
    if workers > 1 and can_fork():
        _preload(params.formats)  # imported once here, shared by the forked workers
        parts = map_forked(render, len(jobs), workers, label="figures", unit="figure")
    else:
        parts = [render(i) for i in progress(range(len(jobs)), "figures", total=len(jobs),
                                             unit="figure")]
    out: dict[str, bytes] = {}
    for files in parts:
        out.update(files)
    out.update(code_figures.data(tables))
    if not out:
        raise EmptyCorpus("figures: every input table is empty, nothing to draw; run the "
                          "pipeline on a corpus with usable text (`wenmai run`)")
    return out


def _files(name: str, fig: Any, tables: dict[str, pa.Table], params: Params,
           model: tuple[str, int] | None) -> dict[str, bytes]:
    """The files of one drawn figure: each format, then its CSV."""
    from pipelines.figures.data import figure_data

    out: dict[str, bytes] = {}
    fit_width(fig, SIZES[params.size], scale_text=name in LAYOUT_FIGURES)
    for i, fmt in enumerate(params.formats):
        out[f"{name}.{fmt}"] = save_figure(fig, fmt, params.dpi)
        if i == 0:  # laid out once: the other formats reuse the positions (a third
            fig.set_layout_engine("none")  # of the time of a save went to layout)
    data = (figure_data(name, tables, params, model)
            if params.csv and name in FIGURES else None)  # code figures: their own
    if data is not None:
        out[f"{name}.csv"] = data
    log.debug("figures: %s written", name)
    return out


def _preload(formats: tuple[str, ...]) -> None:
    """Import what every figure needs (matplotlib, the writers of ``formats``) and register
    the font, so forked workers inherit them instead of each loading them again."""
    import importlib

    import matplotlib.figure  # noqa: F401

    backends = {"png": "agg", "svg": "svg", "pdf": "pdf"}
    for fmt in formats:
        importlib.import_module(f"matplotlib.backends.backend_{backends[fmt]}")
    with figure_style():
        pass


def draw(tables: dict[str, pa.Table], params: Params) -> dict[str, Any]:
    """Build the figures whose tables have rows; log the ones skipped.

    Call it inside the style of :func:`compute` (``matplotlib.rc_context``) for the
    thesis look; the CJK font is set on the word cloud's words whatever the context.

    Args:
        tables: The tables named in ``INPUTS``.
        params: Figure parameters.

    Returns:
        Figure name -> ``matplotlib.figure.Figure``, in ``FIGURES`` order.

    Raises:
        BadParams: ``method``/``k`` name a model without topic terms.
    """
    return {name: build() for name, build in plan(tables, params)}


def plan(tables: dict[str, pa.Table], params: Params) -> list[tuple[str, Callable[[], Any]]]:
    """The figures whose tables have rows, each with the call that draws it; logs the ones
    skipped. Nothing is drawn yet: each call builds its figure alone, in any process.

    Args:
        tables: The tables named in ``INPUTS``.
        params: Figure parameters.

    Returns:
        (figure name, call returning the ``matplotlib.figure.Figure``), in ``FIGURES`` order.

    Raises:
        BadParams: ``method``/``k`` name a model without topic terms.
        MissingInput: the font file is missing.
    """
    from pipelines.core.fonts import cjk_font_path
    from pipelines.figures import graph, plots, topic_figs

    font_path = str(cjk_font_path())

    jobs: list[tuple[str, Callable[[], Any]]] = []
    terms = tables["terms/terms"]
    if terms.num_rows and max(terms.column("tf").to_pylist()) > 0:
        jobs.append(("term_frequency", partial(plots.term_frequency, terms, top_n=params.top_n)))
        jobs.append(("wordcloud", partial(graph.wordcloud, terms, words=params.wordcloud_words,
                                          seed=params.seed, font_path=font_path)))
    else:
        log.warning("figures: terms/terms has no term with tf > 0; term_frequency and "
                    "wordcloud skipped")
    groups = tables.get("terms/group_keywords")
    if groups is not None and groups.num_rows:
        from pipelines.figures.keyness import keyness

        jobs.append(("keyness", partial(keyness, groups, words=params.topic_words)))
    selection, topic_terms = tables["topics/model_selection"], tables["topics/topic_terms"]
    if selection.num_rows:
        reasons = tables.get("topics/recommendation")
        reason = (reasons.column("reason")[0].as_py()
                  if reasons is not None and reasons.num_rows else None)
        jobs.append(("model_selection", partial(topic_figs.model_selection, selection, reason)))
    else:
        log.warning("figures: topics/model_selection is empty; model_selection skipped")
    if topic_terms.num_rows:
        # with no clear k, draw the closest compromise the topics stage names
        closest = _closest_k(tables.get("topics/recommendation"), params)
        method, k = choose_model(selection, topic_terms, method=params.method, k=closest)
        jobs.append(("topic_terms", partial(plots.topic_terms, topic_terms, method=method, k=k,
                                            words=params.topic_words)))
        trends = plots.model_rows(tables["topics/topic_trends"], method, k)
        if trends.num_rows:
            jobs.append(("topic_trends", partial(plots.topic_trends, trends, topic_terms,
                                                 method=method, k=k)))
        else:
            log.info("figures: no topic_trends rows for %s k=%d (documents without years); "
                     "topic_trends skipped", method, k)
    else:
        log.warning("figures: topics/topic_terms is empty; topic_terms and topic_trends skipped")
    nodes, edges = tables["network/nodes"], tables["network/edges"]
    if nodes.num_rows:
        jobs.append(("network", partial(graph.network, nodes, edges,
                                        max_nodes=params.network_nodes,
                                        max_edges=params.network_edges, seed=params.seed)))
    else:
        log.warning("figures: network/nodes is empty; network skipped")
    if topic_terms.num_rows:
        jobs.extend(topic_figs.plan_more(tables, method, k))
    jobs.extend(_network_extras(tables, params))
    jobs.extend(code_figures.plan(tables))
    return jobs


def _network_extras(tables: dict[str, pa.Table], params: Params
                    ) -> list[tuple[str, Callable[[], Any]]]:
    """The slices' small multiples, the burst chart and the two-mode network, when their
    tables have rows."""
    from pipelines.figures import network_figs

    jobs: list[tuple[str, Callable[[], Any]]] = []
    slices, slice_edges = tables.get("network/slices"), tables.get("network/slice_edges")
    if slices is not None and slice_edges is not None and slice_edges.num_rows:
        jobs.append(("network_slices", partial(network_figs.network_slices, slices, slice_edges,
                                               max_edges=params.network_edges,
                                               seed=params.seed)))
    bursts = tables.get("network/bursts")
    if bursts is not None and bursts.num_rows:
        jobs.append(("bursts", partial(network_figs.bursts, bursts)))
    two = tables.get("network/two_mode")
    if two is not None and two.num_rows:
        jobs.append(("two_mode", partial(network_figs.two_mode, two, tables["network/nodes"],
                                         seed=params.seed)))
    return jobs
