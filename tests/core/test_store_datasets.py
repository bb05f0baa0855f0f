"""Partitioned datasets: part files written during compute, read lazily, hashed part by part."""

from __future__ import annotations

import json
import types
from pathlib import Path

import pyarrow as pa
import pytest

from pipelines.core import store
from pipelines.core.errors import CorruptInput, MissingInput
from pipelines.core.runner import current_state, run_stage
from pipelines.workflow import list_tables
from tests.conftest import ToyParams

SCHEMA = pa.schema([("value", pa.int64())])


def _chunks() -> list[pa.Table]:
    return [pa.table({"value": list(range(i * 10, i * 10 + n))}, schema=SCHEMA)
            for i, n in enumerate((3, 0, 5))]


def _dataset_compute(tables: dict[str, object], params: ToyParams) -> dict[str, object]:
    writer = store.PartWriter(SCHEMA, "numbers")
    for chunk in _chunks():
        writer.write(pa.table({"value": [v * params.factor for v in chunk["value"].to_pylist()]},
                              schema=SCHEMA))
    return {"numbers": writer.finish()}


def _streaming_compute(tables: dict[str, object], params: ToyParams) -> dict[str, object]:
    source = tables["toy/numbers"]
    seen = sum(b.num_rows for b in store.iter_batches(source, ["value"], rows=2))
    total = sum(store.read_all(source, ["value"])["value"].to_pylist())
    return {"sums": pa.table({"kind": [type(source).__name__], "rows": [seen],
                              "total": [total]})}


@pytest.fixture
def dataset_stage() -> types.ModuleType:
    module = types.ModuleType("toy")
    module.NAME, module.INPUTS, module.OUTPUTS = "toy", (), ("numbers",)
    module.SCHEMAS = {"numbers": SCHEMA}
    module.Params = ToyParams
    module.compute = _dataset_compute
    return module


@pytest.fixture
def reader_stage() -> types.ModuleType:
    module = types.ModuleType("reader")
    module.NAME, module.INPUTS, module.OUTPUTS = "reader", ("toy/numbers",), ("sums",)
    module.STREAMED = ("toy/numbers",)
    module.Params = ToyParams
    module.compute = _streaming_compute
    return module


def test_parts_are_placed_recorded_and_read_in_order(workdir: Path, dataset_stage) -> None:
    result = run_stage(dataset_stage, workdir, ToyParams())
    parts = sorted(p.name for p in (workdir / "toy" / "numbers").iterdir())
    assert parts == ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    assert [result.outputs[f"numbers/{p}"]["rows"] for p in parts] == [3, 0, 5]
    table = store.read_table(workdir, "toy/numbers", SCHEMA)
    assert table["value"].to_pylist() == [0, 2, 4, 40, 42, 44, 46, 48]
    opened = store.open_table(workdir, "toy/numbers")
    assert opened.num_rows == 8
    assert [b.num_rows for b in opened.iter_batches(rows=2)] == [2, 1, 2, 2, 1]
    assert store.table_exists(workdir, "toy/numbers")
    assert not (workdir / ".spool").exists()  # the run's spool folder is gone
    assert not run_stage(dataset_stage, workdir, ToyParams()).ran  # fresh on rerun


def test_dataset_bytes_and_hash_do_not_depend_on_the_run(workdir: Path, tmp_path: Path,
                                                         dataset_stage) -> None:
    run_stage(dataset_stage, workdir, ToyParams())
    other = tmp_path / "other"
    run_stage(dataset_stage, other, ToyParams())
    for part in (workdir / "toy" / "numbers").iterdir():
        assert part.read_bytes() == (other / "toy" / "numbers" / part.name).read_bytes()
    digest = store.verified_sha256(workdir, "toy/numbers")
    assert digest == store.verified_sha256(other, "toy/numbers")
    lines = "".join(f"numbers/{p.name} {store.file_sha256(p)}\n"
                    for p in sorted((workdir / "toy" / "numbers").iterdir()))
    import hashlib
    assert digest == hashlib.sha256(lines.encode()).hexdigest()


def test_a_streamed_input_arrives_as_a_stored_table(workdir: Path, dataset_stage,
                                                    reader_stage) -> None:
    run_stage(dataset_stage, workdir, ToyParams())
    run_stage(reader_stage, workdir, ToyParams())
    sums = store.read_table(workdir, "reader/sums").to_pylist()
    assert sums == [{"kind": "StoredTable", "rows": 8, "total": 226}]
    assert current_state(reader_stage, workdir, ToyParams()).state == "fresh"
    run_stage(dataset_stage, workdir, ToyParams(factor=3))
    assert current_state(reader_stage, workdir, ToyParams()).state == "stale"


def test_plain_tables_and_stored_tables_read_alike(tmp_path: Path) -> None:
    table = pa.concat_tables(_chunks())
    writer = store.PartWriter(SCHEMA, "numbers", folder=tmp_path)
    for chunk in _chunks():
        writer.write(chunk)
    stored = writer.finish()
    assert store.read_all(stored).equals(table)
    for a, b in zip(store.iter_batches(stored, rows=4), store.iter_batches(table, rows=4),
                    strict=False):
        assert a.num_rows <= 4 and b.num_rows <= 4
    assert pa.Table.from_batches(list(store.iter_batches(stored, rows=4))).equals(table)


def test_a_worker_written_part_is_registered(tmp_path: Path) -> None:
    writer = store.PartWriter(SCHEMA, "numbers", folder=tmp_path)
    store.write_part(writer.path_for(1), pa.table({"value": [7]}, schema=SCHEMA))
    writer.write(pa.table({"value": [5]}, schema=SCHEMA), index=0)
    writer.add(writer.path_for(1))
    assert store.read_all(writer.finish())["value"].to_pylist() == [5, 7]
    assert not list(tmp_path.glob(".*.tmp"))


