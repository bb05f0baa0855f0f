"""`--sample N`: k is chosen on a seeded sample of units, the final model is fitted on all."""

from __future__ import annotations

import pytest

from pipelines import topics
from pipelines.core.errors import BadParams
from tests.topics.test_stage import _corpus, _params


def _no_seconds(table):
    return table.drop_columns(["seconds"]) if "seconds" in table.column_names else table


def test_selection_on_a_sample_and_the_final_model_on_every_unit():
    # 16 documents; k is chosen on 10 of them
    out = topics.compute(_corpus(), _params(k="2..3", seeds=2, sample=10))
    ms = out["model_selection"]
    assert set(ms.column("fit_units").to_pylist()) == {10}
    assert set(ms.column("corpus_units").to_pylist()) == {16}
    rec = out["recommendation"].to_pylist()[0]
    assert rec["reason"].startswith("model selection ran on a seeded random sample of 10 of "
                                    "the 16 documents (--sample 10, seed 42)")
    chosen = rec["closest_k"]
    assert f"the k={chosen} model is fitted on all 16" in rec["reason"]
    # the units are described by the final model only, and it covers every unit
    dt = out["doc_topics"]
    assert set(dt.column("k").to_pylist()) == {chosen}
    assert dt.num_rows == 16 * chosen
    assert set(out["topic_trends"].column("k").to_pylist()) == {chosen}
    # topic terms for every k tried (the sample's model for the other k)
    assert set(out["topic_terms"].column("k").to_pylist()) == {2, 3}
    import tomotopy as tp

    model = tp.LDAModel.loads(out[f"lda_k{chosen}.bin"])
    assert len(model.docs) == 16  # fewer than 20 units: nothing held out for perplexity


def test_the_sample_is_seeded_and_deterministic():
    a = topics.compute(_corpus(), _params(sample=9, seeds=2))
    b = topics.compute(_corpus(), _params(sample=9, seeds=2))
    for name in topics.OUTPUTS:
        assert _no_seconds(a[name]).equals(_no_seconds(b[name])), name
    other = topics.compute(_corpus(), _params(sample=9, seeds=2, seed=7))
    assert not _no_seconds(a["model_selection"]).equals(_no_seconds(other["model_selection"]))


def test_the_sample_differs_from_the_whole_corpus_and_full_size_is_no_sample():
    whole = topics.compute(_corpus(), _params(seeds=2))
    sampled = topics.compute(_corpus(), _params(seeds=2, sample=8))
    assert sampled["model_selection"].column("coherence_npmi").to_pylist() != \
        whole["model_selection"].column("coherence_npmi").to_pylist()
    every = topics.compute(_corpus(), _params(seeds=2, sample=16))
    for name in topics.OUTPUTS:
        assert _no_seconds(every[name]).equals(_no_seconds(whole[name])), name


def test_k_too_large_for_the_sample():
    with pytest.raises(BadParams, match="larger than a sample of 4 documents"):
        topics.compute(_corpus(), _params(k="2..5", sample=4))


def test_cli_has_the_sample_option():
    from click.testing import CliRunner

    from cli import wenmai

    result = CliRunner().invoke(wenmai, ["topics", "--help"])
    assert "--sample" in result.output
