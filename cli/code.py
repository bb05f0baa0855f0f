"""`wenmai code`."""

from __future__ import annotations

import click

from cli.options import (
    App,
    echo_result,
    force_option,
    handle_errors,
    overrides_from,
    stage_options,
    subset_option,
)
from pipelines import code as stage

__all__ = ["code"]


@click.command("code")
@stage_options(stage.Params)
@force_option
@subset_option
@click.pass_obj
@handle_errors("code")
def code(app: App, force: bool, **options: object) -> None:
    """Code every sentence (paragraph, document) with a codebook's rules; REFI-QDA export.

    Writes codings, code frequencies, the code x year matrix, code co-occurrence, saturation
    and agreement (with --reference) tables, and codebook.qdc / project.qdpx for NVivo,
    ATLAS.ti or MAXQDA. Without a codebook the tables are empty (the figures and report leave
    coding out). Every option can also be set in the [code] section of wenmai.toml. A rule
    is words, "phrases", /regexes/, and/or/not, near(a, b, n), sentence(...), paragraph(...)
    and @other_code (see docs/code.md).

    \b
    Example:
      wenmai code --codebook builtin:policy_instruments --unit paragraph
      wenmai show code_frequencies
      wenmai code --codebook my_codes.yaml --reference reviewed_in_nvivo.qdpx
      wenmai code --coding-from coded_in_nvivo.qdpx --unit paragraph
      wenmai code --coding-from sample.qdpx --classifier logistic --codebook my_codes.yaml
      wenmai code --audit 20        # code/audit_sheet.xlsx to judge
      wenmai code --audit-results audit_filled.xlsx
    """
    from pipelines.core.config import resolve_params
    from pipelines.core.runner import run_stage
    from pipelines.subsets import narrowed, scope

    config = app.config()
    where = scope(config, app.workdir(config), app.subset_option)
    workdir = where.folder(stage.NAME)
    params = resolve_params(stage, config, narrowed(stage, config, where,
                                                    overrides_from(stage.Params, options)))
    if params.codebook is None and params.coding_from is None:  # empty tables: figures still run
        click.echo("code: no codebook; the code tables are empty. Give --codebook FILE or set "
                   "codebook in [code] of wenmai.toml (shipped: builtin:vocational_poverty, "
                   "builtin:policy_instruments)", err=True)
    echo_result(run_stage(stage, workdir, params, force=force, root=config.base,
                          sources=where.sources_of(stage.NAME)), workdir)
