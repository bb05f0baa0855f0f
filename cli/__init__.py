"""The `wenmai` command group: global options, logging, and every command."""

from __future__ import annotations

import importlib
import logging
import sys
from pathlib import Path

import click

from pipelines import __version__
from pipelines.core.engine import ENGINES

__all__ = ["main", "wenmai"]


def _setup_logging(verbose: int, quiet: bool) -> None:
    level = logging.WARNING if quiet else logging.DEBUG if verbose > 1 else logging.INFO
    from pipelines.core.progress import LogHandler

    handler = LogHandler(sys.stderr)  # through the progress bars, never onto them
    handler.setFormatter(logging.Formatter("%(message)s"))
    log = logging.getLogger("wenmai")
    log.handlers[:] = [handler]
    log.setLevel(level)
    log.propagate = False


#: Each command, in pipeline order, with its one-line help (the first sentence of its
#: docstring; a test keeps the two equal). A command's module, and with it the stage and its
#: libraries, is imported only when that command runs or shows its own help, so
#: ``wenmai --version`` and ``wenmai --help`` start as fast as Python does.
COMMANDS: dict[str, str] = {
    "init": "Write a commented wenmai.toml listing every option of every stage.",
    "ingest": "Read document files, folders or globs into the documents table.",
    "segment": "Cut documents into sentences and tokens: jieba for Chinese, a lemmatiser for "
               "English.",
    "terms": "Count terms and find each document's keywords by keyness (G2, log ratio) or "
             "TF-IDF.",
    "topics": "Fit LDA or NMF topic models over a range of topic counts and score each k.",
    "network": "Build the word co-occurrence network with centralities, communities and "
               "bursts.",
    "code": "Code every sentence (paragraph, document) with a codebook's rules; REFI-QDA "
            "export.",
    "figures": "Draw the thesis figures (PNG at 300 dpi and SVG) from the stage tables.",
    "report": "Write one self-contained HTML page for a methods chapter: "
              "WORKDIR/report/report.html.",
    "run": "Run every stage in order, skipping those whose outputs are fresh.",
    "status": "Say for each stage whether it is fresh, stale (and why) or missing.",
    "show": "Print the head of a table, or export it as CSV, JSON, JSON lines or Excel.",
    "kwic": "Show each occurrence of a segmented TERM in its context (keyword in context).",
}


class _Lazy(click.Group):
    """Commands in pipeline order, each imported (``cli.<name>``) only when it is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        return getattr(importlib.import_module(f"cli.{name}"), name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The list of commands from :data:`COMMANDS`, without importing any of them."""
        width = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [(name, click.Command(name, help=text).get_short_help_str(width))
                for name, text in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=_Lazy,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="wenmai")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Project file wenmai.toml (default: ./wenmai.toml if present).")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path),
              help="Work folder for all tables and figures (default: `workdir` in the config, "
                   "else ./work).")
@click.option("--engine", "engine", type=click.Choice(ENGINES),
              help="Where partitions run: local (this machine, forked workers), processes "
                   "(fresh worker processes) or dask (a Dask cluster; pip install "
                   "'wenmai[dask]').  [default: [engine] name in the config, else local]")
@click.option("--scheduler", metavar="URL",
              help="Dask scheduler address, e.g. tcp://host:8786 (implies --engine dask; "
                   "default: a LocalCluster on this machine).")
@click.option("-v", "--verbose", count=True, help="More progress on stderr (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors on stderr.")
@click.option("--debug", is_flag=True, help="Show the full traceback of any error.")
@click.pass_context
def wenmai(ctx: click.Context, config_path: Path | None, workdir: Path | None,
           engine: str | None, scheduler: str | None, verbose: int, quiet: bool,
           debug: bool) -> None:
    """wenmai (文脉): reproducible text mining of Chinese and English policy documents.

    Each stage reads and writes parquet tables in a work folder, records a manifest, and is
    skipped when its inputs and parameters have not changed.

    \b
    Stages, in order:
      ingest -> segment -> terms -> topics -> network -> code -> figures -> report

    \b
    Example, the whole pipeline on the shipped sample:
      wenmai --config data/sample/wenmai.toml --workdir work run
      wenmai --workdir work status
      wenmai --workdir work show model_selection
      wenmai --engine dask --scheduler tcp://head-node:8786 run
    """
    from cli.options import App

    _setup_logging(verbose, quiet)
    ctx.obj = App(config_path, workdir, debug, engine, scheduler)


def main() -> None:
    """Console-script entry point."""
    wenmai(prog_name="wenmai")
