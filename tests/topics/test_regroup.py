"""Changing only ``by`` regroups the finished topic models: no fit runs (issue 29)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from pipelines import topics
from pipelines.core import store
from pipelines.core.runner import run_stage
from tests.topics.synthetic import lda_corpus


def _tables() -> dict[str, pa.Table]:
    tables, _ = lda_corpus(n_topics=2, n_docs=40, seed=0, years=[2000 + d % 8 for d in range(40)])
    docs = tables["ingest/documents"]
    region = pa.array(["东部", "中部", "西部"][d % 3] for d in range(docs.num_rows))
    return {**tables, "ingest/documents": docs.append_column("region", region)}


def _params(**kw) -> topics.Params:
    return topics.Params(**{"k": "2..3", "seeds": 1, "workers": 1, "iterations": 50,
                            "max_df": 1.0, **kw})


def _same(a: dict, b: dict) -> None:
    assert sorted(a) == sorted(b)
    for name, value in a.items():
        other = b[name]
        if name == "model_selection":
            value, other = value.drop_columns(["seconds"]), other.drop_columns(["seconds"])
        assert value == other, name


def test_regroup_equals_a_full_run_with_the_new_by() -> None:
    tables = _tables()
    grouped = topics.compute(tables, _params(by="group"))
    full = topics.compute(tables, _params(by="region"))
    regrouped = topics.relabel(grouped, _params(by="region"), tables=tables,
                               previous={"by": "group"})
    _same(full, regrouped)
    assert set(regrouped["topic_by_group"].column("by").to_pylist()) == {"region"}
    assert {"东部", "中部", "西部"} <= set(regrouped["topic_effects"].column("value")
                                         .to_pylist())
    # and to no grouping at all
    _same(topics.compute(tables, _params()),
          topics.relabel(full, _params(), tables=tables, previous={"by": "region"}))


def _workdir(tmp_path, tables):
    work = tmp_path / "work"
    for name, table in tables.items():
        store.write_outputs(work, name.split("/")[0], {name.split("/")[1]: table})
    return work


def test_runner_regroups_without_fitting(tmp_path, monkeypatch) -> None:
    tables = _tables()
    work = _workdir(tmp_path, tables)
    first = run_stage(topics, work, _params(by="group"))
    models = {p.name: p.read_bytes() for p in (work / "topics").glob("lda_k*.bin")}

    def no_fit(*_a, **_k):
        raise AssertionError("no model may be fitted when only by changes")

    monkeypatch.setattr(topics.stage, "_fit_all", no_fit)
    second = run_stage(topics, work, _params(by="region"))
    assert first.ran and second.reasons == ["relabel"]
    groups = store.read_table(work, "topics/topic_by_group")
    assert set(groups.column("by").to_pylist()) == {"region"}
    assert models == {p.name: p.read_bytes() for p in (work / "topics").glob("lda_k*.bin")}
    assert not run_stage(topics, work, _params(by="region")).ran  # fresh now
    with pytest.raises(AssertionError, match="no model"):  # a model parameter still refits
        run_stage(topics, work, _params(by="region", iterations=60))


def test_paragraph_units_refit_when_by_changes(tmp_path, monkeypatch) -> None:
    tables = _tables()
    work = _workdir(tmp_path, tables)
    run_stage(topics, work, _params(by="group", unit="paragraph"))

    def no_fit(*_a, **_k):
        raise AssertionError("fitted")

    monkeypatch.setattr(topics.stage, "_fit_all", no_fit)
    # a paragraph's weight in its document is not in the outputs: the stage runs whole
    with pytest.raises(AssertionError, match="fitted"):
        run_stage(topics, work, _params(by="region", unit="paragraph"))
