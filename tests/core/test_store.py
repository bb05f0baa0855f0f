from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from pipelines.core import store
from pipelines.core.errors import MissingInput, SchemaError

SCHEMA = pa.schema([("term", pa.string()), ("tf", pa.int64())])


def test_round_trip_and_records(workdir: Path) -> None:
    table = pa.table({"term": ["教育", "扶贫"], "tf": [3, 2]})
    records = store.write_outputs(workdir, "terms", {"terms": table, "notes.txt": "好"},
                                  {"terms": SCHEMA})
    assert records["terms.parquet"]["rows"] == 2
    assert (workdir / "terms" / "notes.txt").read_text(encoding="utf-8") == "好"
    assert store.read_table(workdir, "terms/terms", SCHEMA).equals(table)
    assert records["terms.parquet"]["sha256"] == store.file_sha256(
        workdir / "terms" / "terms.parquet")


def test_writes_are_byte_identical(workdir: Path, tmp_path: Path) -> None:
    table = pa.table({"term": ["a"], "tf": [1]})
    first = store.write_outputs(workdir, "terms", {"terms": table})
    second = store.write_outputs(tmp_path / "other", "terms", {"terms": table})
    assert first["terms.parquet"]["sha256"] == second["terms.parquet"]["sha256"]


def test_schema_checked_on_write_and_read(workdir: Path) -> None:
    with pytest.raises(SchemaError, match=r"table terms/terms lacks column\(s\) tf"):
        store.write_outputs(workdir, "terms", {"terms": pa.table({"term": ["a"]})},
                            {"terms": SCHEMA})
    assert not (workdir / "terms" / "terms.parquet").exists()  # nothing half-written
    store.write_outputs(workdir, "terms", {"terms": pa.table({"term": ["a"], "tf": [1.5]})})
    with pytest.raises(SchemaError, match="column tf is double, expected int64"):
        store.read_table(workdir, "terms/terms", SCHEMA)


def test_missing_table_names_the_command(workdir: Path) -> None:
    with pytest.raises(MissingInput, match="run `wenmai segment` first"):
        store.read_table(workdir, "segment/tokens")


def test_corrupt_parquet_is_reported(workdir: Path) -> None:
    (workdir / "terms").mkdir()
    (workdir / "terms" / "terms.parquet").write_bytes(b"not parquet")
    with pytest.raises(SchemaError, match="is not a readable parquet table"):
        store.read_table(workdir, "terms/terms")


def test_failed_write_keeps_previous_outputs(workdir: Path) -> None:
    good = pa.table({"term": ["a"], "tf": [1]})
    store.write_outputs(workdir, "terms", {"terms": good})

    class Boom:
        pass

    with pytest.raises(TypeError):
        store.write_outputs(workdir, "terms", {"terms": good, "bad.bin": Boom()})
    assert store.read_table(workdir, "terms/terms").equals(good)
    assert not list((workdir / "terms").glob(".tmp-*"))


def test_old_outputs_not_produced_again_are_removed(workdir: Path) -> None:
    store.write_outputs(workdir, "figures", {"a.png": b"1", "b.png": b"2"})
    store.write_manifest(workdir, "figures", params={}, inputs={},
                         outputs={"a.png": {}, "b.png": {}}, started=0, finished=1)
    store.write_outputs(workdir, "figures", {"a.png": b"3"})
    assert not (workdir / "figures" / "b.png").exists()


def test_state_reasons(workdir: Path) -> None:
    params = {"k": 3}
    assert store.stage_state(workdir, "topics", params, {}).state == "missing"
    outputs = store.write_outputs(workdir, "topics", {"t": pa.table({"x": [1]})})
    store.write_manifest(workdir, "topics", params=params, inputs={"a": "h1"}, outputs=outputs,
                         started=0, finished=1)
    assert store.stage_state(workdir, "topics", params, {"a": "h1"}).state == "fresh"
    state = store.stage_state(workdir, "topics", {"k": 4}, {"a": "h2"})
    assert state.state == "stale"
    assert state.reasons == ["parameter k changed (3 -> 4)", "input a changed"]
    (workdir / "topics" / "t.parquet").unlink()
    assert store.stage_state(workdir, "topics", params, {"a": "h1"}).reasons == [
        "output t.parquet is missing"]


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_stage_folder_follows_the_umask(workdir: Path, umask: int) -> None:
    """A stage folder gets the mode any folder the user makes gets, not mkdtemp's 0700."""
    import os

    old = os.umask(umask)
    try:
        store.write_outputs(workdir, "terms", {"t": pa.table({"a": [1]})})
        store.write_outputs(workdir, "terms", {"t": pa.table({"a": [2]})})  # the swap path too
    finally:
        os.umask(old)
    assert (workdir / "terms").stat().st_mode & 0o777 == 0o777 & ~umask