def test_an_empty_dataset_is_one_empty_part(workdir: Path) -> None:
    empty = store.PartWriter(SCHEMA, "numbers").finish()
    store.write_outputs(workdir, "toy", {"numbers": empty})
    assert store.read_table(workdir, "toy/numbers", SCHEMA).num_rows == 0


def test_datasets_are_listed_with_the_tables(workdir: Path) -> None:
    writer = store.PartWriter(SCHEMA, "tokens")
    writer.write(pa.table({"value": [1]}, schema=SCHEMA))
    store.write_outputs(workdir, "segment", {"tokens": writer.finish(),
                                             "report": pa.table({"value": [2]})})
    assert list_tables(workdir) == ["segment/report", "segment/tokens"]


def test_tampered_parts_are_refused(workdir: Path, dataset_stage) -> None:
    run_stage(dataset_stage, workdir, ToyParams())
    folder = workdir / "toy" / "numbers"
    (folder / "part-00003.parquet").write_bytes((folder / "part-00000.parquet").read_bytes())
    with pytest.raises(CorruptInput, match="part-00003.parquet is not listed"):
        store.verified_sha256(workdir, "toy/numbers")
    (folder / "part-00003.parquet").unlink()
    (folder / "part-00002.parquet").unlink()
    with pytest.raises(CorruptInput, match="part-00002.parquet is listed .* but missing"):
        store.verified_sha256(workdir, "toy/numbers")
    assert current_state(dataset_stage, workdir, ToyParams()).state == "stale"


def test_a_missing_dataset_names_the_command(workdir: Path) -> None:
    with pytest.raises(MissingInput, match="run `wenmai segment` first"):
        store.open_table(workdir, "segment/tokens")
    (workdir / "segment" / "tokens").mkdir(parents=True)
    with pytest.raises(MissingInput, match="run `wenmai segment` first"):
        store.read_table(workdir, "segment/tokens")


def test_a_killed_runs_spool_is_removed(workdir: Path, dataset_stage) -> None:
    from tests.core.test_crash import _dead_pid

    run_stage(dataset_stage, workdir, ToyParams())
    stale = workdir / ".spool" / f"toy-{_dead_pid()}-abc"
    stale.mkdir(parents=True)
    (stale / "part-00000.parquet").write_bytes(b"half")
    assert not run_stage(dataset_stage, workdir, ToyParams()).ran
    assert not stale.exists()
    manifest = json.loads((workdir / "toy" / "manifest.json").read_text())
    assert sorted(manifest["outputs"]) == [f"numbers/part-0000{i}.parquet" for i in range(3)]


def test_reading_batches_does_not_keep_what_was_read(tmp_path: Path) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from pipelines.core.store import StoredTable

    path = tmp_path / "big.parquet"
    rng = np.random.default_rng(0)
    with pq.ParquetWriter(path, pa.schema([("text", pa.string())])) as writer:
        for _ in range(40):  # 40 row groups of 3 MB of text that does not compress
            chars = rng.integers(0x4E00, 0x9FFF, size=(256, 4000)).astype(np.uint32)
            text = pa.array([row.tobytes().decode("utf-32-le") for row in chars])
            writer.write_table(pa.table({"text": text}), row_group_size=256)
    before = pa.total_allocated_bytes()
    held = 0
    for batch in StoredTable([path]).iter_batches(["text"], rows=256):
        held = max(held, pa.total_allocated_bytes() - before)
        del batch
    assert held < 40_000_000  # a few batches, not the 123 MB of the file


def test_a_single_file_table_of_an_older_work_folder_streams_too(workdir: Path,
                                                                 reader_stage) -> None:
    store.write_outputs(workdir, "toy", {"numbers": pa.table({"value": [1, 2, 3]})})
    assert store.open_table(workdir, "toy/numbers").files == [workdir / "toy" / "numbers.parquet"]
    run_stage(reader_stage, workdir, ToyParams())
    assert store.read_table(workdir, "reader/sums")["total"].to_pylist() == [6]


def test_a_writer_may_be_named_like_a_table(tmp_path: Path) -> None:
    writer = store.PartWriter(SCHEMA, "segment/tokens")
    writer.write(pa.table({"value": [1]}, schema=SCHEMA))
    assert writer.folder.parent == store.spool_dir()
    assert store.read_all(writer.finish())["value"].to_pylist() == [1]


def test_a_spooled_file_is_moved_into_place_and_hashed(workdir: Path) -> None:
    import hashlib

    def compute(tables: dict[str, object], params: ToyParams) -> dict[str, object]:
        path = store.spool_file("big.txt")
        with open(path, "w", encoding="utf-8") as fh:
            for i in range(1000 * params.factor):
                fh.write(f"{i}\n")
        assert path.is_relative_to(store.spool_dir())
        return {"big.txt": store.SpooledFile(path)}

    module = types.ModuleType("filer")
    module.NAME, module.INPUTS, module.OUTPUTS = "filer", (), ()
    module.Params, module.compute = ToyParams, compute
    result = run_stage(module, workdir, ToyParams())
    target = workdir / "filer" / "big.txt"
    expected = "".join(f"{i}\n" for i in range(2000)).encode()
    assert target.read_bytes() == expected
    assert result.outputs["big.txt"]["sha256"] == hashlib.sha256(expected).hexdigest()
    assert result.outputs["big.txt"]["size"] == len(expected)
    assert not (workdir / ".spool").exists()  # moved, and the spool removed
    assert not run_stage(module, workdir, ToyParams()).ran
