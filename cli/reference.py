"""The command reference, ``docs/cli.md``, rendered from the Click commands themselves.

``make docs`` writes it (``python -m cli.reference docs/cli.md``) and ``tests/test_docs.py``
fails when the file differs from what the commands say, so the reference cannot drift from
the CLI (sqlite-utils keeps its CLI reference true the same way with cog).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

__all__ = ["reference", "commands", "WIDTH"]

#: The width the help is rendered at, whatever the terminal of whoever runs ``make docs``.
WIDTH = 100


def commands() -> list[tuple[str, click.Command]]:
    """``("wenmai", group)`` and then each command as ``("wenmai NAME", command)``, in the
    order ``wenmai --help`` lists them."""
    from cli import wenmai

    ctx = click.Context(wenmai, info_name="wenmai", **wenmai.context_settings)
    return [("wenmai", wenmai)] + [(f"wenmai {name}", wenmai.get_command(ctx, name))
                                   for name in wenmai.list_commands(ctx)]


def _help(path: str, command: click.Command) -> str:
    """The command's ``--help`` as the terminal shows it, at :data:`WIDTH` columns."""
    from cli import wenmai

    # the group's settings (-h as well as --help), as `wenmai` itself makes its context
    settings = {**wenmai.context_settings, "terminal_width": WIDTH, "max_content_width": WIDTH}
    parent = click.Context(wenmai, info_name="wenmai", **settings)
    ctx = (parent if command is wenmai else
           click.Context(command, info_name=path.split()[-1], parent=parent,
                         terminal_width=WIDTH, max_content_width=WIDTH))
    return command.get_help(ctx)


def _anchor(path: str) -> str:
    return path.replace(" ", "-")


def reference() -> str:
    """The whole of ``docs/cli.md``: an index of the commands, then each command's help
    (usage, summary, examples, every option with its default)."""
    found = commands()
    lines = ["# Command reference", "",
             "<!-- Generated from the Click commands by `make docs` (cli/reference.py); do not "
             "edit by hand: tests/test_docs.py fails when this file differs from the CLI. -->",
             "",
             "Every command, its options and their defaults, and examples, as `wenmai COMMAND "
             "--help` prints them. Options of the `wenmai` group (`--config`, `--workdir`, "
             "`--engine`, `-v`, ...) come before the command: `wenmai --workdir work topics "
             "--k 3..12`. Stage options can also be set in `wenmai.toml` (one section per stage, "
             "`min_df` for `--min-df`); the command line wins.", "",
             "| command | what it does |", "|---|---|"]
    for path, command in found:
        summary = command.get_short_help_str(limit=200).replace("|", "\\|")
        lines.append(f"| [`{path}`](#{_anchor(path)}) | {summary} |")
    for path, command in found:
        lines += ["", f"## {path}", "", "```text", _help(path, command).rstrip(), "```"]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    """Write the reference to the file named by ``argv[0]``, or print it."""
    text = reference()
    if argv:
        Path(argv[0]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main(sys.argv[1:])
