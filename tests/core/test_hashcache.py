"""Input files are hashed again only when their size, mtime or ctime changed."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from pipelines.core import hashcache
from pipelines.core.runner import current_state, input_hashes, run_stage
from tests.conftest import ToyParams


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The files whose bytes were read for hashing."""
    seen: list[Path] = []
    real = hashcache.sha256_of

    def spy(path: Path) -> str:
        seen.append(Path(path))
        return real(path)

    monkeypatch.setattr(hashcache, "sha256_of", spy)
    return seen


def _old_file(path: Path, text: str) -> None:
    """Write ``text`` with an mtime a minute ago (older than the racy window)."""
    path.write_text(text)
    past = time.time() - 60
    os.utime(path, (past, past))


def test_unchanged_inputs_are_not_read_again(workdir: Path, tmp_path: Path, toy_stage,
                                             reads: list[Path]) -> None:
    source = tmp_path / "nums.txt"
    _old_file(source, "1 2")
    params = ToyParams(source=str(source))
    run_stage(toy_stage, workdir, params)
    assert reads == [source]
    assert not run_stage(toy_stage, workdir, params).ran
    assert current_state(toy_stage, workdir, params).state == "fresh"
    assert reads == [source]  # two freshness checks, no second read


def test_same_size_change_with_the_old_mtime_is_seen(workdir: Path, tmp_path: Path, toy_stage,
                                                     reads: list[Path]) -> None:
    source = tmp_path / "nums.txt"
    _old_file(source, "1 2")
    params = ToyParams(source=str(source))
    run_stage(toy_stage, workdir, params)
    st = source.stat()
    time.sleep(0.01)
    source.write_text("3 4")  # same size; mtime put back as `cp -p` or `rsync -t` would
    os.utime(source, ns=(st.st_atime_ns, st.st_mtime_ns))
    state = current_state(toy_stage, workdir, params)  # the ctime differs
    assert state.reasons == [f"input file:{source} changed"]
    assert reads == [source, source]


def test_a_file_written_just_before_hashing_is_hashed_again(workdir: Path, tmp_path: Path,
                                                            toy_stage,
                                                            reads: list[Path]) -> None:
    source = tmp_path / "nums.txt"
    source.write_text("1 2")  # mtime now: within the filesystem's timestamp resolution
    params = ToyParams(source=str(source))
    run_stage(toy_stage, workdir, params)
    assert current_state(toy_stage, workdir, params).state == "fresh"
    assert len(reads) == 2  # not trusted yet, so read again


def test_a_missing_or_broken_cache_means_hashing(workdir: Path, tmp_path: Path, toy_stage,
                                                 reads: list[Path]) -> None:
    source = tmp_path / "nums.txt"
    _old_file(source, "1 2")
    params = ToyParams(source=str(source))
    run_stage(toy_stage, workdir, params)
    cache = workdir / ".cache" / "inputs-toy.json"
    cache.unlink()  # a work folder made before the cache existed
    assert current_state(toy_stage, workdir, params).state == "fresh"
    assert cache.is_file()
    cache.write_text("{not json")
    assert current_state(toy_stage, workdir, params).state == "fresh"
    assert len(reads) == 3
    assert input_hashes(toy_stage, workdir, params) == {
        f"file:{source}": hashcache.sha256_of(source)}


def test_checking_a_folder_that_is_no_work_folder_writes_nothing(tmp_path: Path, toy_stage
                                                                 ) -> None:
    source = tmp_path / "nums.txt"
    _old_file(source, "1 2")
    other = tmp_path / "documents"
    other.mkdir()
    (other / "thesis.docx").write_text("x")
    current_state(toy_stage, other, ToyParams(source=str(source)))
    assert sorted(p.name for p in other.iterdir()) == ["thesis.docx"]
