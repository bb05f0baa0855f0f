"""Figure outputs: the CSV beside each figure, A4 sizes, PDF, and bytes that do not depend on
the interpreter's hash seed."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys

import pytest

from pipelines.core.engine import can_fork
from pipelines.figures import FIGURES, Params, compute
from tests.conftest import ROOT
from tests.figures.test_stage import FAST, _tables


def _csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_csv_beside_each_figure_holds_the_data_drawn() -> None:
    out = compute(_tables(), Params(**FAST, top_n=3, formats=("png",)))
    terms = _tables()["terms/terms"].to_pylist()
    top = sorted(terms, key=lambda r: (-r["tf"], r["term"]))[:3]
    assert _csv(out["term_frequency.csv"]) == [{"term": r["term"], "tf": str(r["tf"])}
                                               for r in top]
    network = _csv(out["network.csv"])
    nodes = [r for r in network if r["kind"] == "node"]
    assert {r["term"] for r in nodes} <= {r["term"] for r in
                                          _tables()["network/nodes"].to_pylist()}
    assert all(r["source"] and r["target"] for r in network if r["kind"] == "edge")
    assert {r["k"] for r in _csv(out["model_selection.csv"])} >= {"2", "3"}


def _svg_width_pt(svg: bytes) -> float:
    return float(re.search(rb'<svg[^>]* width="([\d.]+)pt"', svg).group(1))


def test_a4_single_and_double_column_widths() -> None:
    for size, cm in (("single", 8.5), ("double", 17.0)):
        out = compute(_tables(), Params(**FAST, formats=("svg",), size=size, csv=False))
        for name, data in out.items():
            assert abs(_svg_width_pt(data) - cm / 2.54 * 72) < 0.5, (size, name)


def test_pdf_format() -> None:
    out = compute(_tables(), Params(**FAST, formats=("pdf",), csv=False))
    assert out and all(v.startswith(b"%PDF") for v in out.values())
    assert all(b"CreationDate" not in v for v in out.values())


SCRIPT = """
import hashlib, json
from pipelines.figures import Params, compute
from tests.figures.test_stage import FAST, _tables
out = compute(_tables(), Params(**FAST, formats=("png", "svg", "pdf")))
print(json.dumps({k: hashlib.sha256(v).hexdigest() for k, v in sorted(out.items())}))
"""


def test_every_figure_is_byte_identical_across_hash_seeds() -> None:
    """Two fresh interpreters with different PYTHONHASHSEED draw the same bytes."""
    digests = []
    for seed in ("1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                              env=env, cwd=ROOT, timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
        digests.append(done.stdout.strip().splitlines()[-1])
    first, second = (json.loads(d) for d in digests)
    assert sorted(first) == sorted(second)
    assert [k for k in first if first[k] != second[k]] == []


@pytest.mark.skipif(not can_fork(), reason="forked workers need Linux and the local engine")
def test_forked_workers_write_the_same_files_as_one_process(monkeypatch) -> None:
    from pipelines.core import engine

    calls = []

    def spy(run_part, count, workers, **kwargs):
        calls.append((count, workers))
        return real(run_part, count, workers, **kwargs)

    real = engine.map_forked
    monkeypatch.setattr(engine, "map_forked", spy)
    fast = {**FAST, "formats": ("png", "svg", "pdf")}
    one = compute(_tables(), Params(**fast, workers=1))
    assert calls == []
    two = compute(_tables(), Params(**fast, workers=2))
    assert calls == [(len(FIGURES), 2)]  # every figure of the hand-made tables, 2 processes
    assert list(two) == list(one)  # the same files, in the same order
    assert [name for name in one if two[name] != one[name]] == []
