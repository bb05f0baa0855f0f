"""Codebook coding: reads ``segment/tokens`` (its ``words``: every word as segmented, whatever
the counting filters drop) and ``ingest/documents``, writes ``code/codings``,
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
from pipelines.code.apply import LEVELS, WORD_COLUMNS
from pipelines.code.classify import CLASSIFIER_SCHEMA, METHODS
from pipelines.code.compare import REFERENCE_SCHEMA
from pipelines.code.compare import compare as compare_reference
from pipelines.code.crosstab import CROSSTAB_SCHEMA, crosstab
from pipelines.code.overview import EXAMPLES_SCHEMA, RULES_SCHEMA, examples_table, rules_table
from pipelines.code.precision import PRECISION_SCHEMA, RECALL_SCHEMA
from pipelines.code.saturation import RESERVE_SCHEMA, SATURATION_SCHEMA
from pipelines.code.tables import (
    COOCCURRENCE_SCHEMA,
    FREQUENCIES_SCHEMA,
    MATRIX_SCHEMA,
    MEASURES,
)
from pipelines.core.columns import check_column
from pipelines.core.errors import BadParams, EmptyCorpus, SchemaError
from pipelines.core.narrow import DOCUMENTS, Narrowing, narrow
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
           "code_saturation", "code_reserve", "code_crosstab", "audit_precision",
           "audit_recall", "code_rules", "code_examples")
#: Distributions whose code computes the tables; their versions go into the manifest.
LIBRARIES: tuple[str, ...] = ("numpy", "pandas", "pyyaml", "scipy")

CODINGS_SCHEMA = pa.schema([
    ("doc_id", pa.string()), ("para_id", pa.int32()), ("sent_id", pa.int32()),
    ("group", pa.string()), ("category", pa.string()), ("code", pa.string()),
    ("matched", pa.list_(pa.string())), ("start", pa.int64()), ("end", pa.int64()),
    ("text", pa.string()), ("coder", pa.string()),
])
SCHEMAS = {"codings": CODINGS_SCHEMA, "code_frequencies": FREQUENCIES_SCHEMA,
           "code_matrix": MATRIX_SCHEMA, "code_cooccurrence": COOCCURRENCE_SCHEMA,
           "code_saturation": SATURATION_SCHEMA, "code_reserve": RESERVE_SCHEMA,
           "code_agreement": AGREEMENT_SCHEMA, "reference_codings": REFERENCE_SCHEMA,
           "code_classifier": CLASSIFIER_SCHEMA,
           "audit_precision": PRECISION_SCHEMA, "audit_recall": RECALL_SCHEMA,
           "code_crosstab": CROSSTAB_SCHEMA, "code_rules": RULES_SCHEMA,
           "code_examples": EXAMPLES_SCHEMA}

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
    coding_from: str | None = param(None, "A REFI-QDA project (.qdpx) whose coding is the "
                                    "coding analysed (its code tree the codebook), instead of "
                                    "the codebook's rules (docs/code.md).", path=True)
    classifier: str = param("none", "With coding_from: learn each code from the hand-coded "
                            "documents and code the other documents with this model.",
                            choices=("none", *METHODS))
    folds: int = param(5, "Cross-validation folds of the classifier.", min=2, max=100)
    orders: int = param(200, "Random case orders for the saturation band.", min=0, max=100000)
    reserve: int = param(0, "Cases (documents) held back at random for the saturation reserve "
                         "check.", min=0)
    seed: int = param(42, "Random seed of the reserve draw, the random orders and the audit "
                      "sample.", min=0)
    audit: int = param(0, "Draw this many coded units per code, and as many uncoded units, "
                       "into code/audit_sheet.xlsx for a reader to judge (0: no sheet).", min=0)
    audit_results: str | None = param(None, "A filled audit sheet: precision per code and "
                                      "group (Wilson 95 % intervals) and estimated recall "
                                      "(audit_precision, audit_recall).", path=True)
    where: str | None = param(None, "Code only the documents passing this filter over documents "
                              "columns, e.g. \"year >= 2013\" (docs/subsets.md).")
    workers: int = param(1, "Worker processes (0 = all cores); coding is per document.",
                         min=0, key=False)
    rule_timeout: float = param(120.0, "Seconds one code's rule may take on one batch of "
                                "documents before the run stops with an error naming it "
                                "(0 = no limit).", min=0.0, key=False)

    def __post_init__(self) -> None:
        if self.where:
            from pipelines.core.where import parse

            parse(self.where)
        if not self.by:
            raise BadParams("code: by is empty; give at least one document column, e.g. year")
        if self.classifier != "none" and not self.coding_from:
            raise BadParams(f"code: classifier={self.classifier} learns from a human coding; "
                            "give coding_from (a .qdpx with the hand-coded documents)")
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
    return files + [Path(p) for p in (params.reference, params.reference_b, params.coding_from,
                                      params.audit_results) if p]


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
    if params.codebook is None and params.coding_from is None:
        log.warning("code: no codebook set ([code] codebook or --codebook FILE); nothing "
                    "coded, the code tables are empty")
        from pipelines.core.store import PartWriter

        out = {name: _empty(SCHEMAS[name]) for name in OUTPUTS}
        out["codings"] = PartWriter(CODINGS_SCHEMA, "codings").finish()  # a dataset, as always
        return out
    from pipelines.code.codebook import load_codebook

    book = (load_codebook(codebook_path(params.codebook), rule_timeout=params.rule_timeout)
            if params.codebook else None)
    if params.audit_results:  # a malformed sheet stops before the coding, not after
        from pipelines.code.precision import read_sheet

        read_sheet(params.audit_results)
    # only the documents are narrowed: the token rows of other documents are skipped
    documents = narrow({DOCUMENTS: tables[DOCUMENTS]}, NAME, Narrowing(params.where))[DOCUMENTS]
    tokens = tables["segment/tokens"]
    missing = [c for c in ("doc_id", "text") if c not in documents.column_names]
    missing += [f"segment/tokens.{c}" for c in WORD_COLUMNS if c not in tokens.column_names]
    if missing:
        raise SchemaError(f"code: input lacks column(s) {', '.join(missing)}; rerun "
                          "`wenmai segment --force` (rules read the words column: every "
                          "word of the text, whatever the counting filters drop)")
    check_column(documents, params.by, stage="code")
    if documents.num_rows == 0:
        raise EmptyCorpus("code: ingest/documents is empty; nothing to code")
    if params.coding_from:  # a human coding (and a model learnt from it) instead of the rules
        from pipelines.code.classify import prepare

        coding, learnt = prepare(params, documents, tokens, book)
        return _code(coding.book, documents, tokens, params, coding) | learnt
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
    token_iter = iter_batches(tokens, list(WORD_COLUMNS))
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
        part = (pa.concat_tables(taken) if taken
                else pa.schema([tokens.schema.field(c) for c in WORD_COLUMNS]).empty_table())
        yield batch, part
        start = end


def _filtered_batches(documents: pa.Table | StoredTable, tokens: pa.Table | StoredTable,
                      rows: int) -> Iterator[tuple[pa.RecordBatch, pa.Table]]:
    """As :func:`_token_batches` for tokens in any order: the tokens are read whole."""
    whole = read_all(tokens, list(WORD_COLUMNS))
    for batch in iter_batches(documents, None, rows):
        mask = pc.is_in(whole.column("doc_id"), value_set=batch.column("doc_id"))
        yield batch, whole.filter(mask)


class _Run:
    """One pass of coding: the codings parts, the running summary and the project file."""

    def __init__(self, book, params: Params, columns: list[str], coding=None) -> None:
        from pipelines.code.project import ProjectWriter
        from pipelines.code.summary import Summary
        from pipelines.core.store import PartWriter, spool_dir

        self.book, self.params, self.coding = book, params, coding
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
        self.as_word: set[str] = set()  # rule words seen among the words, and as tokens
        self.as_token: set[str] = set()

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
                              tokens.filter(mask).select(list(WORD_COLUMNS)))
                del docs, tokens, texts  # not held while the next batch is read

        book, unit, coding = self.book, self.params.unit, self.coding
        done: list[dict] = []
        for b, result in map_stream(_code_part, parts(), book, unit, coding, workers=workers,
                                    label="code", forked=lambda item, _in_worker: _code_part(
                                        item, book, unit, coding)):
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
            self.as_word |= set(result["as_word"])
            self.as_token |= set(result["as_token"])
        table = _codings_table(results)
        if table.num_rows:
            self.writer.write(table)
        spans: dict[str, list[tuple[int, int, str, str]]] = {}
        for d, start, end, code, coder in zip(*(table.column(c).to_pylist() for c in (
                "doc_id", "start", "end", "code", "coder")), strict=True):
            spans.setdefault(d, []).append((start, end, code, coder))
        self.project.add(meta, texts, spans)


def _code_part(item: tuple[int, tuple[list[str], list[str], pa.Table]], book, unit: str,
               coding=None) -> tuple[int, dict]:
    """Code one partition (a task of :meth:`_Run.code`) with the rules, or with an imported
    coding (:mod:`pipelines.code.imported`); its batch number travels with it."""
    from pipelines.code.apply import code_partition

    batch, part = item
    if coding is not None:
        from pipelines.code.imported import code_partition as imported_partition

        return batch, imported_partition(part, coding, unit)
    return batch, code_partition(part, book, unit)


def _codings_table(results: list[dict]) -> pa.Table:
    """The coded segments of a batch's partitions, by unit (then code, in codebook order)."""
    columns: dict[str, list] = {name: [] for name in CODINGS_SCHEMA.names}
    units, offset = [], 0
    for r in results:
        for name in columns:
            columns[name] += r[name] if name != "coder" else r.get(name, ["rules"] * len(r["code"]))
        units.append(np.asarray(r["_unit"], dtype=np.int64) + offset)
        offset += len(r["unit_start"])
    table = pa.table(columns, schema=CODINGS_SCHEMA)
    order = np.argsort(np.concatenate(units) if units else np.zeros(0, np.int64), kind="stable")
    return table.take(pa.array(order, pa.int64()))


