"""Codebook coding: reads ``segment/tokens`` and ``ingest/documents``, writes ``code/codings``,
``code_frequencies``, ``code_matrix``, ``code_cooccurrence``, ``code_saturation``,
``code_reserve`` (with ``reference``: ``reference_codings`` and ``code_agreement``) and the files
``codebook.qdc``, ``project.qdpx`` (REFI-QDA) and ``code_network.gexf``.

Each code of the codebook (:mod:`pipelines.code.codebook`) has a rule
(:mod:`pipelines.code.rules`) evaluated on every coding unit (sentence, paragraph or
document); a unit where the rule holds is coded with the code, its group and its category.
Without a codebook (``[code] codebook`` unset) the stage writes empty tables and logs why, so
``wenmai run`` goes on for projects that do no coding; ``wenmai code`` itself asks for one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.code.agreement import AGREEMENT_SCHEMA
from pipelines.code.apply import LEVELS
from pipelines.code.compare import REFERENCE_SCHEMA
from pipelines.code.compare import compare as compare_reference
from pipelines.code.saturation import RESERVE_SCHEMA, SATURATION_SCHEMA
from pipelines.code.tables import (
    COOCCURRENCE_SCHEMA,
    FREQUENCIES_SCHEMA,
    MATRIX_SCHEMA,
    MEASURES,
)
from pipelines.core.errors import BadParams, EmptyCorpus, SchemaError
from pipelines.core.params import param
from pipelines.core.resources import data_path
from pipelines.core.store import StoredTable, iter_batches, read_all

if TYPE_CHECKING:  # pandas costs 0.25 s and 50 MB at import: loaded where it is used
    import pandas as pd

__all__ = ["NAME", "INPUTS", "OUTPUTS", "SCHEMAS", "CODINGS_SCHEMA", "Params", "compute",
           "external_inputs", "codebook_path"]

NAME = "code"
INPUTS = ("segment/tokens", "ingest/documents")
#: Read a batch at a time (the runner hands over :class:`store.StoredTable`\ s).
STREAMED = ("segment/tokens", "ingest/documents")
#: Documents coded together: their texts, tokens, units and rule masks are in memory at once
#: (about 300 MB for 2,048 policy documents of 6,000 characters).
BATCH_DOCS = 2048
OUTPUTS = ("codings", "code_frequencies", "code_matrix", "code_cooccurrence",
           "code_saturation", "code_reserve")

CODINGS_SCHEMA = pa.schema([
    ("doc_id", pa.string()), ("para_id", pa.int32()), ("sent_id", pa.int32()),
    ("group", pa.string()), ("category", pa.string()), ("code", pa.string()),
    ("matched", pa.list_(pa.string())), ("start", pa.int64()), ("end", pa.int64()),
    ("text", pa.string()),
])
SCHEMAS = {"codings": CODINGS_SCHEMA, "code_frequencies": FREQUENCIES_SCHEMA,
           "code_matrix": MATRIX_SCHEMA, "code_cooccurrence": COOCCURRENCE_SCHEMA,
           "code_saturation": SATURATION_SCHEMA, "code_reserve": RESERVE_SCHEMA,
           "code_agreement": AGREEMENT_SCHEMA, "reference_codings": REFERENCE_SCHEMA}

log = logging.getLogger("wenmai")


@dataclass(frozen=True)
class Params:
    """Parameters of the code stage (``[code]`` in wenmai.toml)."""

    codebook: str | None = param(None, "Codebook file (YAML: groups, categories, codes with "
                                 "rules), or builtin:vocational_poverty / "
                                 "builtin:policy_instruments; unset: `wenmai run` writes empty "
                                 "code tables.", path=True)
    unit: str = param("sentence", "Coding unit: a rule is tested on each sentence, paragraph "
                      "or whole document.", choices=LEVELS)
    by: tuple[str, ...] = param(("year",), "Document columns crossed with the codes in "
                                "code_matrix (year, source, lang, a metadata column).")
    measure: str = param("jaccard", "Association measure used as edge weight in "
                         "code_network.gexf (every measure is a column of code_cooccurrence).",
                         choices=MEASURES)
    reference: str | None = param(None, "A REFI-QDA project (.qdpx) with a human coding of the "
                                  "same documents: imported and compared (code_agreement).",
                                  path=True)
    reference_b: str | None = param(None, "A second human coding (.qdpx): code_agreement then "
                                    "compares the two human codings (reference = coder A).",
                                    path=True)
    orders: int = param(200, "Random case orders for the saturation band.", min=0, max=100000)
    reserve: int = param(0, "Cases (documents) held back at random for the saturation reserve "
                         "check.", min=0)
    seed: int = param(42, "Random seed of the reserve draw and the random orders.", min=0)
    workers: int = param(1, "Worker processes (0 = all cores); coding is per document.",
                         min=0, key=False)

    def __post_init__(self) -> None:
        if not self.by:
            raise BadParams("code: by is empty; give at least one document column, e.g. year")
        if self.reference_b and not self.reference:
            raise BadParams("code: reference_b is set without reference; give both human "
                            "codings to compare them")


def codebook_path(value: str) -> Path:
    """The codebook file: a path, or ``builtin:NAME`` for ``data/codebooks/NAME.yaml``."""
    if value.startswith("builtin:"):
        name = value.removeprefix("builtin:")
        return data_path("codebooks", name if name.endswith((".yaml", ".yml"))
                         else f"{name}.yaml")
    return Path(value)


def external_inputs(params: Params) -> list[Path]:
    """The codebook and the reference projects decide the result."""
    files = [codebook_path(params.codebook)] if params.codebook else []
    return files + [Path(p) for p in (params.reference, params.reference_b) if p]


def _empty(schema: pa.Schema) -> pa.Table:
    return schema.empty_table()


def compute(tables: dict[str, pa.Table | StoredTable], params: Params
            ) -> dict[str, pa.Table | bytes | str]:
    """Code the documents and build the tables and exchange files.

    Raises:
        BadInputFile: the codebook or the reference project is malformed.
        BadParams: a ``by`` column is not a documents column.
        EmptyCorpus: there are no documents.
    """
    if params.codebook is None:
        log.warning("code: no codebook set ([code] codebook or --codebook FILE); nothing "
                    "coded, the code tables are empty")
        return {name: _empty(SCHEMAS[name]) for name in OUTPUTS}
    from pipelines.code.codebook import load_codebook

    book = load_codebook(codebook_path(params.codebook))
    documents, tokens = tables["ingest/documents"], tables["segment/tokens"]
    missing = [c for c in ("doc_id", "text") if c not in documents.column_names]
    missing += [f"segment/tokens.{c}" for c in ("doc_id", "sent_id", "tokens")
                if c not in tokens.column_names]
    if missing:
        raise SchemaError(f"code: input lacks column(s) {', '.join(missing)}; rerun "
                          "`wenmai run --force`")
    bad = [c for c in params.by if c not in documents.column_names]
    if bad:
        choices = [c for c in documents.column_names if c not in ("text", "doc_id")]
        raise BadParams(f"code: by={bad[0]!r} is not a documents column; choose from "
                        + ", ".join(choices))
    if documents.num_rows == 0:
        raise EmptyCorpus("code: ingest/documents is empty; nothing to code")
    return _code(book, documents, tokens, params)


class _OutOfOrder(Exception):
    """The tokens do not come in the documents' order (walking them in step is not possible)."""


