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
from collections.abc import Iterable, Iterator
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
from pipelines.core.columns import check_column
from pipelines.core.errors import BadParams, EmptyCorpus, SchemaError
from pipelines.core.params import param
from pipelines.core.resources import data_path
from pipelines.core.store import SpooledFile, StoredTable, iter_batches, read_all

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
            ) -> dict[str, pa.Table | StoredTable | SpooledFile | bytes | str]:
    """Code the documents and build the tables and exchange files.

    Raises:
        BadInputFile: the codebook or the reference project is malformed.
        BadParams: a ``by`` column is not a documents column.
        EmptyCorpus: there are no documents.
    """
    if params.codebook is None:
        log.warning("code: no codebook set ([code] codebook or --codebook FILE); nothing "
                    "coded, the code tables are empty")
        from pipelines.core.store import PartWriter

        out = {name: _empty(SCHEMAS[name]) for name in OUTPUTS}
        out["codings"] = PartWriter(CODINGS_SCHEMA, "codings").finish()  # a dataset, as always
        return out
    from pipelines.code.codebook import load_codebook

    book = load_codebook(codebook_path(params.codebook))
    documents, tokens = tables["ingest/documents"], tables["segment/tokens"]
    missing = [c for c in ("doc_id", "text") if c not in documents.column_names]
    missing += [f"segment/tokens.{c}" for c in ("doc_id", "sent_id", "tokens")
                if c not in tokens.column_names]
    if missing:
        raise SchemaError(f"code: input lacks column(s) {', '.join(missing)}; rerun "
                          "`wenmai run --force`")
    check_column(documents, params.by, stage="code")
    if documents.num_rows == 0:
        raise EmptyCorpus("code: ingest/documents is empty; nothing to code")
    return _code(book, documents, tokens, params)


class _OutOfOrder(Exception):
    """The tokens do not come in the documents' order (walking them in step is not possible)."""


def _token_batches(documents: pa.Table | StoredTable, tokens: pa.Table | StoredTable,
                   rows: int) -> Iterator[tuple[pa.RecordBatch, pa.Table]]:
    """(documents, their tokens) for the documents, ``rows`` documents at a time.

    The tokens are walked in step with the documents (segment writes them in document
    order); rows of documents not in ``documents`` are skipped. Raises :class:`_OutOfOrder`
    when a token row belongs to a batch already given.
    """
    all_ids = read_all(documents, ["doc_id"]).column("doc_id").combine_chunks()
    token_iter = iter_batches(tokens, ["doc_id", "sent_id", "tokens"])
    pending: pa.Table | None = None
    pending_pos = np.zeros(0, dtype=np.int64)
    start = 0
    for batch in iter_batches(documents, None, rows):
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
        columns = ["doc_id", "sent_id", "tokens"]
        part = (pa.concat_tables(taken) if taken
                else pa.schema([tokens.schema.field(c) for c in columns]).empty_table())
        yield batch, part
        start = end


def _filtered_batches(documents: pa.Table | StoredTable, tokens: pa.Table | StoredTable,
                      rows: int) -> Iterator[tuple[pa.RecordBatch, pa.Table]]:
    """As :func:`_token_batches` for tokens in any order: the tokens are read whole."""
    whole = read_all(tokens, ["doc_id", "sent_id", "tokens"])
    for batch in iter_batches(documents, None, rows):
        mask = pc.is_in(whole.column("doc_id"), value_set=batch.column("doc_id"))
        yield batch, whole.filter(mask)


