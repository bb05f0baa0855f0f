"""Shared fixtures: a work folder, a tiny toy stage for runner tests, the sample corpus path."""

from __future__ import annotations

import types
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pytest

from pipelines.core.params import param

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SAMPLE = ROOT / "data" / "sample"


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """An empty work folder."""
    path = tmp_path / "work"
    path.mkdir()
    return path


@pytest.fixture
def shared() -> Path:
    """The shared corpora folder beside the project; skips when a user's clone lacks it."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not present (only CI and developers have it)")
    return SHARED


@dataclass(frozen=True)
class ToyParams:
    """Params of the toy stage used to test the runner."""

    factor: int = param(2, "Multiply by this.", min=1, max=10)
    label: str = param("x", "A label.", choices=("x", "y"))
    words: tuple[str, ...] = param((), "Some words.")
    source: str | None = param(None, "A file to read.", path=True)
    workers: int = param(1, "Worker processes.", key=False)


def _toy_compute(tables: dict[str, pa.Table], params: ToyParams) -> dict[str, object]:
    values = [1, 2, 3]
    if params.source:
        values = [int(v) for v in Path(params.source).read_text().split()]
    table = pa.table({"value": [v * params.factor for v in values],
                      "label": [params.label] * len(values)})
    return {"numbers": table, "note.txt": f"factor {params.factor}\n"}


def _toy_external(params: ToyParams) -> list[Path]:
    return [Path(params.source)] if params.source else []


def _toy_double_compute(tables: dict[str, pa.Table], params: ToyParams) -> dict[str, object]:
    numbers = tables["toy/numbers"]
    return {"doubled": pa.table({"value": [v * 2 for v in numbers["value"].to_pylist()]})}


@pytest.fixture
def toy_stage() -> types.ModuleType:
    """A minimal stage module that keeps the stage contract (docs/stages.md)."""
    module = types.ModuleType("toy")
    module.NAME = "toy"
    module.INPUTS = ()
    module.OUTPUTS = ("numbers",)
    module.SCHEMAS = {"numbers": pa.schema([("value", pa.int64()), ("label", pa.string())])}
    module.Params = ToyParams
    module.compute = _toy_compute
    module.external_inputs = _toy_external
    return module


@pytest.fixture
def toy_downstream() -> types.ModuleType:
    """A stage that reads the toy stage's table."""
    module = types.ModuleType("toy2")
    module.NAME = "toy2"
    module.INPUTS = ("toy/numbers",)
    module.OUTPUTS = ("doubled",)
    module.SCHEMAS = {}
    module.Params = ToyParams
    module.compute = _toy_double_compute
    return module


