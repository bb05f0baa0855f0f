"""The Dask and processes engines give the same tables as the local engine, byte for byte.

Runs `wenmai run --until code` on data/sample with the local engine (forked workers), with
`--engine processes` (fresh worker processes), and on a `dask.distributed.LocalCluster` of 2
worker processes chosen in the `[engine]` section. The size thresholds below which ingest,
segment and terms stay in one process are lowered (network counts each part of
segment/tokens as its own task), and code gets `workers = 0`, so that every run really
partitions the sample.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from cli import wenmai
from pipelines.core.engine import EngineSpec, map_partitions, use
from pipelines.core.errors import BadInputFile, WenmaiError
from tests.conftest import SAMPLE

pytest.importorskip("distributed")
pytestmark = pytest.mark.slow


def _parse_or_fail(part: list[int], bad: int) -> list[int]:
    if bad in part:
        raise BadInputFile(f"part with {bad} is broken")
    return [i * 10 for i in part]


def _read(part: list[str]) -> list[int]:
    return [len(Path(path).read_bytes()) for path in part]


def _run(config: Path, work: Path, *engine: str) -> str:
    import pipelines.ingest.stage as ingest_stage
    import pipelines.network.tasks as network_tasks
    import pipelines.segment.stage as segment_stage
    import pipelines.terms.parts as terms_parts
    import pipelines.terms.stage as terms_stage

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ingest_stage, "_PARALLEL_MIN_FILES", 1)
        # segment_stream reads these at call time: partitions of 20,000 characters, in workers
        patch.setattr(segment_stage, "SPAWN_MIN_CHARS", 1)
        patch.setattr(segment_stage, "PARALLEL_MIN_CHARS", {"rjieba": 1, "jieba": 1})
        patch.setattr(segment_stage, "PART_CHARS", {"rjieba": 20_000, "jieba": 20_000})
        patch.setattr(network_tasks, "TASK_ROWS", 1)  # a task per part of segment/tokens
        # terms: a unit per part of the tokens, in workers, keywords parts of about 50 rows
        patch.setattr(terms_parts, "UNIT_ROWS", 1)
        patch.setattr(terms_parts, "PART_ROWS", 50)
        patch.setattr(terms_stage, "PARALLEL_MIN_ROWS", 1)
        patch.setattr(terms_stage, "SPAWN_MIN_ROWS", 1)
        result = CliRunner().invoke(wenmai, ["--config", str(config), "--workdir", str(work),
                                             *engine, "run", "--until", "code"])
    assert result.exit_code == 0, result.output + result.stderr
    return result.stderr


@pytest.fixture(scope="module")
def local_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, str]]:
    """The sample project copied, and its work folder after a run with the local engine."""
    root = tmp_path_factory.mktemp("engines")
    project = root / "sample"
    shutil.copytree(SAMPLE, project)
    config = project / "wenmai.toml"
    text = config.read_text(encoding="utf-8")
    assert "\n[code]\n" in text
    config.write_text(text.replace("\n[code]\n", "\n[code]\nworkers = 0\n"), encoding="utf-8")
    log = _run(config, root / "local")
    assert "on dask" not in log
    assert re.search(r"^segment: [2-9] parts done$", log, re.M)  # in forked workers
    assert re.search(r"^network: [2-9] parts done$", log, re.M)
    assert re.search(r"^terms: [2-9] parts done$", log, re.M)
    yield project, root / "local", log


def _files(work: Path) -> list[Path]:
    """Every output file; .cache holds input-file stats, not results."""
    return sorted(p.relative_to(work) for p in work.rglob("*")
                  if p.is_file() and p.relative_to(work).parts[0] != ".cache")


def _assert_same_outputs(first: Path, second: Path) -> None:
    assert _files(first) == _files(second)
    compared = []
    for rel in _files(first):
        if rel.name == "manifest.json":  # start and finish times
            continue
        a, b = first / rel, second / rel
        if rel.as_posix() == "topics/model_selection.parquet":
            # the wall time of each fit is the one column that differs between any two runs
            assert pq.read_table(a).drop(["seconds"]).equals(pq.read_table(b).drop(["seconds"]))
        else:
            assert a.read_bytes() == b.read_bytes(), rel
        compared.append(rel.as_posix())
    expected = {"ingest/documents/part-00000.parquet", "segment/tokens/part-00000.parquet",
                "segment/tokens/part-00001.parquet", "segment/report.parquet",
                "terms/terms.parquet", "terms/keywords/part-00000.parquet",
                "terms/keywords/part-00001.parquet", "topics/doc_topics.parquet",
                "network/edges.parquet", "network/nodes.parquet",
                "code/codings/part-00000.parquet", "code/project.qdpx"}
    assert expected <= set(compared)


def test_dask_local_cluster_writes_the_same_tables_as_local(local_run, tmp_path: Path) -> None:
    project, local, _ = local_run
    config = project / "dask.toml"
    config.write_text((project / "wenmai.toml").read_text(encoding="utf-8")
                      + '\n[engine]\nname = "dask"\nworkers = 2\n', encoding="utf-8")
    log = _run(config, tmp_path / "dask")
    assert "engine: dask LocalCluster of 2 worker process(es)" in log
    for stage in ("ingest", "segment", "terms", "topics", "network", "code"):  # Dask tasks
        assert re.search(rf"^{stage}: \d+(/\d+)? partitions done on dask$", log, re.M), stage
    _assert_same_outputs(local, tmp_path / "dask")


def test_processes_engine_writes_the_same_tables_as_local(local_run, tmp_path: Path) -> None:
    project, local, _ = local_run
    log = _run(project / "wenmai.toml", tmp_path / "processes", "--engine", "processes")
    for stage in ("ingest", "segment", "terms", "topics", "network", "code"):  # not forks
        assert re.search(rf"^{stage}: \d+(/\d+)? partitions done$", log, re.M), stage
    _assert_same_outputs(local, tmp_path / "processes")


def test_a_failing_dask_task_raises_its_own_error() -> None:
    with use(EngineSpec(name="dask", workers=2)):
        assert map_partitions(_parse_or_fail, [[1, 2], [3], [4, 5]], 99, workers=2) == [
            [10, 20], [30], [40, 50]]
        with pytest.raises(BadInputFile, match="part with 3 is broken"):
            map_partitions(_parse_or_fail, [[1, 2], [3], [4, 5]], 3, workers=2)


def test_a_file_no_worker_sees_is_named(tmp_path: Path) -> None:
    seen = tmp_path / "seen.txt"
    seen.write_text("abc")
    with use(EngineSpec(name="dask", workers=2)):
        assert map_partitions(_read, [[str(seen)], [str(seen)]], workers=2) == [[3], [3]]
        with pytest.raises(WenmaiError, match=r"a Dask worker cannot find .*nowhere\.txt; "
                           "the dask engine needs the input files on a filesystem"):
            map_partitions(_read, [[str(seen)], [str(tmp_path / "nowhere.txt")]], workers=2)


def test_a_running_scheduler_is_used_once_it_has_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    from distributed import LocalCluster

    from pipelines.core import engine

    monkeypatch.setattr(engine, "WAIT_FOR_WORKERS_S", 1)
    with LocalCluster(n_workers=0, threads_per_worker=1, processes=False,
                      dashboard_address=":0") as cluster:
        spec = EngineSpec("dask", cluster.scheduler_address)
        with use(spec), pytest.raises(WenmaiError, match="no worker joined the scheduler"):
            engine.resolve_workers(0)
        cluster.scale(2)
        cluster.wait_for_workers(2)
        with use(spec):
            assert engine.resolve_workers(0) == 2
            assert map_partitions(_parse_or_fail, [[1], [2, 3]], 0, workers=0) == [[10],
                                                                                  [20, 30]]


def test_dask_workers_read_inputs_named_by_file_url(local_run, tmp_path: Path) -> None:
    # a file:// URL is the path it names (issue 30): the workers read it from disk
    import pipelines.ingest.stage as ingest_stage

    project, local, _ = local_run
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ingest_stage, "_PARALLEL_MIN_FILES", 1)
        result = CliRunner().invoke(wenmai, [
            "--config", str(project / "wenmai.toml"), "--workdir", str(tmp_path / "url"),
            "--engine", "dask", "ingest", (project / "docs").as_uri()])
    assert result.exit_code == 0, result.output + result.stderr
    assert re.search(r"^ingest: \d+(/\d+)? partitions done on dask$", result.stderr, re.M)
    parts = sorted((local / "ingest" / "documents").iterdir())
    assert parts and [p.read_bytes() for p in parts] == [
        (tmp_path / "url" / "ingest" / "documents" / p.name).read_bytes() for p in parts]


def test_topics_fit_on_sample_infers_the_same_shares_on_dask(local_run, tmp_path: Path) -> None:
    """--fit-on sample: the other units' shares inferred in Dask tasks equal the local ones."""
    import pipelines.topics.inferred as inferred

    project, local, _ = local_run
    shares = {}
    for name, engine in (("local", []), ("dask", ["--engine", "dask"])):
        work = tmp_path / name
        shutil.copytree(local / "segment", work / "segment")
        shutil.copytree(local / "ingest", work / "ingest")
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(inferred, "UNITS", 2)  # batches of 2 units: several tasks
            result = CliRunner().invoke(wenmai, [
                "--config", str(project / "wenmai.toml"), "--workdir", str(work), *engine,
                "topics", "--k", "2..3", "--fit-on", "sample", "--sample", "8",
                "--workers", "2"])
        assert result.exit_code == 0, result.output + result.stderr
        parts = sorted((work / "topics" / "doc_topics").iterdir())
        shares[name] = [p.read_bytes() for p in parts]
        if engine:
            assert re.search(r"^topics: inferring: \d+(/\d+)? partitions done on dask$",
                             result.stderr, re.M), result.stderr
    assert len(shares["local"]) > 1 and shares["local"] == shares["dask"]