def _code(book, documents: pa.Table | StoredTable, tokens: pa.Table | StoredTable,
          params: Params, coding=None) -> dict:
    import time

    from pipelines.code import refi
    from pipelines.code.saturation import saturation_incidence
    from pipelines.code.tables import code_gexf, cooccurrence, frequencies, matrix
    from pipelines.core.store import SpooledFile, spool_file

    started = time.perf_counter()
    keep = None if coding is None or coding.keep is None else pa.array(sorted(coding.keep),
                                                                        pa.string())
    run = _Run(book, params, documents.column_names, coding)
    try:  # documents and tokens a batch at a time, the tokens walked in step
        run.code(_kept(_token_batches(documents, tokens, BATCH_DOCS), keep))
    except _OutOfOrder:
        log.info("code: segment/tokens is not in document order; reading it whole")
        run = _Run(book, params, documents.column_names, coding)
        run.code(_kept(_filtered_batches(documents, tokens, BATCH_DOCS), keep))
    summary = run.summary
    split = (run.unseen or set()) & run.split
    if split:
        log.warning("code: %d word(s) of the codebook occur in the text but the segmenter "
                    "never cuts them out as a word (they lie inside longer words or across "
                    "two); write them as \"phrases\" to match the raw text, or add them to a "
                    "user dictionary: %s", len(split), ", ".join(sorted(split)[:20]))
    log.info("code: %d %s units, %d coded segments, %d of %d codes used (%.2f s)",
             summary.n_units, params.unit, summary.n_codings, len(summary.codes_used),
             len(book.codes), time.perf_counter() - started)
    doc_ids = read_all(documents, ["doc_id"]).column("doc_id").combine_chunks()
    if keep is not None:  # an imported coding: the documents of the project only
        doc_ids = doc_ids.filter(pc.is_in(doc_ids, value_set=keep))
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
    out["code_crosstab"] = crosstab(out["code_matrix"])
    out["code_rules"] = rules_table(book, run.as_word - run.as_token)
    out["code_examples"] = examples_table(codings, book, seed=params.seed)
    if params.audit or params.audit_results:
        from pipelines.code.precision import audit_outputs

        out.update(audit_outputs(book, codings, documents, unit=params.unit, n=params.audit,
                                 seed=params.seed, results=params.audit_results))
    for name in ("audit_precision", "audit_recall"):  # empty until a sheet is read back
        out.setdefault(name, _empty(SCHEMAS[name]))
    if params.reference:  # only the documents whose text is that of a source of the projects
        frame, units = _reference_frames(summary, book, doc_ids)
        out["reference_codings"], out["code_agreement"] = compare_reference(
            params.reference, book, run.texts, frame, units, second=params.reference_b)
    return out


def _kept(batches: Iterator[tuple[pa.RecordBatch, pa.Table]], keep: pa.Array | None
          ) -> Iterator[tuple[pa.RecordBatch, pa.Table]]:
    """The batches with only the documents in ``keep`` (all when it is None)."""
    for docs, tokens in batches:
        if keep is None:
            yield docs, tokens
            continue
        yield (docs.filter(pc.is_in(docs.column("doc_id"), value_set=keep)),
               tokens.filter(pc.is_in(tokens.column("doc_id"), value_set=keep)))


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