def _token_batches(documents: pa.Table | StoredTable, tokens: pa.Table | StoredTable,
                   rows: int) -> Iterator[tuple[list[str], list[str], pa.Table]]:
    """(doc_ids, texts, their tokens) for the documents, ``rows`` documents at a time.

    The tokens are walked in step with the documents (segment writes them in document
    order); rows of documents not in ``documents`` are skipped. Raises :class:`_OutOfOrder`
    when a token row belongs to a batch already given.
    """
    all_ids = read_all(documents, ["doc_id"]).column("doc_id").combine_chunks()
    token_iter = iter_batches(tokens, ["doc_id", "sent_id", "tokens"])
    pending: pa.Table | None = None
    pending_pos = np.zeros(0, dtype=np.int64)
    start = 0
    for batch in iter_batches(documents, ["doc_id", "text"], rows):
        end = start + batch.num_rows
        taken = []
        while True:
            if pending is None:
                nxt = next(token_iter, None)
                if nxt is None:
                    break
                pos = pc.index_in(nxt.column("doc_id"), value_set=all_ids)
                known = pc.is_valid(pos)
                pending = pa.Table.from_batches([nxt]).filter(known)
                pending_pos = pos.filter(known).to_numpy(zero_copy_only=False)
            if (pending_pos < start).any():
                raise _OutOfOrder
            here = pending_pos < end
            taken.append(pending.filter(pa.array(here)))
            if not here.all():
                pending, pending_pos = pending.filter(pa.array(~here)), pending_pos[~here]
                break
            pending = None
        ids = batch.column("doc_id").to_pylist()
        texts = [t or "" for t in batch.column("text").to_pylist()]
        columns = ["doc_id", "sent_id", "tokens"]
        part = (pa.concat_tables(taken) if taken
                else pa.schema([tokens.schema.field(c) for c in columns]).empty_table())
        yield ids, texts, part
        start = end


def _filtered_batches(documents: pa.Table | StoredTable, tokens: pa.Table | StoredTable,
                      rows: int) -> Iterator[tuple[list[str], list[str], pa.Table]]:
    """As :func:`_token_batches` for tokens in any order: the tokens are read whole."""
    whole = read_all(tokens, ["doc_id", "sent_id", "tokens"])
    for batch in iter_batches(documents, ["doc_id", "text"], rows):
        ids = batch.column("doc_id").to_pylist()
        mask = pc.is_in(whole.column("doc_id"), value_set=pa.array(ids, pa.string()))
        yield ids, [t or "" for t in batch.column("text").to_pylist()], whole.filter(mask)


