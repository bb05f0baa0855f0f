"""A part file nobody listed (a cloud-sync copy beside the parts) is ignored, never read:
rows do not double, the stage stays fresh, and the next stage runs (issue 30)."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from pipelines.core import store
from pipelines.core.runner import current_state, run_stage
from tests.conftest import ToyParams
from tests.core.test_store_datasets import dataset_stage  # noqa: F401 - a fixture


@pytest.mark.parametrize("copy", ["part-00000 (1).parquet", "part-00000-conflict.parquet",
                                  "Part-00001.parquet", "part-1.parquet"])
def test_a_sync_copy_of_a_part_is_never_read(workdir: Path, dataset_stage,  # noqa: F811
                                             copy: str, caplog: pytest.LogCaptureFixture
                                             ) -> None:
    run_stage(dataset_stage, workdir, ToyParams())
    folder = workdir / "toy" / "numbers"
    rows = store.read_table(workdir, "toy/numbers").num_rows
    shutil.copy(folder / "part-00000.parquet", folder / copy)
    with caplog.at_level(logging.WARNING, logger="wenmai"):
        assert store.read_table(workdir, "toy/numbers").num_rows == rows
        assert store.open_table(workdir, "toy/numbers").num_rows == rows
    assert f"ignored {copy}" in caplog.text
    assert current_state(dataset_stage, workdir, ToyParams()).state == "fresh"
    assert not run_stage(dataset_stage, workdir, ToyParams()).ran
