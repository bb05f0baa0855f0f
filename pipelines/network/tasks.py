"""The network stage's counting as engine tasks: each task counts a run of whole documents of
``segment/tokens`` and returns its sparse counts; this process sums them in task order.

Both passes of :mod:`pipelines.network.stream` run this way (issue 16):

1. :func:`vocabulary`: every counted token and its frequency;
2. :func:`count`: the counters of the nodes (pairs, slices, bursts, two-mode).

A task is a run of consecutive part files of at least :data:`TASK_ROWS` rows (from the
parquet footers), or for a table in memory a slice of at least that many rows cut between
documents: the cut depends on the data alone, never on the workers or the engine. A
document that continues from one part file into the next (segment never writes one, but a
table written by other tools may) is counted whole by the task where it starts: that task
reads on into the next files until the document ends, and the next task skips its rows. The
sums are taken in task order, and every counter's totals are the same for any cut into whole
documents (``tests/network/test_stream.py``), so the outputs are byte-identical for any
number of workers and any engine.

Where the tasks run is :func:`pipelines.core.engine.map_stream`'s choice: in this process
with one worker or one task, else forked workers (``local`` engine on Linux), a pool of fresh
processes (``processes``), or Dask tasks (``dask``; the part files must be on a filesystem
every Dask worker sees, as for segment).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipelines.core import store
from pipelines.core.engine import map_stream, resolve_workers
from pipelines.core.errors import EmptyCorpus, SchemaError
from pipelines.network import stream
from pipelines.network.stream import (
    Batch,
    counted_tokens,
    doc_batches,
    num_rows,
    whole_documents,
)

__all__ = ["TASK_ROWS", "Counter", "tasks", "vocabulary", "count"]

#: rows of ``segment/tokens`` a task counts at least (about 11 parts of 250,000 characters)
TASK_ROWS = 65_536

#: a task: a range of part files ``(start, end)``, or a table of whole documents in memory
Task = tuple[int, int] | pa.Table


class Counter(Protocol):
    """What :func:`count` needs of a counter (``PairCounter``, ``SliceCounts`` ...)."""

    def fresh(self) -> Counter:
        """A counter with the same settings and nothing counted (a task's own)."""

    def add(self, batch: Batch, node: np.ndarray) -> None:
        """Count one batch of whole documents (``node``: each counted token's node, or -1)."""

    def totals(self) -> Any:
        """What was counted, small and picklable (sent back from a worker)."""

    def merge(self, totals: Any) -> None:
        """Add the totals of the next task (tasks are merged in order)."""


@dataclass(frozen=True)
class Tasks:
    """The tasks over one ``segment/tokens`` table.

    Attributes:
        items: The tasks, in table order.
        files: The part files (paths as strings) the ranges of ``items`` index; empty for a
            table in memory.
        file_rows: Rows of each part file.
    """

    items: list[Task]
    files: tuple[str, ...] = ()
    file_rows: tuple[int, ...] = ()

    def rows_of(self, item: Task) -> int:
        """Rows of a task (about: a document read on from the next file is not counted)."""
        if isinstance(item, pa.Table):
            return item.num_rows
        return sum(self.file_rows[item[0]:item[1]])

    @property
    def rows(self) -> int:
        """Rows of the table."""
        return sum(self.rows_of(item) for item in self.items)


def tasks(source: Any, columns: list[str], task_rows: int | None = None) -> Tasks:
    """Cut ``source`` (a ``pa.Table`` or a ``store.StoredTable``) into tasks of at least
    ``task_rows`` rows (default :data:`TASK_ROWS`), by the data alone."""
    size = max(1, task_rows or TASK_ROWS)
    if not isinstance(source, store.StoredTable):
        return Tasks(list(doc_batches(source, columns, size)))
    files = tuple(str(f) for f in source.files)
    counts = tuple(_open(f).metadata.num_rows for f in files)
    items: list[Task] = []
    start = total = 0
    for end, n in enumerate(counts, 1):
        total += n
        if total >= size or end == len(files):
            items.append((start, end))
            start, total = end, 0
    return Tasks(items, files, counts)


# --- reading one task ------------------------------------------------------------------------

def _open(path: str) -> pq.ParquetFile:
    """One part file (a missing file raises ``FileNotFoundError``: on Dask the engine says
    that workers must see the work folder)."""
    try:
        return pq.ParquetFile(path, pre_buffer=False)
    except FileNotFoundError:
        raise
    except (pa.ArrowException, OSError) as err:
        raise SchemaError(f"{path} is not a readable parquet table ({err}); rerun "
                          "`wenmai segment --force`") from err


def _batches(path: str, columns: list[str], rows: int) -> Iterator[pa.RecordBatch]:
    """The record batches of one part file, ``rows`` at most each."""
    try:
        yield from _open(path).iter_batches(batch_size=rows, columns=columns,
                                            use_threads=False)
    except (pa.ArrowException, OSError) as err:
        raise SchemaError(f"{path} is not a readable parquet table ({err}); rerun "
                          "`wenmai segment --force`") from err


def _last_doc(files: Sequence[str], before: int) -> tuple[bool, Any]:
    """``(True, doc_id)`` of the last row of the last non-empty file before ``before``;
    ``(False, None)`` when there is none."""
    for k in range(before - 1, -1, -1):
        meta = _open(files[k])
        groups = [g for g in range(meta.num_row_groups) if meta.metadata.row_group(g).num_rows]
        if groups:
            ids = meta.read_row_group(groups[-1], columns=["doc_id"]).column("doc_id")
            return True, ids[len(ids) - 1].as_py()
    return False, None


def _same_doc(ids: pa.ChunkedArray | pa.Array, doc: Any) -> np.ndarray:
    """True for the rows whose doc_id is ``doc`` (a null doc_id matches a null one, as in
    :func:`stream.doc_batches`)."""
    if doc is None:
        return ~pc.is_valid(ids).to_numpy(zero_copy_only=False)
    return pc.equal(ids, pa.scalar(doc, ids.type)).fill_null(False).to_numpy(
        zero_copy_only=False)


def _leading(ids: pa.ChunkedArray | pa.Array, doc: Any) -> int:
    """How many rows at the start belong to ``doc``."""
    other = np.flatnonzero(~_same_doc(ids, doc))
    return int(other[0]) if other.size else len(ids)


def _records(files: Sequence[str], item: tuple[int, int], columns: list[str], rows: int
             ) -> Iterator[pa.Table]:
    """The rows of the documents that start in files ``item``, at most ``rows`` at a time:
    the rows of a document begun in an earlier file are skipped, and the last document is
    read on into the next files until it ends."""
    start, end = item
    skipping, prev = _last_doc(files, start) if start else (False, None)
    has_last, last = False, None
    for k in range(start, len(files)):
        following = k >= end
        if following and (skipping or not has_last):
            return
        for record in _batches(files[k], columns, rows):
            table = pa.Table.from_batches([record])
            if not table.num_rows:
                continue
            ids = table.column("doc_id")
            if skipping:
                cut = _leading(ids, prev)
                if cut == table.num_rows:  # still the document begun before this task
                    continue
                table, ids, skipping = table.slice(cut), ids.slice(cut), False
            if following:
                cut = _leading(ids, last)
                if cut:
                    yield table.slice(0, cut)
                if cut < table.num_rows:
                    return
                continue
            has_last, last = True, ids[len(ids) - 1].as_py()
            yield table


def _task_tables(item: Task, files: Sequence[str], columns: list[str], rows: int
                 ) -> Iterator[pa.Table]:
    """Batches of about ``rows`` rows of whole documents of one task."""
    if isinstance(item, pa.Table):
        return doc_batches(item, columns, rows)
    return whole_documents(_records(files, item, columns, rows))


# --- pass 1: the vocabulary ------------------------------------------------------------------

@dataclass(frozen=True)
class VocabPlan:
    """What a vocabulary task needs (sent to each worker once)."""

    files: tuple[str, ...]
    columns: list[str]
    min_chars: int
    pos_prefixes: tuple[str, ...]
    rows: int


def _merge_vocab(vocab: pa.Array, freq: np.ndarray, words: pa.Array, counts: np.ndarray
                 ) -> tuple[pa.Array, np.ndarray]:
    """``vocab``/``freq`` plus ``words``/``counts``, new words appended in their order."""
    where = pc.index_in(words, value_set=vocab).fill_null(-1).to_numpy(
        zero_copy_only=False).astype(np.int64)
    known = where >= 0
    np.add.at(freq, where[known], counts[known])
    if not known.all():
        vocab = pa.concat_arrays([vocab, words.filter(pa.array(~known))])
        freq = np.concatenate([freq, counts[~known]])
    return vocab, freq


def vocab_task(item: Task, plan: VocabPlan) -> tuple[pa.Array, np.ndarray]:
    """Every counted token of one task and its frequency, in order of first appearance."""
    vocab = pa.array([], pa.string())
    freq = np.zeros(0, dtype=np.int64)
    read = [c for c in ("tokens", "pos") if c in plan.columns]  # no windows in this pass
    if isinstance(item, pa.Table):
        records: Any = store.iter_batches(item, read, plan.rows)
    else:
        records = (record for path in plan.files[item[0]:item[1]]
                   for record in _batches(path, read, plan.rows))
    for record in records:
        table = pa.Table.from_batches([record])
        tokens = counted_tokens(table, min_chars=plan.min_chars,
                                pos_prefixes=plan.pos_prefixes)
        counts = np.bincount(tokens.codes, minlength=len(tokens.vocab)).astype(np.int64)
        vocab, freq = _merge_vocab(vocab, freq, tokens.vocab, counts)
    return vocab, freq


def _workers(work: Tasks, workers: int) -> int:
    """Worker processes for these tasks (one when there is one task); with more, the modules
    a task loads on first use are loaded here first, so forked workers do not each load them."""
    n = resolve_workers(workers) if len(work.items) > 1 else 1
    if n > 1:
        import pandas  # noqa: F401 - stream.row_units
        import scipy.sparse  # noqa: F401 - measures._unit_counts
    return n


def _in_worker(in_worker: bool) -> None:
    if in_worker:  # nothing of pyarrow's allocator state copied by the fork is used
        pa.set_memory_pool(pa.system_memory_pool())


def vocabulary(source: Any, columns: list[str], *, min_chars: int,
               pos_prefixes: tuple[str, ...], rows: int | None = None, workers: int = 1,
               work: Tasks | None = None) -> tuple[pa.Array, np.ndarray]:
    """Pass 1: every counted token and its frequency (in order of first appearance), summed
    over the tasks.

    Raises:
        EmptyCorpus: no token passes the filters.
    """
    work = work or tasks(source, columns)
    plan = VocabPlan(work.files, columns, min_chars, pos_prefixes, rows or stream.BATCH_ROWS)

    def forked(item: Task, in_worker: bool) -> tuple[pa.Array, np.ndarray]:
        _in_worker(in_worker)
        return vocab_task(item, plan)

    vocab = pa.array([], pa.string())
    freq = np.zeros(0, dtype=np.int64)
    for words, counts in map_stream(vocab_task, work.items, plan,
                                    workers=_workers(work, workers), label="network",
                                    unit="sentence", total=work.rows,
                                    weight=work.rows_of, forked=forked):
        vocab, freq = _merge_vocab(vocab, freq, words, counts)
    if len(vocab) == 0:
        n = num_rows(source)
        raise EmptyCorpus(f"network: no token of {n} sentences passes min_chars="
                          f"{min_chars}" + (f", pos={','.join(pos_prefixes)}" if pos_prefixes
                                            else "") + "; relax these filters or check segment")
    return vocab, freq


# --- pass 2: the counters --------------------------------------------------------------------

@dataclass(frozen=True)
class CountPlan(VocabPlan):
    """What a counting task needs (sent to each worker once): a vocabulary task's reading
    settings, the nodes and the counters."""

    nodes: pa.Array
    counters: tuple[Any, ...]


def count_task(item: Task, plan: CountPlan) -> list[Any]:
    """The totals of each counter of ``plan`` over one task's documents."""
    counters = [c.fresh() for c in plan.counters]
    for table in _task_tables(item, plan.files, plan.columns, plan.rows):
        batch = Batch(table, min_chars=plan.min_chars, pos_prefixes=plan.pos_prefixes)
        node = batch.index_in(plan.nodes)
        for counter in counters:
            counter.add(batch, node)
    return [c.totals() for c in counters]


def count(source: Any, columns: list[str], counters: Sequence[Counter], nodes: pa.Array, *,
          min_chars: int, pos_prefixes: tuple[str, ...], rows: int | None = None,
          workers: int = 1, work: Tasks | None = None) -> None:
    """Pass 2: each task's counts of ``counters`` (their settings; they hold nothing
    counted), merged into ``counters`` in task order."""
    work = work or tasks(source, columns)
    plan = CountPlan(work.files, columns, min_chars, pos_prefixes, rows or stream.BATCH_ROWS,
                     nodes, tuple(c.fresh() for c in counters))

    def forked(item: Task, in_worker: bool) -> list[Any]:
        _in_worker(in_worker)
        return count_task(item, plan)

    for totals in map_stream(count_task, work.items, plan, workers=_workers(work, workers),
                             label="network", unit="sentence", total=work.rows,
                             weight=work.rows_of, forked=forked):
        for counter, part in zip(counters, totals, strict=True):
            counter.merge(part)
