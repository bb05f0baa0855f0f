from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from pipelines.core.errors import MissingInput
from pipelines.core.runner import current_state, run_stage
from tests.conftest import ToyParams


def test_runs_then_skips_when_fresh(workdir: Path, toy_stage) -> None:
    first = run_stage(toy_stage, workdir, ToyParams())
    assert first.ran and first.outputs["numbers.parquet"]["rows"] == 3
    manifest = json.loads((workdir / "toy" / "manifest.json").read_text())
    assert manifest["params"] == {"factor": 2, "label": "x", "words": [], "source": None}
    assert not run_stage(toy_stage, workdir, ToyParams()).ran
    assert run_stage(toy_stage, workdir, ToyParams(), force=True).ran


def test_param_change_reruns_but_workers_do_not(workdir: Path, toy_stage) -> None:
    run_stage(toy_stage, workdir, ToyParams())
    assert not run_stage(toy_stage, workdir, ToyParams(workers=4)).ran
    again = run_stage(toy_stage, workdir, ToyParams(factor=3))
    assert again.ran and again.reasons == ["parameter factor changed (2 -> 3)"]


def test_external_file_change_reruns(workdir: Path, tmp_path: Path, toy_stage) -> None:
    source = tmp_path / "nums.txt"
    source.write_text("1 2")
    params = ToyParams(source=str(source))
    run_stage(toy_stage, workdir, params)
    assert current_state(toy_stage, workdir, params).state == "fresh"
    source.write_text("1 2 3")
    state = current_state(toy_stage, workdir, params)
    assert state.state == "stale" and state.reasons == [f"input file:{source} changed"]
    assert run_stage(toy_stage, workdir, params).outputs["numbers.parquet"]["rows"] == 3


def test_downstream_follows_upstream(workdir: Path, toy_stage, toy_downstream) -> None:
    with pytest.raises(MissingInput, match="run `wenmai toy` first"):
        run_stage(toy_downstream, workdir, ToyParams())
    run_stage(toy_stage, workdir, ToyParams())
    assert run_stage(toy_downstream, workdir, ToyParams()).ran
    assert not run_stage(toy_downstream, workdir, ToyParams()).ran
    run_stage(toy_stage, workdir, replace(ToyParams(), factor=5))
    state = current_state(toy_downstream, workdir, ToyParams())
    assert state.reasons == ["input toy/numbers changed"]


def test_deleted_output_makes_stage_stale(workdir: Path, toy_stage) -> None:
    run_stage(toy_stage, workdir, ToyParams())
    (workdir / "toy" / "note.txt").unlink()
    assert current_state(toy_stage, workdir, ToyParams()).reasons == [
        "output note.txt is missing"]
    assert run_stage(toy_stage, workdir, ToyParams()).ran
    assert (workdir / "toy" / "note.txt").exists()


def test_prepare_runs_in_a_thread_before_compute_and_its_errors_surface(
        workdir: Path, toy_stage, toy_downstream) -> None:
    import threading

    run_stage(toy_stage, workdir, ToyParams())
    events: list[str] = []
    compute = toy_downstream.compute

    def prepare(params: ToyParams) -> None:
        events.append(f"prepare {params.factor} in {threading.current_thread().name}")

    def traced_compute(tables: dict, params: ToyParams) -> dict:
        events.append("compute")
        return compute(tables, params)

    toy_downstream.prepare = prepare
    toy_downstream.compute = traced_compute
    assert run_stage(toy_downstream, workdir, ToyParams()).ran
    assert events == ["prepare 2 in toy2-prepare_0", "compute"]

    def broken(params: ToyParams) -> None:
        raise MissingInput("the model file is gone")

    toy_downstream.prepare = broken
    with pytest.raises(MissingInput, match="model file is gone"):
        run_stage(toy_downstream, workdir, ToyParams(), force=True)
    assert events == ["prepare 2 in toy2-prepare_0", "compute"]  # compute never ran


def test_a_table_new_in_this_version_makes_the_stage_stale(workdir: Path, toy_stage,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    """A stage that gained an output since its last run must rerun, or the next stage would
    look for a table the fresh-looking stage never wrote."""
    run_stage(toy_stage, workdir, ToyParams())
    assert current_state(toy_stage, workdir, ToyParams()).state == "fresh"
    monkeypatch.setattr(toy_stage, "OUTPUTS", (*toy_stage.OUTPUTS, "extra"))
    state = current_state(toy_stage, workdir, ToyParams())
    assert state.state == "stale"
    assert state.reasons == ["output extra is not in the last run's manifest"]
