"""The command reference cannot drift from the CLI: docs/cli.md is what the commands say, and
every command and option explains itself (datasette's test_docs.py, sqlite-utils' cog check)."""

from __future__ import annotations

import click
import pytest

from cli.reference import commands, reference
from tests.conftest import ROOT

COMMANDS = commands()


def test_cli_reference_is_up_to_date() -> None:
    written = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert written == reference(), "docs/cli.md is out of date: run `make docs` and commit it"


def test_reference_lists_every_command_and_option() -> None:
    text = reference()
    for path, command in COMMANDS:
        assert f"\n## {path}\n" in text
        for param in command.params:
            if isinstance(param, click.Option):
                assert any(opt in text for opt in param.opts), (path, param.opts)


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[p for p, _ in COMMANDS])
def test_every_option_has_help(path: str, command: click.Command) -> None:
    for param in command.params:
        if isinstance(param, click.Option):
            assert (param.help or "").strip(), f"{path} {param.opts[0]} has no help text"


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[p for p, _ in COMMANDS])
def test_every_command_has_a_summary_an_example_and_names_its_arguments(
        path: str, command: click.Command) -> None:
    help_text = command.help or ""
    assert help_text.strip(), f"{path} has no help"
    assert "Example" in help_text, f"{path}: its help gives no example"
    for param in command.params:
        if isinstance(param, click.Argument):
            assert param.human_readable_name in help_text, (path, param.name)


def test_the_check_fails_on_a_changed_option(monkeypatch: pytest.MonkeyPatch) -> None:
    from cli import wenmai

    option = next(p for p in wenmai.get_command(click.Context(wenmai), "status").params
                  if p.name == "check")
    monkeypatch.setattr(option, "help", "Changed.")
    assert reference() != (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