class _Run:
    """One pass of coding: the codings parts, the running summary and the project file."""

    def __init__(self, book, params: Params, columns: list[str]) -> None:
        from pipelines.code.project import ProjectWriter
        from pipelines.code.summary import Summary
        from pipelines.core.store import PartWriter, spool_dir

        self.book, self.params = book, params
        self.writer = PartWriter(CODINGS_SCHEMA, "codings")
        self.summary = Summary(book, params.by)
        self.wanted: set[str] | None = None  # with a reference: its sources' texts, normalised
        self.texts: dict[str, str] = {}  # doc_id -> text of the documents with such a text
        if params.reference:
            from pipelines.code.compare import wanted_texts

            self.wanted = wanted_texts(*(p for p in (params.reference, params.reference_b)
                                         if p))
        variables = [c for c in columns if c not in ("doc_id", "text", "n_chars", "part")]
        self.project = ProjectWriter(book, name=book.name, variables=variables,
                                     folder=spool_dir())
        self.unseen: set[str] | None = None
        self.split: set[str] = set()

    def code(self, batches: Iterable[tuple[pa.RecordBatch, pa.Table]]) -> None:
        """Code every batch of documents (with its tokens) and fold each batch in, in order.

        The partitions of all batches stream through one set of workers
        (:func:`~pipelines.core.engine.map_stream`): this process folds a finished batch in
        while the workers code the next, and no pool is started per batch.
        """
        from pipelines.core.engine import map_stream, partition, resolve_workers

        workers = resolve_workers(self.params.workers)
        waiting: dict[int, tuple[pa.RecordBatch, list[str], list[int]]] = {}

        def parts() -> Iterator[tuple[int, tuple[list[str], list[str], pa.Table]]]:
            for b, (docs, tokens) in enumerate(batches):
                doc_ids = docs.column("doc_id").to_pylist()
                texts = [t or "" for t in docs.column("text").to_pylist()]
                slices = partition(range(len(doc_ids)), workers * 4 if workers > 1 else 1)
                if not slices:  # an empty batch: nothing to fold in
                    continue
                waiting[b] = (docs, texts, [idx[0] for idx in slices])
                for idx in slices:
                    ids = [doc_ids[i] for i in idx]
                    mask = pc.is_in(tokens.column("doc_id"), value_set=pa.array(ids, pa.string()))
                    yield b, (ids, [texts[i] for i in idx],
                              tokens.filter(mask).select(["doc_id", "sent_id", "tokens"]))
                del docs, tokens, texts  # not held while the next batch is read

        book, unit = self.book, self.params.unit
        done: list[dict] = []
        for b, result in map_stream(_code_part, parts(), book, unit, workers=workers,
                                    label="code",
                                    forked=lambda item, _in_worker: _code_part(item, book, unit)):
            done.append(result)
            del result  # a batch's results are held by ``done`` only, until it is folded in
            if len(done) == len(waiting[b][2]):
                self._fold(*waiting.pop(b), done)
                done = []

    def _fold(self, docs: pa.RecordBatch, texts: list[str], offsets: list[int],
              results: list[dict]) -> None:
        """Fold one batch's partition results into the summary, the codings and the project."""
        meta = docs.drop_columns(["text"]).to_pylist()
        doc_ids = [m["doc_id"] for m in meta]
        values, first = self.summary.add_documents(meta)
        keep = None
        if self.wanted is not None:
            from pipelines.code.compare import normalise

            keep = np.array([normalise(t) in self.wanted for t in texts], dtype=bool)
            self.texts.update((doc_ids[i], texts[i]) for i in np.flatnonzero(keep))
        for result, offset in zip(results, offsets, strict=True):
            self.summary.add(result, offset, values, first, keep)
            unseen = set(result["unseen"])
            self.unseen = unseen if self.unseen is None else self.unseen & unseen
            self.split |= set(result["split"])
        table = _codings_table(results)
        if table.num_rows:
            self.writer.write(table)
        spans: dict[str, list[tuple[int, int, str]]] = {}
        for d, start, end, code in zip(*(table.column(c).to_pylist() for c in (
                "doc_id", "start", "end", "code")), strict=True):
            spans.setdefault(d, []).append((start, end, code))
        self.project.add(meta, texts, spans)


def _code_part(item: tuple[int, tuple[list[str], list[str], pa.Table]], book, unit: str
               ) -> tuple[int, dict]:
    """Code one partition (a task of :meth:`_Run.code`); its batch number travels with it."""
    from pipelines.code.apply import code_partition

    batch, part = item
    return batch, code_partition(part, book, unit)


