"""`--fit-on sample`: every fit on the seeded sample, the other units' shares inferred.

On a real corpus (the 49 government work reports, one unit per paragraph; skipped where
../shared is absent) and on the tiny two-theme corpus of test_stage.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from cli import wenmai
from pipelines import topics
from pipelines.core import store
from pipelines.core.errors import BadParams
from pipelines.topics.inferred import DOC_TOPICS
from pipelines.topics.stream import Inferrer, scan_units, unit_bags
from tests.topics.test_stage import EDU, POV, _corpus, _params

SAMPLE = 300
K = 5
ITERATIONS = 100


def _run(work: Path, *args: str) -> None:
    result = CliRunner().invoke(wenmai, ["-q", "--workdir", str(work), *args])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def gov(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Path:
    """The reports ingested and segmented, then topics with --fit-on sample by paragraph."""
    reports = shared / "corpora" / "gov-reports-1954-2017" / "govReports"
    if not reports.is_dir():
        pytest.skip("the government work reports are not in ../shared")
    work = tmp_path_factory.mktemp("fit-on") / "work"
    _run(work, "ingest", str(reports))
    _run(work, "segment")
    _run(work, "topics", "--k", str(K), "--seeds", "1", "--workers", "1", "--unit", "paragraph",
         "--iterations", str(ITERATIONS), "--sample", str(SAMPLE), "--fit-on", "sample")
    return work


@pytest.fixture(scope="module")
def shared() -> Path:
    from tests.conftest import SHARED

    if not SHARED.is_dir():
        pytest.skip("../shared is not present (only CI and developers have it)")
    return SHARED


def test_every_unit_has_a_row_and_only_the_others_are_inferred(gov: Path) -> None:
    dt = store.read_table(gov, "topics/doc_topics")
    assert (gov / "topics" / "doc_topics").is_dir()  # a dataset of parts
    assert dt.schema.equals(DOC_TOPICS)
    rows = dt.to_pandas()
    units = rows.groupby(["doc_id", "para_id"])["inferred"].first()
    fitted = int((~units).sum())
    assert fitted <= SAMPLE and fitted >= SAMPLE - 5  # a sampled unit may keep no term
    assert int(units.sum()) > 10 * SAMPLE  # every other paragraph is inferred
    assert (rows.groupby(["doc_id", "para_id"]).size() == K).all()
    assert np.allclose(rows.groupby(["doc_id", "para_id"])["weight"].sum(), 1.0)
    ms = store.read_table(gov, "topics/model_selection").to_pylist()[0]
    assert (ms["fit_units"], ms["corpus_units"]) == (fitted, len(units))
    reason = store.read_table(gov, "topics/recommendation").column("reason")[0].as_py()
    assert reason.startswith(
        f"the model was fitted on a seeded random sample of {fitted} of the {len(units)} "
        f"paragraphs (--fit-on sample, --sample {SAMPLE}, seed 42); the topic shares of the "
        f"other {len(units) - fitted} were inferred by it.")
    # trends cover every year, from every unit (49 reports, one a year)
    trends = store.read_table(gov, "topics/topic_trends").to_pylist()
    assert len({r["year"] for r in trends}) == 49
    assert sum(r["n_docs"] for r in trends) == 49 * K


def test_the_model_infers_the_samples_own_units_close_to_their_fitted_shares(gov: Path
                                                                           ) -> None:
    rows = store.read_table(gov, "topics/doc_topics").to_pandas()
    fit = rows[~rows["inferred"]]
    theta = fit["weight"].to_numpy().reshape(-1, K)
    keys = list(dict.fromkeys(zip(fit["doc_id"], fit["para_id"].astype(int), strict=True)))
    model_bytes = (gov / "topics" / f"lda_k{K}.bin").read_bytes()
    import tomotopy as tp

    vocab = sorted(tp.LDAModel.loads(model_bytes).used_vocabs)
    batches = store.open_table(gov, "segment/tokens").iter_batches(
        ["doc_id", "para_id", "tokens"])
    bags = dict(unit_bags(batches, "paragraph", vocab))
    again = Inferrer(model_bytes, "lda", "tomotopy", vocab, ITERATIONS)(
        [bags[key] for key in keys])
    # the same units, the same model: Gibbs inference lands near the chain's final shares
    assert np.abs(again - theta).mean() < 0.05
    assert (again.argmax(axis=1) == theta.argmax(axis=1)).mean() > 0.9


def test_one_inferred_unit_equals_tomotopy_infer_called_directly(gov: Path) -> None:
    import tomotopy as tp

    rows = store.read_table(gov, "topics/doc_topics").to_pandas()
    out = rows[rows["inferred"]]
    doc, para = out["doc_id"].iloc[K * 100], int(out["para_id"].iloc[K * 100])
    written = out[(out["doc_id"] == doc) & (out["para_id"] == para)]["weight"].to_numpy()
    # the unit's tokens straight from the parquet, every token: tomotopy drops unknown words
    words = [w for r in store.read_table(gov, "segment/tokens").to_pylist()
             if r["doc_id"] == doc and r["para_id"] == para for w in r["tokens"]]
    model = tp.LDAModel.loads((gov / "topics" / f"lda_k{K}.bin").read_bytes())
    dist, _ = model.infer([model.make_doc(words)], iterations=ITERATIONS, workers=1,
                          parallel=tp.ParallelScheme.NONE)
    expected = np.asarray(dist[0], dtype=np.float64)
    assert np.allclose(written, expected / expected.sum(), atol=1e-6)


def test_labels_relabel_the_parts(gov: Path, tmp_path: Path) -> None:
    labels = tmp_path / "labels.tsv"
    labels.write_text("0\tFirst\n", encoding="utf-8")
    _run(gov, "topics", "--k", str(K), "--seeds", "1", "--workers", "1", "--unit", "paragraph",
         "--iterations", str(ITERATIONS), "--sample", str(SAMPLE), "--fit-on", "sample",
         "--labels", str(labels))
    dt = store.read_table(gov, "topics/doc_topics")
    assert "First" in set(dt.column("label").to_pylist())
    assert dt.schema.equals(DOC_TOPICS)


def test_tiny_corpus_sample_fit_separates_and_infers_the_rest():
    out = topics.compute(_corpus(), _params(k="2", sample=10, fit_on="sample"))
    dt = store.read_all(out["doc_topics"]).to_pylist()
    assert len(dt) == 16 * 2
    assert sum(r["inferred"] for r in dt) == 6 * 2
    # every inferred document sits in the topic of its theme
    terms = out["topic_terms"].to_pylist()
    edu_topic = next(r["topic"] for r in terms if r["rank"] == 1 and r["term"] in EDU)
    for r in dt:
        if r["inferred"] and r["topic"] == edu_topic:
            assert (r["weight"] > 0.8) == (r["doc_id"][0] == "e"), r
    assert {r["term"] for r in terms if r["rank"] == 1} <= set(EDU) | set(POV)


def test_fit_on_sample_needs_a_sample():
    with pytest.raises(BadParams, match="--fit-on sample needs a sample size"):
        _params(fit_on="sample")
    result = CliRunner().invoke(wenmai, ["topics", "--fit-on", "sample"])
    assert result.exit_code != 0
    assert "--fit-on sample needs a sample size" in result.output
    assert "Traceback" not in result.output


def test_scan_counts_the_tokens_of_every_unit():
    tokens = _corpus()["segment/tokens"]
    scan = scan_units(tokens.to_batches(max_chunksize=5), "document", lambda w: True)
    assert len(scan.doc_ids) == 16
    assert scan.tokens.tolist() == [2 * 7] * 16


def test_parts_and_workers_do_not_change_the_tables(monkeypatch):
    from pipelines.topics import inferred

    def run(workers: int) -> dict:
        out = topics.compute(_corpus(), _params(k="2", sample=10, fit_on="sample",
                                                workers=workers))
        return {name: store.read_all(out[name]).drop_columns(
            [c for c in ("seconds",) if c in store.read_all(out[name]).column_names])
            for name in topics.OUTPUTS}

    whole = run(1)
    monkeypatch.setattr(inferred, "UNITS", 3)  # six parts of three units (the last of one)
    for workers in (1, 2):
        cut = run(workers)
        for name in topics.OUTPUTS:
            assert cut[name].equals(whole[name]), (workers, name)
    out = topics.compute(_corpus(), _params(k="2", sample=10, fit_on="sample", workers=2))
    assert len(out["doc_topics"].files) == 6


def test_the_model_file_holds_the_bytes_of_saves():
    import tomotopy as tp

    from pipelines.topics.lda import _tomotopy_bytes

    model = tp.LDAModel(k=3, seed=1)
    for doc in (["a", "b", "c"] * 5, ["c", "d"] * 4, ["a", "d", "e"] * 3):
        model.add_doc(doc)
    model.train(10, workers=1)
    assert _tomotopy_bytes(model) == model.saves(full=True)


@pytest.mark.parametrize(("method", "backend"), [("lda", "gensim"), ("nmf", "tomotopy")])
def test_gensim_and_nmf_infer_the_other_units(method, backend):
    out = topics.compute(_corpus(), _params(k="2", sample=10, fit_on="sample", method=method,
                                            backend=backend, passes=20))
    dt = store.read_all(out["doc_topics"]).to_pylist()
    assert sum(r["inferred"] for r in dt) == 6 * 2
    top = {}
    for r in dt:
        if r["weight"] > top.get(r["doc_id"], (0, None))[0]:
            top[r["doc_id"]] = (r["weight"], r["topic"])
    # the two themes land in two different topics, inferred documents included
    assert len({t for d, (_, t) in top.items() if d[0] == "e"}) == 1
    assert len({t for d, (_, t) in top.items() if d[0] == "p"}) == 1
    assert top["e00"][1] != top["p00"][1]


def test_a_sample_too_small_says_so_before_reading_the_tokens_again():
    with pytest.raises(BadParams, match="k=5 is larger than a sample of 3 documents"):
        topics.compute(_corpus(), _params(k="2..5", fit_on="sample", sample=3))
    with pytest.raises(BadParams, match=r"relax one bound, or use a larger --sample \(the "
                       "vocabulary is that of the 4 sampled documents\\)"):
        topics.compute(_corpus(), _params(k="2", fit_on="sample", sample=4, min_df=50))
