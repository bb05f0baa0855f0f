"""The Dask engine gives the same tables as the local engine, byte for byte.

Runs `wenmai run --until network` on data/sample twice: with the local engine (forked
workers) and on a `dask.distributed.LocalCluster` of 2 worker processes chosen in the
`[engine]` section. The size thresholds below which ingest and segment stay in one process
are lowered so that both runs really partition the sample.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from cli import wenmai
from pipelines.core.engine import EngineSpec, map_partitions, use
from pipelines.core.errors import BadInputFile
from tests.conftest import SAMPLE

pytest.importorskip("distributed")


def _parse_or_fail(part: list[int], bad: int) -> list[int]:
    if bad in part:
        raise BadInputFile(f"part with {bad} is broken")
    return [i * 10 for i in part]


@pytest.fixture
def sample_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    import pipelines.ingest.stage as ingest_stage
    import pipelines.segment.stage as segment_stage

    monkeypatch.setattr(ingest_stage, "_PARALLEL_MIN_FILES", 1)
    # segment_documents reads these at call time (its min_docs_parallel default is fixed)
    monkeypatch.setattr(segment_stage, "SPAWN_MIN_CHARS", 1)
    monkeypatch.setattr(segment_stage, "PARALLEL_MIN_CHARS", {"rjieba": 1, "jieba": 1})
    project = tmp_path / "sample"
    shutil.copytree(SAMPLE, project)
    return project


def _run(config: Path, work: Path) -> str:
    result = CliRunner().invoke(wenmai, ["--config", str(config), "--workdir", str(work),
                                         "run", "--until", "network"])
    assert result.exit_code == 0, result.output + result.stderr
    return result.stderr


def test_dask_local_cluster_writes_the_same_tables_as_local(sample_project: Path,
                                                            tmp_path: Path) -> None:
    config = sample_project / "wenmai.toml"
    local_log = _run(config, tmp_path / "local")
    dask_config = sample_project / "dask.toml"
    dask_config.write_text(config.read_text(encoding="utf-8")
                           + '\n[engine]\nname = "dask"\nworkers = 2\n', encoding="utf-8")
    dask_log = _run(dask_config, tmp_path / "dask")
    assert "on dask" not in local_log
    for stage in ("ingest", "segment", "topics"):  # their partitions ran as Dask tasks
        assert re.search(rf"^{stage}: \d+/\d+ partitions done on dask$", dask_log, re.M), stage
    assert "engine: dask LocalCluster of 2 worker process(es)" in dask_log

    def files(work: Path) -> list[Path]:  # every output; .cache holds input stats, not results
        return sorted(p.relative_to(work) for p in work.rglob("*")
                      if p.is_file() and p.relative_to(work).parts[0] != ".cache")

    local_files, dask_files = files(tmp_path / "local"), files(tmp_path / "dask")
    assert local_files == dask_files
    compared = 0
    for rel in local_files:
        if rel.name == "manifest.json":  # start and finish times
            continue
        a, b = tmp_path / "local" / rel, tmp_path / "dask" / rel
        if rel.as_posix() == "topics/model_selection.parquet":
            # the wall time of each fit is the one column that differs between any two runs
            assert pq.read_table(a).drop(["seconds"]).equals(pq.read_table(b).drop(["seconds"]))
        else:
            assert a.read_bytes() == b.read_bytes(), rel
        compared += 1
    assert compared >= 15
    tables = [r for r in local_files if r.suffix == ".parquet"]
    assert {"ingest/documents.parquet", "segment/tokens.parquet", "terms/terms.parquet",
            "network/edges.parquet"} <= {t.as_posix() for t in tables}


def test_a_failing_dask_task_raises_its_own_error() -> None:
    with use(EngineSpec(name="dask", workers=2)):
        assert map_partitions(_parse_or_fail, [[1, 2], [3], [4, 5]], 99, workers=2) == [
            [10, 20], [30], [40, 50]]
        with pytest.raises(BadInputFile, match="part with 3 is broken"):
            map_partitions(_parse_or_fail, [[1, 2], [3], [4, 5]], 3, workers=2)
