"""Inputs named by URL: read with fsspec where they lie (here its in-memory filesystem), the
same documents as from disk, and freshness from the filesystem's version of each file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipelines import ingest
from pipelines.core import remote
from pipelines.core.errors import BadParams, MissingInput
from pipelines.core.runner import current_state, run_stage
from tests.conftest import SAMPLE
from tests.ingest.helpers import run

fsspec = pytest.importorskip("fsspec")


@pytest.fixture
def bucket(tmp_path: Path):
    """The sample's documents (and one hidden file) copied into ``memory://corpus``."""
    fs = fsspec.filesystem("memory")
    root = f"/corpus-{tmp_path.name}"
    local = tmp_path / "docs"
    shutil.copytree(SAMPLE / "docs", local)
    for path in sorted(local.rglob("*")):
        if path.is_file():
            fs.pipe(f"{root}/{path.relative_to(local).as_posix()}", path.read_bytes())
    fs.pipe(f"{root}/.hidden.txt", b"not read")
    yield fs, root, local
    fs.rm(root, recursive=True)


def test_a_corpus_by_url_gives_the_documents_of_the_same_files_on_disk(bucket) -> None:
    _fs, root, local = bucket
    from_url = run(f"memory://{root}")
    from_disk = run(local)
    assert from_url["documents"] == from_disk["documents"]
    assert len(from_url["documents"]) >= 10
    assert [r["source"] for r in from_url["rejected"]] == [
        ".hidden.txt", *[r["source"] for r in from_disk["rejected"]]]
    files = remote.list_files(f"memory://{root}")
    assert files[0][0].startswith("memory://") and all(not r.startswith("/") for _, r, _ in files)


def test_freshness_follows_the_remote_files_version(bucket, tmp_path: Path) -> None:
    fs, root, _local = bucket
    work = tmp_path / "work"
    params = ingest.Params(inputs=(f"memory://{root}",), workers=1)
    assert run_stage(ingest, work, params).ran
    assert current_state(ingest, work, params).state == "fresh"
    name = sorted(p for p in fs.find(root) if p.endswith(".txt") and "hidden" not in p)[0]
    fs.pipe(name, fs.cat(name) + "\n新增一句。".encode())
    state = current_state(ingest, work, params)
    assert state.state == "stale" and any("url:memory://" in r for r in state.reasons)


def test_a_missing_url_or_protocol_is_one_clear_line() -> None:
    with pytest.raises(MissingInput, match="does not exist or holds no file"):
        remote.list_files("memory:///no-such-corpus/")
    with pytest.raises(BadParams, match="check the URL's scheme"):
        run("nosuchscheme://bucket/docs/")


def test_a_file_url_is_the_folder_it_names_under_one_rule(tmp_path: Path, monkeypatch) -> None:
    from click.testing import CliRunner

    from cli import wenmai

    docs = tmp_path / "elsewhere"
    shutil.copytree(SAMPLE / "docs", docs)
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    runner = CliRunner()
    for named in (docs.as_uri(), str(docs)):  # the same folder, as a URL and as a path
        result = runner.invoke(wenmai, ["ingest", named, "--force"])
        assert result.exit_code == 0, result.output
        assert "1 input(s) lie outside the project folder" in result.output
        # recorded inputs outside the project (or URLs) are not reused by `status`: the same
        # answer for both spellings
        status = runner.invoke(wenmai, ["status"])
        assert f"the manifest names {docs} outside" in status.output


def test_a_recorded_network_url_is_not_fetched_again(bucket, tmp_path: Path,
                                                     monkeypatch) -> None:
    from click.testing import CliRunner

    from cli import wenmai

    _fs, root, _local = bucket
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    refused = runner.invoke(wenmai, ["ingest", f"memory://{root}"])
    assert refused.exit_code == 2 and "reading from the network is off" in refused.output
    result = runner.invoke(wenmai, ["ingest", f"memory://{root}", "--remote"])
    assert result.exit_code == 0, result.output
    status = runner.invoke(wenmai, ["status"])
    assert f"the manifest names memory://{root} outside" in status.output


def test_checking_freshness_asks_the_listing_not_each_file(bucket, tmp_path: Path,
                                                           monkeypatch) -> None:
    fs, root, _local = bucket
    work = tmp_path / "work"
    params = ingest.Params(inputs=(f"memory://{root}",), workers=1)
    run_stage(ingest, work, params)
    asked: list[str] = []
    info = type(fs).info
    monkeypatch.setattr(type(fs), "info", lambda self, path, **kw: (asked.append(path),
                                                                    info(self, path, **kw))[1])
    assert current_state(ingest, work, params).state == "fresh"
    files = [p for p in fs.find(root) if "hidden" not in p]
    assert len(files) >= 3 and len(asked) < len(files)  # a file's version comes from its listing
