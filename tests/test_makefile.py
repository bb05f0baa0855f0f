"""The Makefile's stage targets follow wenmai's freshness: nothing to do after a finished
run, and `make figures` after a change of [topics] reruns topics and figures."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLE

pytestmark = pytest.mark.slow


def _make(target: str, project: Path, work: Path, *flags: str) -> str:
    wenmai = (f"{shlex.quote(sys.executable)} -c 'import cli; cli.main()' "
              f"--config {shlex.quote(str(project / 'wenmai.toml'))} "
              f"--workdir {shlex.quote(str(work))}")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(["make", "-C", str(ROOT), *flags, target, "SETUP=",
                           f"WENMAI={wenmai}"], capture_output=True, text=True, env=env,
                          timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")
def test_make_follows_wenmai_freshness(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(SAMPLE, project)
    config = project / "wenmai.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('k = "2..6"', 'k = "2..3"'),
                      encoding="utf-8")
    work = tmp_path / "work"
    _make("figures", project, work)
    assert (work / "figures" / "manifest.json").exists()
    assert not (work / "report").exists()  # --until figures
    assert "Nothing to be done for 'figures'" in _make("figures", project, work, "-n")
    config.write_text(config.read_text(encoding="utf-8").replace('k = "2..3"', 'k = "2..4"'),
                      encoding="utf-8")
    planned = _make("figures", project, work, "-n")
    assert "run --until figures" in planned
    _make("figures", project, work)
    figures = (work / "figures" / "manifest.json").read_text(encoding="utf-8")
    assert (work / "topics" / "manifest.json").read_text(encoding="utf-8").count('"2..4"') == 1
    assert "Nothing to be done for 'figures'" in _make("figures", project, work, "-n")
    _make("report", project, work)
    assert (work / "report" / "report.html").exists()
    assert "Nothing to be done for 'report'" in _make("report", project, work, "-n")
    assert (work / "figures" / "manifest.json").read_text(encoding="utf-8") == figures
