"""The `wenmai` command group: global options, logging, and every command."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from cli.code import code
from cli.figures import figures
from cli.ingest import ingest
from cli.init import init
from cli.kwic import kwic
from cli.network import network
from cli.options import App
from cli.report import report
from cli.run import run
from cli.segment import segment
from cli.show import show
from cli.status import status
from cli.terms import terms
from cli.topics import topics
from pipelines import __version__
from pipelines.core.engine import ENGINES

__all__ = ["main", "wenmai"]


def _setup_logging(verbose: int, quiet: bool) -> None:
    level = logging.WARNING if quiet else logging.DEBUG if verbose > 1 else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log = logging.getLogger("wenmai")
    log.handlers[:] = [handler]
    log.setLevel(level)
    log.propagate = False


class _InOrder(click.Group):
    """List commands in pipeline order, not alphabetically."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)


@click.group(cls=_InOrder,
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
    _setup_logging(verbose, quiet)
    ctx.obj = App(config_path, workdir, debug, engine, scheduler)


for command in (init, ingest, segment, terms, topics, network, code, figures, report, run, status,
                show, kwic):
    wenmai.add_command(command)


def main() -> None:
    """Console-script entry point."""
    wenmai(prog_name="wenmai")