def _codings_table(results: list[dict]) -> pa.Table:
    """The coded segments of a batch's partitions, by unit (then code, in codebook order)."""
    columns: dict[str, list] = {name: [] for name in CODINGS_SCHEMA.names}
    units, offset = [], 0
    for r in results:
        for name in columns:
            columns[name] += r[name]
        units.append(np.asarray(r["_unit"], dtype=np.int64) + offset)
        offset += len(r["unit_start"])
    table = pa.table(columns, schema=CODINGS_SCHEMA)
    order = np.argsort(np.concatenate(units) if units else np.zeros(0, np.int64), kind="stable")
    return table.take(pa.array(order, pa.int64()))


def _code(book, documents: pa.Table | StoredTable, tokens: pa.Table | StoredTable,
          params: Params) -> dict:
    import time

    from pipelines.code import refi
    from pipelines.code.saturation import saturation_incidence
    from pipelines.code.tables import code_gexf, cooccurrence, frequencies, matrix
    from pipelines.core.store import SpooledFile, spool_file

    started = time.perf_counter()
    run = _Run(book, params, documents.column_names)
    try:  # documents and tokens a batch at a time, the tokens walked in step
        run.code(_token_batches(documents, tokens, BATCH_DOCS))
    except _OutOfOrder:
        log.info("code: segment/tokens is not in document order; reading it whole")
        run = _Run(book, params, documents.column_names)
        run.code(_filtered_batches(documents, tokens, BATCH_DOCS))
    summary = run.summary
    split = (run.unseen or set()) & run.split
    if split:
        log.warning("code: %d word(s) of the codebook occur in the text but never as a "
                    "segmented token (segmentation cuts them differently); write them as "
                    "\"phrases\" to match the raw text: %s", len(split),
                    ", ".join(sorted(split)[:20]))
    log.info("code: %d %s units, %d coded segments, %d of %d codes used (%.2f s)",
             summary.n_units, params.unit, summary.n_codings, len(summary.codes_used),
             len(book.codes), time.perf_counter() - started)
    doc_ids = read_all(documents, ["doc_id"]).column("doc_id").combine_chunks()
    freq = frequencies(summary)
    cooc = cooccurrence(summary)
    sat, reserve = saturation_incidence(
        doc_ids, {level: (summary.level_names(level), summary.incidence(level))
                  for level in ("code", "category")},
        orders=params.orders, reserve=params.reserve, seed=params.seed)
    codings = run.writer.finish()
    path = spool_file("project.qdpx")
    out: dict[str, pa.Table | StoredTable | SpooledFile | bytes | str] = {
        "codings": codings,
        "code_frequencies": freq,
        "code_matrix": matrix(summary),
        "code_cooccurrence": cooc,
        "code_saturation": sat,
        "code_reserve": reserve,
        "codebook.qdc": refi.codebook_qdc(book),
        "code_network.gexf": code_gexf(freq, cooc, measure=params.measure),
        "project.qdpx": SpooledFile(run.project.finish(path)),
    }
    if params.reference:  # only the documents whose text is that of a source of the projects
        frame, units = _reference_frames(summary, book, doc_ids)
        out["reference_codings"], out["code_agreement"] = compare_reference(
            params.reference, book, run.texts, frame, units, second=params.reference_b)
    return out


def _reference_frames(summary, book, doc_ids: pa.Array) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The coded segments (with their unit) and the units of the documents kept for the
    comparison with a human coding, as :func:`pipelines.code.compare.compare` takes them."""
    import pandas as pd

    unit_doc, start, end = summary.kept_units()
    docs = pc.take(doc_ids, pa.array(unit_doc, pa.int64())).to_numpy(zero_copy_only=False)
    units = pd.DataFrame({"doc_id": docs, "start": start, "end": end,
                          "unit": np.arange(len(unit_doc))})
    unit, code = summary.kept_codings()
    order = np.argsort(unit, kind="stable")
    unit, code = unit[order], code[order]
    codes = book.codes
    frame = pd.DataFrame({"doc_id": docs[unit] if len(unit) else np.zeros(0, dtype=object),
                          "group": [codes[c].group for c in code],
                          "category": [codes[c].category for c in code],
                          "code": [codes[c].name for c in code], "unit": unit})
    return frame, units
