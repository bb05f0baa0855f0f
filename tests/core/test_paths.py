"""Paths from manifests, config files and table names stay inside their folder; work folders
carry a marker, and wenmai refuses to write into a folder with other files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import wenmai
from pipelines.core import store
from pipelines.core.config import load_config
from pipelines.core.errors import ConfigError, UnsafePath
from pipelines.core.paths import MARKER, check_workdir, safe_child, safe_children
from pipelines.core.runner import current_state, run_stage
from tests.conftest import SAMPLE, ToyParams


def _crafted(workdir: Path, stage: str, names: list[str]) -> None:
    path = workdir / stage / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    for name in names:
        manifest["outputs"][name] = {"size": 1, "mtime_ns": 1, "sha256": "0" * 64}
    path.write_text(json.dumps(manifest), encoding="utf-8")


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    """A file of the user's, outside the work folder."""
    path = tmp_path / "thesis.docx"
    path.write_bytes(b"three years of work")
    return path


def _names(workdir: Path, victim: Path) -> dict[str, str]:
    outside = victim.parent / "outside"
    outside.mkdir(exist_ok=True)
    (outside / "x.parquet").write_bytes(b"keep")
    (workdir / "toy" / "linked").symlink_to(outside, target_is_directory=True)
    (workdir / "toy" / "link.docx").symlink_to(victim)
    return {"relative": "../../thesis.docx", "absolute": str(victim),
            "symlinked folder": "linked/x.parquet", "symlinked file": "link.docx"}


@pytest.mark.parametrize("kind", ["relative", "absolute", "symlinked folder", "symlinked file"])
def test_crafted_manifest_never_touches_a_file_outside(workdir: Path, victim: Path, toy_stage,
                                                       kind: str) -> None:
    run_stage(toy_stage, workdir, ToyParams())
    name = _names(workdir, victim)[kind]
    _crafted(workdir, "toy", [name])
    with pytest.raises(UnsafePath, match="lies outside"):
        run_stage(toy_stage, workdir, ToyParams(factor=3))
    with pytest.raises(UnsafePath, match="lies outside"):
        current_state(toy_stage, workdir, ToyParams())
    assert victim.read_bytes() == b"three years of work"
    assert (victim.parent / "outside" / "x.parquet").read_bytes() == b"keep"


def test_a_run_through_the_cli_refuses_with_one_line(tmp_path: Path, victim: Path) -> None:
    project = tmp_path / "proj"
    shutil.copytree(SAMPLE, project)
    work = tmp_path / "w"
    runner = CliRunner()
    common = ["--config", str(project / "wenmai.toml"), "--workdir", str(work)]
    assert runner.invoke(wenmai, [*common, "ingest"]).exit_code == 0
    _crafted(work, "ingest", ["../thesis.docx", str(victim)])
    for command in ([*common, "ingest", "--force"], [*common, "status"]):
        result = runner.invoke(wenmai, command)
        assert result.exit_code == 1, result.output
        assert len(result.stderr.strip().splitlines()) == 1
        assert result.stderr.startswith("Error: ") and "lies outside" in result.stderr
    assert victim.exists()


def test_output_names_of_a_stage_stay_inside(workdir: Path) -> None:
    with pytest.raises(UnsafePath):
        store.write_outputs(workdir, "figures", {"../escape.png": b"x"})
    with pytest.raises(UnsafePath):
        store.write_outputs(workdir, "../figures", {"a.png": b"x"})
    assert not (workdir.parent / "escape.png").exists()


@pytest.mark.parametrize("name", ["../../etc/passwd", "/etc/passwd", "ingest/../../x"])
def test_table_names_stay_inside(workdir: Path, name: str) -> None:
    with pytest.raises(UnsafePath):
        store.table_path(workdir, name)


@pytest.mark.parametrize("name", ["a.parquet", "sub/a.png", "模型.bin"])
def test_plain_names_are_fine(tmp_path: Path, name: str) -> None:
    assert safe_child(tmp_path, name, what="test") == tmp_path / name


def _config(project: Path, body: str) -> Path:
    project.mkdir(exist_ok=True)
    path = project / "wenmai.toml"
    path.write_text(body, encoding="utf-8")
    return path


@pytest.mark.parametrize("value", ["/etc", "../elsewhere", "~/.ssh", "docs/../../x",
                                   "linked", "linked/*.txt", "/tmp/*.txt"])