def _code_batches(batches: Iterator[tuple[list[str], list[str], pa.Table]], book,
                  params: Params) -> list[dict]:
    """Code each batch of documents in partitions; the partitions' results in order."""
    from pipelines.code.apply import code_partition
    from pipelines.core.engine import map_partitions, partition, resolve_workers

    workers = resolve_workers(params.workers)
    results: list[dict] = []
    for doc_ids, texts, tokens in batches:
        parts = []
        for idx in partition(range(len(doc_ids)), workers * 4 if workers > 1 else 1):
            ids = [doc_ids[i] for i in idx]
            mask = pc.is_in(tokens.column("doc_id"), value_set=pa.array(ids, pa.string()))
            parts.append((ids, [texts[i] for i in idx],
                          tokens.filter(mask).select(["doc_id", "sent_id", "tokens"])))
        results += map_partitions(code_partition, parts, book, params.unit, workers=workers,
                                  label="code")
    return results


def _code(book, documents: pa.Table | StoredTable, tokens: pa.Table | StoredTable,
          params: Params) -> dict:
    import time

    from pipelines.code import refi
    from pipelines.code.saturation import saturation
    from pipelines.code.tables import code_gexf, cooccurrence, frequencies, matrix

    started = time.perf_counter()
    try:  # documents and tokens a batch at a time, the tokens walked in step
        results = _code_batches(_token_batches(documents, tokens, BATCH_DOCS), book, params)
    except _OutOfOrder:
        log.info("code: segment/tokens is not in document order; reading it whole")
        results = _code_batches(_filtered_batches(documents, tokens, BATCH_DOCS), book, params)
    codings, units = _collect(results)
    unseen = set.intersection(*(set(r["unseen"]) for r in results))
    split = unseen & set().union(*(r["split"] for r in results))
    if split:
        log.warning("code: %d word(s) of the codebook occur in the text but never as a "
                    "segmented token (segmentation cuts them differently); write them as "
                    "\"phrases\" to match the raw text: %s", len(split),
                    ", ".join(sorted(split)[:20]))
    log.info("code: %d %s units, %d coded segments, %d of %d codes used (%.2f s)", len(units),
             params.unit, len(codings), codings["code"].nunique() if len(codings) else 0,
             len(book.codes), time.perf_counter() - started)
    meta = read_all(documents, [c for c in documents.column_names if c != "text"])
    doc_ids = meta.column("doc_id").to_pylist()
    docs_df = meta.to_pandas()
    unit_chars = (units["end"] - units["start"]).to_numpy()
    freq = frequencies(codings, book, n_units=len(units), n_docs=len(doc_ids),
                       unit_chars=unit_chars)
    cooc = cooccurrence(codings, book, n_units=len(units))
    case_names = {level: codings.groupby("doc_id")[level].agg(set).to_dict()
                  for level in ("code", "category")}
    sat, reserve = saturation(doc_ids, case_names, orders=params.orders,
                              reserve=params.reserve, seed=params.seed)
    out: dict[str, pa.Table | bytes | str] = {
        "codings": pa.Table.from_pandas(codings[CODINGS_SCHEMA.names], schema=CODINGS_SCHEMA,
                                        preserve_index=False),
        "code_frequencies": freq,
        "code_matrix": matrix(codings, book, docs_df, units, params.by),
        "code_cooccurrence": cooc,
        "code_saturation": sat,
        "code_reserve": reserve,
        "codebook.qdc": refi.codebook_qdc(book),
        "code_network.gexf": code_gexf(freq, cooc, measure=params.measure),
    }
    variables = tuple(c for c in documents.column_names
                      if c not in ("doc_id", "text", "n_chars", "part"))
    # the archive holds every text (built in memory); the texts are read a batch at a time
    out["project.qdpx"] = refi.project_qdpx(book, documents, out["codings"], name=book.name,
                                            variables=variables)
    if params.reference:  # matching a human coding's sources needs every text at once
        out["reference_codings"], out["code_agreement"] = compare_reference(
            params.reference, book, read_all(documents), codings, units,
            second=params.reference_b)
    return out


def _collect(results: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Coded segments and units of all partitions, units numbered across partitions."""
    import pandas as pd

    frames, unit_frames, offset = [], [], 0
    for r in results:
        n = len(r["unit_doc"])
        unit_frames.append(pd.DataFrame({"doc_id": r["unit_doc"], "para_id": r["unit_para"],
                                         "sent_id": r["unit_sent"], "start": r["unit_start"],
                                         "end": r["unit_end"]}))
        frame = pd.DataFrame({k: r[k] for k in CODINGS_SCHEMA.names})
        frame["unit"] = np.asarray(r["_unit"], dtype=np.int64) + offset
        frames.append(frame)
        offset += n
    units = pd.concat(unit_frames, ignore_index=True)
    units["unit"] = np.arange(len(units))
    codings = pd.concat(frames, ignore_index=True)
    if len(codings):
        codings = codings.sort_values(["unit"], kind="stable").reset_index(drop=True)
    return codings, units
