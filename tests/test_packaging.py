"""What `pip install wenmai` installs: every package, the shipped data, and extras that stay
optional. The built wheel itself is checked by `make wheel-check` (.ci/wheel-check)."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

from click.testing import CliRunner

from cli import wenmai
from pipelines.core import resources
from tests.conftest import ROOT, SAMPLE

SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
    "setuptools"]


def test_every_package_and_data_folder_is_listed() -> None:
    listed = set(SETUPTOOLS["packages"])
    code = {".".join(p.parent.relative_to(ROOT).parts)
            for top in ("cli", "pipelines") for p in (ROOT / top).rglob("__init__.py")}
    data = {".".join(("pipelines", *p.relative_to(ROOT).parts))
            for p in [ROOT / "data", *(ROOT / "data").rglob("*")]
            if p.is_dir() and p.name != "__pycache__"}
    assert listed == code | data
    assert SETUPTOOLS["package-dir"] == {"pipelines.data": "data"}


def test_shipped_data_is_found_in_the_checkout() -> None:
    assert resources.DATA_DIR == (ROOT / "data").resolve()
    assert resources.data_path("fonts", "NotoSansCJKsc-Regular-subset.otf").is_file()


def test_an_installed_data_folder_comes_first(tmp_path: Path, monkeypatch) -> None:
    """In an installed wheel, site-packages/pipelines/data is used, not a stray data/ beside it
    (where the failing wheel of issue 25 looked)."""
    installed = tmp_path / "site-packages" / "pipelines"
    (installed / "data" / "dicts").mkdir(parents=True)
    (installed / "data" / "dicts" / "education_policy.txt").write_text("职业教育 10 n\n")
    monkeypatch.setattr(resources, "files", lambda package: installed)
    assert resources.data_dir() == (installed / "data").resolve()
    (installed / "data" / "dicts" / "education_policy.txt").unlink()  # not this one: no marker
    assert resources.data_dir() == (ROOT / "data").resolve()


def test_init_example_copies_the_sample_project(tmp_path: Path) -> None:
    runner = CliRunner()
    target = tmp_path / "try"
    result = runner.invoke(wenmai, ["init", "--example", str(target)])
    assert result.exit_code == 0, result.output
    copied = sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file())
    shipped = sorted(p.relative_to(SAMPLE).as_posix() for p in SAMPLE.rglob("*") if p.is_file())
    assert copied == shipped
    assert (target / "wenmai.toml").read_bytes() == (SAMPLE / "wenmai.toml").read_bytes()
    again = runner.invoke(wenmai, ["init", "--example", str(target)])
    assert again.exit_code == 2
    assert f"Error: {target / 'wenmai.toml'} exists; use --force to overwrite it" in again.stderr
    assert runner.invoke(wenmai, ["init", "--example", "--force", str(target)]).exit_code == 0
    both = runner.invoke(wenmai, ["init", "--example", "--inputs", "x", str(tmp_path / "b")])
    assert both.exit_code == 2 and "--inputs and --example exclude each other" in both.stderr


def _one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("Error:")]
    assert len(errors) == 1 and "Traceback" not in stderr, stderr
    return errors[0]


def test_missing_dask_is_one_line_before_any_stage_runs(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "dask.distributed", None)  # import fails as if absent
    result = CliRunner().invoke(wenmai, ["--workdir", str(tmp_path / "work"), "--engine", "dask",
                                         "ingest", str(SAMPLE / "docs")])
    assert result.exit_code == 1
    assert _one_error_line(result.stderr) == (
        "Error: engine dask needs Dask: pip install 'wenmai[dask]' (or 'dask[distributed]'), "
        "or choose --engine local")
    assert not (tmp_path / "work" / "ingest").exists()


def test_missing_fsspec_is_one_line(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "fsspec.core", None)
    result = CliRunner().invoke(wenmai, ["--workdir", str(tmp_path / "work"), "ingest",
                                         "--remote", "s3://bucket/reports/"])
    assert result.exit_code == 2
    assert "pip install 'wenmai[remote]'" in _one_error_line(result.stderr)