def test_config_paths_outside_the_project_are_refused(tmp_path: Path, value: str) -> None:
    from pipelines.stages import STAGES

    project = tmp_path / "proj"
    project.mkdir()
    (project / "linked").symlink_to(tmp_path, target_is_directory=True)
    cfg = _config(project, f'[segment]\nstopwords = ["{value}"]\n')
    with pytest.raises(ConfigError, match="lies outside the project folder"):
        load_config(cfg, STAGES)
    load_config(_config(project, f'[ingest]\ninputs = ["{value}"]\n'), STAGES)  # inputs: fine


@pytest.mark.parametrize("value", ["/", "..", "../work"])
def test_config_workdir_outside_the_project_is_refused(tmp_path: Path, value: str) -> None:
    from pipelines.stages import STAGES

    cfg = _config(tmp_path / "proj", f'workdir = "{value}"\n')
    with pytest.raises(ConfigError, match="workdir: .* lies outside the project folder"):
        load_config(cfg, STAGES)


def test_config_paths_inside_the_project_are_kept(tmp_path: Path) -> None:
    from pipelines.core.config import resolve_params
    from pipelines.stages import STAGES

    project = tmp_path / "proj"
    (project / "docs").mkdir(parents=True)
    cfg = _config(project, 'workdir = "work"\n[ingest]\ninputs = ["docs", "docs/*.txt"]\n')
    config = load_config(cfg, STAGES)
    assert config.workdir == (project / "work").resolve()
    params = resolve_params(STAGES["ingest"], config, {})
    assert params.inputs == (str(project / "docs"), str(project / "docs/*.txt"))
    # the command line may name any folder
    outside = resolve_params(STAGES["ingest"], config, {"inputs": (str(tmp_path),)})
    assert outside.inputs == (str(tmp_path),)


def test_a_folder_with_other_files_is_refused_unless_forced(tmp_path: Path, toy_stage) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(UnsafePath, match="not a wenmai work folder"):
        run_stage(toy_stage, folder, ToyParams())
    assert not (folder / "toy").exists()
    with pytest.raises(UnsafePath, match="not a wenmai work folder"):
        check_workdir(Path("/"))
    run_stage(toy_stage, folder, ToyParams(), force=True)
    assert (folder / MARKER).is_file() and (folder / "notes.txt").read_text() == "mine"
    assert not run_stage(toy_stage, folder, ToyParams()).ran  # a work folder now


def test_new_empty_and_older_work_folders_are_accepted(tmp_path: Path, toy_stage) -> None:
    run_stage(toy_stage, tmp_path / "new", ToyParams())
    assert (tmp_path / "new" / MARKER).is_file()
    (tmp_path / "empty").mkdir()
    run_stage(toy_stage, tmp_path / "empty", ToyParams())
    older = tmp_path / "new"
    (older / MARKER).unlink()  # as an older wenmai left it: stage folders with manifests
    assert not run_stage(toy_stage, older, ToyParams()).ran


def test_cli_refuses_a_folder_that_is_not_a_work_folder(tmp_path: Path) -> None:
    (tmp_path / "essay.md").write_text("mine", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(wenmai, ["--workdir", str(tmp_path), "ingest", str(SAMPLE / "docs")])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and "--force" in result.stderr
    assert not (tmp_path / "ingest").exists()
    result = runner.invoke(wenmai, ["--workdir", str(tmp_path), "ingest", str(SAMPLE / "docs"),
                                    "--force"])
    assert result.exit_code == 0, result.stderr


def test_many_names_are_checked_like_one(tmp_path: Path) -> None:
    folder, outside = tmp_path / "stage", tmp_path / "outside"
    (folder / "tokens").mkdir(parents=True)
    outside.mkdir()
    names = [f"tokens/part-{i:05d}.parquet" for i in range(3)]
    assert safe_children(folder, names, what="m") == [folder / n for n in names]
    (folder / "tokens" / "part-00009.parquet").symlink_to(outside / "x.parquet")
    (folder / "linked").symlink_to(outside)
    for name in ("tokens/part-00009.parquet", "linked/part-00000.parquet", "../x",
                 "/etc/passwd", ""):
        with pytest.raises(UnsafePath):
            safe_child(folder, name, what="m")
        with pytest.raises(UnsafePath):
            safe_children(folder, [*names, name], what="m")
