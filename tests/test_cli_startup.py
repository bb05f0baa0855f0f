"""`wenmai --version` and `--help` start without importing any stage (issue 24)."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from cli import COMMANDS

_PROBE = """
import sys
from cli import wenmai
try:
    wenmai([{arg!r}], prog_name="wenmai")
except SystemExit:
    pass
heavy = sorted(m for m in sys.modules
               if m.split(".")[0] in ("pyarrow", "pandas", "matplotlib", "jieba", "gensim")
               or m.startswith(("pipelines.topics", "pipelines.network", "pipelines.code",
                                "pipelines.ingest", "pipelines.segment", "pipelines.figures",
                                "pipelines.core.store", "cli.options")))
print("HEAVY", heavy, file=sys.stderr)
"""


@pytest.mark.parametrize("arg", ["--version", "--help"])
def test_version_and_help_import_no_stage(arg: str) -> None:
    done = subprocess.run([sys.executable, "-c", _PROBE.format(arg=arg)],
                          capture_output=True, text=True, timeout=60)
    assert "HEAVY []" in done.stderr, done.stderr
    assert "wenmai" in done.stdout


@pytest.mark.parametrize("name", list(COMMANDS))
def test_listed_help_is_the_commands_own(name: str) -> None:
    """The group's list of commands (kept in cli/__init__ so listing imports nothing) says
    what each command's docstring says."""
    command = getattr(importlib.import_module(f"cli.{name}"), name)
    assert COMMANDS[name] == command.get_short_help_str(limit=1000)
