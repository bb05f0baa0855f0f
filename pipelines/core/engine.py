"""Where per-partition work runs: in this process, in a pool of fresh worker processes,
shared with forked workers that inherit what this process loaded, or as tasks on a Dask
cluster.

Stages never name an engine. They call :func:`map_partitions` (a module-level function over
a list of partitions) or, where :func:`can_fork` allows it, :func:`map_forked`; the engine the
user chose (``wenmai --engine dask``, or the ``[engine]`` section of ``wenmai.toml``) decides
where those calls run. The runner selects it per stage with :func:`for_stage`:

- ``local`` (default): this machine; on Linux forked workers share what the parent loaded,
  elsewhere a pool of fresh processes.
- ``processes``: this machine, always a pool of fresh ("spawn") processes.
- ``dask``: each partition is a task on a Dask cluster (``scheduler = "tcp://host:8786"``),
  or on a ``LocalCluster`` of worker processes when no scheduler is given. Needs
  ``pip install wenmai[dask]``. Results are the same as with ``local``: the partitions are
  the same, and the results come back to this process in partition order.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from pipelines.core.errors import BadParams, ConfigError, WenmaiError
from pipelines.core.progress import bar

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

__all__ = ["ENGINES", "EngineSpec", "engine_from_config", "use", "for_stage", "active",
           "resolve_workers", "partition", "map_partitions", "can_fork", "map_forked",
           "die_with_parent", "map_stream"]

log = logging.getLogger("wenmai")
T = TypeVar("T")
R = TypeVar("R")

#: The engines a user may choose.
ENGINES = ("local", "processes", "dask")
#: Keys of the ``[engine]`` section of wenmai.toml.
ENGINE_KEYS = ("name", "scheduler", "workers", "stages")


@dataclass(frozen=True)
class EngineSpec:
    """Which engine runs the partitions, and for the Dask engine, on which cluster.

    Attributes:
        name: ``local``, ``processes`` or ``dask``.
        scheduler: Address of a running Dask scheduler (``tcp://host:8786``); None starts a
            ``LocalCluster`` on this machine.
        workers: Worker processes of that ``LocalCluster`` (0 = every core).
        stages: The stages that use this engine (empty = every stage); the others run
            ``local``.
    """

    name: str = "local"
    scheduler: str | None = None
    workers: int = 0
    stages: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.name not in ENGINES:
            raise BadParams(f"engine {self.name!r} is unknown; choose one of "
                            + ", ".join(ENGINES))
        if self.scheduler is not None and self.name != "dask":
            raise BadParams(f"engine: a scheduler ({self.scheduler}) is only used by the dask "
                            "engine; add --engine dask or remove the scheduler")
        if self.workers < 0:
            raise BadParams(f"engine: workers={self.workers} must be 0 (every core) or more")


def engine_from_config(section: dict[str, Any] | None, *, where: str = "[engine]",
                       name: str | None = None, scheduler: str | None = None) -> EngineSpec:
    """The engine from the ``[engine]`` section, with command-line values winning.

    Raises:
        ConfigError: an unknown key, or a value of the wrong kind.
        BadParams: an unknown engine name.
    """
    section = dict(section or {})
    unknown = sorted(set(section) - set(ENGINE_KEYS))
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r}; allowed keys: "
                          + ", ".join(ENGINE_KEYS))
    kinds = {"name": str, "scheduler": str, "workers": int, "stages": list}
    for key, value in section.items():
        if not isinstance(value, kinds[key]) or isinstance(value, bool):
            raise ConfigError(f"{where}: {key} must be a {kinds[key].__name__}, not {value!r}")
    stages = section.get("stages", [])
    if not all(isinstance(s, str) for s in stages):
        raise ConfigError(f"{where}: stages must be a list of stage names")
    chosen = name or section.get("name", "local")
    return EngineSpec(name=chosen,
                      scheduler=scheduler or (section.get("scheduler") if chosen == "dask"
                                              else None),
                      workers=section.get("workers", 0), stages=tuple(stages))


class _Session:
    """The chosen engine while a command runs; the Dask client starts at first use."""

    def __init__(self, spec: EngineSpec) -> None:
        self.spec = spec
        self._client: Any = None
        self._cluster: Any = None

    def client(self) -> Any:
        """The ``dask.distributed.Client`` (started once, closed when the session ends)."""
        if self._client is None:
            self._client, self._cluster = _start_dask(self.spec)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = None


#: How long a command waits for the first worker of a Dask scheduler (SLURM jobs may queue).
WAIT_FOR_WORKERS_S = 300


def _require_dask() -> None:
    """Raises WenmaiError (one line naming the extra) when Dask is not installed."""
    try:
        import dask.distributed  # noqa: F401
    except ImportError:
        raise WenmaiError("engine dask needs Dask: pip install 'wenmai[dask]' (or "
                          "'dask[distributed]'), or choose --engine local") from None


def _start_dask(spec: EngineSpec) -> tuple[Any, Any]:
    _require_dask()
    from dask.distributed import Client, LocalCluster

    if spec.scheduler:
        try:
            client = Client(spec.scheduler, timeout="10s")
        except (OSError, TimeoutError) as err:
            raise WenmaiError(f"engine dask: cannot reach the scheduler {spec.scheduler} "
                              f"({err}); start it, or leave out the scheduler for a cluster "
                              "on this machine") from None
        if not client.nthreads():
            log.info("engine: waiting up to %d s for a worker to join %s", WAIT_FOR_WORKERS_S,
                     spec.scheduler)
            try:
                client.wait_for_workers(1, timeout=WAIT_FOR_WORKERS_S)
            except TimeoutError:
                client.close()
                raise WenmaiError(f"engine dask: no worker joined the scheduler {spec.scheduler} "
                                  f"within {WAIT_FOR_WORKERS_S} s; start workers (`dask worker "
                                  f"{spec.scheduler}`) and run again") from None
        log.info("engine: dask scheduler %s, %d worker thread(s)", spec.scheduler,
                 sum(client.nthreads().values()))
        return client, None
    workers = spec.workers or _cores()
    # the dashboard (if bokeh is installed) on a free port, so concurrent runs do not clash
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           dashboard_address=":0", silence_logs=logging.ERROR)
    log.info("engine: dask LocalCluster of %d worker process(es)", workers)
    return Client(cluster), cluster


_LOCAL = _Session(EngineSpec())
_active: _Session = _LOCAL


def active() -> EngineSpec:
    """The engine partitions run on now."""
    return _active.spec


@contextlib.contextmanager
def use(spec: EngineSpec) -> Iterator[None]:
    """Run partitions on ``spec`` inside the block (per stage: see :func:`for_stage`); a Dask
    cluster started for it is closed at the end.

    Raises:
        WenmaiError: the engine is dask and Dask is not installed; said before any stage
            runs, not when the first stage large enough to be split needs it.
    """
    global _active
    if spec.name == "dask":
        _require_dask()
    previous, session = _active, _Session(spec)
    _active = session
    try:
        yield
    finally:
        _active = previous
        session.close()


@contextlib.contextmanager
def for_stage(stage: str) -> Iterator[None]:
    """Inside the block, the chosen engine if it applies to ``stage``, else ``local``."""
    global _active
    chosen = _active
    stages = chosen.spec.stages
    if not stages or stage in stages:
        yield
        return
    _active = _LOCAL
    try:
        yield
    finally:
        _active = chosen


def _cores() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
               else (os.cpu_count() or 1))


_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """Make this worker process exit as soon as its parent ``parent`` is gone.

    A killed ``wenmai topics`` (SIGKILL, SIGTERM, a closed terminal) must not leave workers
    computing for minutes. On Linux the kernel sends SIGKILL when the parent dies
    (``prctl(PR_SET_PDEATHSIG)``); elsewhere, and as a second guard, a daemon thread polls
    the parent's id twice a second (an orphan is re-parented, so its parent id changes).
    """
    if sys.platform.startswith("linux"):
        # where prctl is missing, the watcher thread below still ends the worker
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL),
                                                    0, 0, 0)
    if os.getppid() != parent:  # the parent died before the guard was in place
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), name="wenmai-parent-watch",
                     daemon=True).start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def resolve_workers(workers: int) -> int:
    """``0`` means every core (on the Dask engine: every worker thread of the cluster);
    anything else is taken as given (at least 1)."""
    if workers <= 0:
        spec = _active.spec
        if spec.name == "dask" and spec.scheduler:
            return max(1, sum(_active.client().nthreads().values()))
        if spec.name == "dask":  # the LocalCluster's size, known before (or without) starting it
            return spec.workers or _cores()
        return _cores()
    return workers


def partition(items: Sequence[T], parts: int) -> list[Sequence[T]]:
    """Split ``items`` into at most ``parts`` contiguous, nearly equal, non-empty slices.

    >>> [list(p) for p in partition([1, 2, 3, 4, 5], 2)]
    [[1, 2, 3], [4, 5]]
    """
    parts = max(1, min(parts, len(items)))
    size, extra = divmod(len(items), parts)
    out, start = [], 0
    for i in range(parts):
        end = start + size + (1 if i < extra else 0)
        out.append(items[start:end])
        start = end
    return [p for p in out if len(p)]


def map_partitions(
    func: Callable[..., R],
    partitions: Sequence[Any],
    *args: Any,
    workers: int = 1,
    label: str = "work",
    unit: str = "part",
    weights: Sequence[int] | None = None,
) -> list[R]:
    """Apply ``func(partition, *args)`` to each partition, in order, and return the results.

    A progress bar (on a terminal) counts ``weights[i]`` units per partition done
    (default: one per partition).

    With ``workers > 1`` and more than one partition, partitions run in a pool of fresh
    ("spawn") processes, so no thread state of the parent leaks into a worker and results do
    not depend on the machine; on the Dask engine they run as tasks on the cluster. ``func``
    must be a module-level function. Pool workers exit when this process dies
    (:func:`die_with_parent`).
    """
    workers = resolve_workers(workers)
    weights = list(weights) if weights is not None else [1] * len(partitions)
    if workers == 1 or len(partitions) <= 1:
        results = []
        with bar(sum(weights), label, unit=unit) as progress:
            for i, part in enumerate(partitions, 1):
                results.append(func(part, *args))
                progress.update(weights[i - 1])
                log.debug("%s: partition %d/%d done", label, i, len(partitions))
        return results
    if _active.spec.name == "dask":
        return _map_dask(func, partitions, args, label, weights=weights, unit=unit)
    with (_spawn_pool(min(workers, len(partitions))) as pool,
          bar(sum(weights), label, unit=unit) as progress):
        futures = [pool.submit(func, part, *args) for part in partitions]
        results = []
        for i, fut in enumerate(futures, 1):
            results.append(fut.result())
            progress.update(weights[i - 1])
            log.info("%s: %d/%d partitions done", label, i, len(futures))
        return results


@contextlib.contextmanager
def _spawn_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """A pool of ``workers`` fresh processes; when the block fails (a task raised, the user
    pressed Ctrl-C) the tasks not started are dropped and the workers are ended at once.

    Leaving a ``ProcessPoolExecutor`` block normally waits for every submitted task, so one
    failing partition would keep the run going until all the others had finished.
    """
    from concurrent.futures import ProcessPoolExecutor  # here: `wenmai --version` starts fast

    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(
        "spawn"), initializer=die_with_parent, initargs=(os.getpid(),))
    try:
        yield pool
    except BaseException:
        # the executor has no public way to end running tasks before Python 3.14
        # (terminate_workers); its process table is the one handle on them
        processes = list(getattr(pool, "_processes", None) or {})
        pool.shutdown(wait=False, cancel_futures=True)
        for pid in processes:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        raise
    else:
        pool.shutdown(wait=True)


def _map_dask(func: Callable[..., R], partitions: Sequence[Any], args: tuple[Any, ...],
              label: str, *, weights: Sequence[int], unit: str) -> list[R]:
    """``func(partition, *args)`` as one Dask task per partition, results in partition order.

    The shared arguments go to every worker once; each partition goes straight to the worker
    that runs it. A task that raises cancels the others and its exception is raised here.
    """
    client = _active.client()  # first: says how to install Dask when it is missing
    from dask.distributed import as_completed

    # each argument as one object (a list given to scatter would become one future per item)
    shared = [client.scatter([a], broadcast=True, hash=False)[0] for a in args]
    parts = client.scatter(list(partitions), hash=False)
    run = uuid.uuid4().hex[:8]
    futures = [client.submit(func, part, *shared, pure=False, key=f"{label}-{run}-{i}")
               for i, part in enumerate(parts)]
    index = {fut.key: i for i, fut in enumerate(futures)}
    try:
        with bar(sum(weights), label, unit=unit) as progress:
            for done, fut in enumerate(as_completed(futures), 1):
                if fut.status == "error":
                    err = fut.exception()
                    if isinstance(err, FileNotFoundError):
                        raise WenmaiError(
                            f"{label}: a Dask worker cannot find {err.filename}; the dask "
                            "engine needs the input files on a filesystem every worker sees "
                            "at the same path (see docs/scaling.md), or use --engine local"
                        ) from err
                    fut.result()  # raises the task's exception
                progress.update(weights[index[fut.key]])
                log.info("%s: %d/%d partitions done on dask", label, done, len(futures))
        return client.gather(futures)
    finally:
        client.cancel([*futures, *parts, *shared])


def can_fork() -> bool:
    """True where worker processes may be forked (Linux; macOS forks unsafely) and the engine
    is ``local`` (the others run :func:`map_partitions` in fresh processes or on Dask)."""
    return (_active.spec.name == "local" and sys.platform.startswith("linux")
            and "fork" in multiprocessing.get_all_start_methods())


def map_forked(run_part: Callable[[int, bool], R], count: int, workers: int, *,
               label: str = "work", unit: str = "part",
               weights: Sequence[int] | None = None) -> list[R]:
    """``[run_part(i, in_worker) for i in range(count)]``, shared by this process and
    ``workers - 1`` forked workers.

    The workers inherit everything this process has loaded (a dictionary, a model), so they
    start in milliseconds. Work is shared without a queue filled in advance: the workers take
    parts from the front, this process from the back, each only when it is free, so all
    finish about together even when some parts take much longer than others. Workers exit
    when this process dies (:func:`die_with_parent`). A worker sends
    each result back pickled (``in_worker`` is True there: build results with allocators
    that do not depend on thread state copied by the fork, e.g. ``pa.system_memory_pool()``).

    Raises:
        RuntimeError: a worker failed (its traceback is in the message) or died.
    """
    import gc
    import traceback

    ctx = multiprocessing.get_context("fork")
    lock = ctx.Lock()
    front = ctx.RawValue("i", 0)
    back = ctx.RawValue("i", count)
    results_queue = ctx.Queue()

    def take(from_front: bool) -> int | None:
        with lock:
            if front.value >= back.value:
                return None
            if from_front:
                front.value += 1
                return front.value - 1
            back.value -= 1
            return back.value

    parent = os.getpid()

    def work() -> None:
        die_with_parent(parent)
        try:
            while (i := take(True)) is not None:
                results_queue.put((i, run_part(i, True)))
        except BaseException as err:  # noqa: BLE001 - reported to the parent, which raises
            results_queue.put((-1, _failure(err, traceback.format_exc())))
        results_queue.put((None, None))

    results: list[Any] = [None] * count
    done = [False] * count
    sizes = list(weights) if weights is not None else [1] * count
    progress = bar(sum(sizes), label, unit=unit)
    # objects that exist now are never collected in a worker, so its garbage collector does
    # not touch (and copy) the pages it shares with this process
    gc.freeze()
    procs = [ctx.Process(target=work, daemon=True) for _ in range(max(0, workers - 1))]
    try:
        for proc in procs:
            proc.start()
        finished = 0

        def got(i: int | None, value: Any) -> None:
            nonlocal finished
            if i is None:
                finished += 1
                return
            results[i], done[i] = value, True
            progress.update(sizes[i])
            log.log(_quiet_if(progress), "%s: %d/%d parts done", label, sum(done), count)

        while (i := take(False)) is not None:
            got(i, run_part(i, False))
            # between its own parts, this process takes what workers sent, so a worker's
            # failure stops the run now, not after this process has done all its parts
            while (sent := _next_result(results_queue, procs, label, wait=False)) is not None:
                got(*sent)
        while finished < len(procs):
            got(*_next_result(results_queue, procs, label))
        for proc in procs:
            proc.join()
        if not all(done):
            raise RuntimeError(f"{label}: {done.count(False)} parts were never run")
        return results
    finally:
        progress.__exit__()
        _stop(procs, results_queue)
        gc.unfreeze()


def _quiet_if(progress: Any) -> int:
    """The level of a per-part log line: DEBUG while a bar shows the same count, else INFO."""
    return logging.DEBUG if progress.shown else logging.INFO


def map_stream(func: Callable[..., R], items: Iterable[T], *shared: Any, workers: int = 1,
               label: str = "work", unit: str = "doc", total: int = 0,
               weight: Callable[[T], int] | None = None,
               forked: Callable[[T, bool], R] | None = None,
               window: int | None = None) -> Iterator[R]:
    """``func(item, *shared)`` for items that arrive one by one, results in item order.

    ``items`` is read lazily, at most ``window`` items (default twice the workers) ahead of
    the result the caller is given, so a stage that reads its input a batch at a time never
    holds more than that many items and results (issue 16). A progress bar counts
    ``weight(item)`` of ``total`` units per item done.

    - One worker: in this process, one item after another.
    - ``local`` engine where processes may fork (:func:`can_fork`) and ``forked`` is given:
      ``workers`` forked processes inherit what this process has loaded (a dictionary) and
      run ``forked(item, True)`` (True: in a worker, see :func:`map_forked`); this process
      only reads the items and gathers the results.
    - Otherwise a pool of fresh ("spawn") processes, or one Dask task per item on the
      ``dask`` engine (``shared`` sent to every worker once): ``func`` must be module-level.

    Raises:
        RuntimeError: a forked worker failed (its traceback is in the message) or died; the
            other engines raise the item's own exception.
    """
    n = resolve_workers(workers)
    window = max(1, window or 2 * n)
    measure = weight or (lambda _item: 1)
    progress = bar(total, label, unit=unit)
    try:
        if n == 1:
            for done, item in enumerate(items, 1):
                result = forked(item, False) if forked is not None else func(item, *shared)
                progress.update(measure(item))
                log.debug("%s: %d parts done", label, done)
                yield result
                del item, result  # not held while the next item is read
        elif _active.spec.name == "dask":
            yield from _stream_dask(func, items, shared, label, window, measure, progress)
        elif forked is not None and can_fork():
            yield from _stream_forked(forked, items, n, label, window, measure, progress)
        else:
            yield from _stream_spawned(func, items, shared, n, label, window, measure,
                                       progress)
    finally:
        progress.__exit__()


def _stream_spawned(func: Callable[..., R], items: Iterable[T], shared: tuple[Any, ...],
                    workers: int, label: str, window: int, measure: Callable[[T], int],
                    progress: Any) -> Iterator[R]:
    """:func:`map_stream` in a pool of fresh processes."""
    from collections import deque

    with _spawn_pool(workers) as pool:
        pending: deque = deque()
        done = 0

        def oldest() -> R:
            nonlocal done
            item, fut = pending.popleft()
            result = fut.result()
            done += 1
            progress.update(measure(item))
            log.info("%s: %d partitions done", label, done)
            return result

        try:
            for item in items:
                pending.append((item, pool.submit(func, item, *shared)))
                if len(pending) >= window:
                    yield oldest()
            while pending:
                yield oldest()
        finally:
            for _, fut in pending:
                fut.cancel()


def _stream_dask(func: Callable[..., R], items: Iterable[T], shared: tuple[Any, ...],
                 label: str, window: int, measure: Callable[[T], int], progress: Any
                 ) -> Iterator[R]:
    """:func:`map_stream` as Dask tasks, at most ``window`` submitted and not yet returned."""
    from collections import deque

    client = _active.client()
    scattered = [client.scatter([a], broadcast=True, hash=False)[0] for a in shared]
    run = uuid.uuid4().hex[:8]
    pending: deque = deque()
    done = 0

    def oldest() -> R:
        nonlocal done
        item, fut = pending.popleft()
        try:
            result = fut.result()
        except FileNotFoundError as err:
            raise WenmaiError(
                f"{label}: a Dask worker cannot find {err.filename}; the dask engine needs the "
                "input files and the work folder on a filesystem every worker sees at the same "
                "path (see docs/scaling.md), or use --engine local") from err
        done += 1
        progress.update(measure(item))
        log.info("%s: %d partitions done on dask", label, done)
        return result

    try:
        for i, item in enumerate(items):
            pending.append((item, client.submit(func, item, *scattered, pure=False,
                                                key=f"{label}-{run}-{i}")))
            if len(pending) >= window:
                yield oldest()
        while pending:
            yield oldest()
    finally:
        client.cancel([fut for _, fut in pending] + scattered)


def _next_result(results_queue: Any, procs: list[Any], label: str, *, wait: bool = True
                 ) -> Any:
    """The next ``(index, result)`` a forked worker put on ``results_queue`` (``(None, None)``:
    a worker finished; None: nothing there yet and ``wait`` is False); a worker that died or
    failed stops the stage with its error."""
    import queue as queues

    while True:
        try:
            i, value = results_queue.get(timeout=1.0) if wait else results_queue.get_nowait()
        except queues.Empty:
            if any(p.exitcode not in (None, 0) for p in procs):
                raise RuntimeError(f"{label}: a worker process died") from None
            if not wait:
                return None
            continue
        if i is not None and i < 0:
            raise _raised(value, label)
        return i, value


def _failure(err: BaseException, trace: str) -> tuple[BaseException | None, str]:
    """What a forked worker sends back when it fails: its exception (when it survives pickling)
    and its traceback as text."""
    import pickle

    try:
        pickle.loads(pickle.dumps(err))
    except Exception:  # noqa: BLE001 - any exception may fail to pickle; the text still goes
        return None, trace
    return err, trace


def _raised(failure: tuple[BaseException | None, str], label: str) -> BaseException:
    """The exception to raise in the parent for a forked worker's failure: the worker's own
    (the same error as on the other engines, so the CLI names it the same way), with the
    worker's traceback as a note for ``--debug``; a RuntimeError when it could not be sent."""
    err, trace = failure
    if err is None:
        return RuntimeError(f"{label}: a worker failed:\n{trace}")
    err.add_note(f"in a {label} worker:\n{trace}")
    return err


def _stop(procs: list[Any], *queues: Any) -> None:
    """End forked workers and let this process exit without waiting on ``queues``.

    A queue's feeder thread writes into a pipe; when the workers that read it are gone (one
    failed, the others are terminated here), that write never ends, and Python joins feeder
    threads at exit, so a run that failed would print its error and then hang forever.
    ``cancel_join_thread`` drops what is still unsent: the run has failed or finished, and
    nothing unsent is needed.
    """
    for proc in procs:
        if proc.is_alive():
            proc.terminate()
    for proc in procs:
        proc.join(timeout=5)
        if proc.is_alive():  # a worker that ignores SIGTERM
            proc.kill()
            proc.join(timeout=5)
    for q in queues:
        q.cancel_join_thread()
        q.close()


def _stream_forked(run: Callable[[T, bool], R], items: Iterable[T], workers: int, label: str,
                   window: int, measure: Callable[[T], int], progress: Any) -> Iterator[R]:
    """:func:`map_stream` in ``workers`` forked processes fed through a queue."""
    import gc
    import traceback

    ctx = multiprocessing.get_context("fork")
    tasks = ctx.Queue()
    results_queue = ctx.Queue()
    parent = os.getpid()

    def work() -> None:
        die_with_parent(parent)
        try:
            while (task := tasks.get()) is not None:
                i, item = task
                results_queue.put((i, run(item, True)))
        except BaseException as err:  # noqa: BLE001 - reported to the parent, which raises
            results_queue.put((-1, _failure(err, traceback.format_exc())))

    # objects that exist now are never collected in a worker, so its garbage collector does
    # not touch (and copy) the pages it shares with this process
    gc.freeze()
    procs = [ctx.Process(target=work, daemon=True) for _ in range(workers)]
    for proc in procs:
        proc.start()
    sent: dict[int, T] = {}  # items sent whose result the caller has not had yet
    ready: dict[int, R] = {}
    next_out = finished = 0

    def receive() -> None:
        nonlocal finished
        i, value = _next_result(results_queue, procs, label)
        ready[i] = value
        finished += 1
        progress.update(measure(sent[i]))
        log.log(_quiet_if(progress), "%s: %d parts done", label, finished)

    def oldest() -> R:
        nonlocal next_out
        while next_out not in ready:
            receive()
        del sent[next_out]
        next_out += 1
        return ready.pop(next_out - 1)

    try:
        for i, item in enumerate(items):
            sent[i] = item
            tasks.put((i, item))
            if len(sent) >= window:  # wait until the oldest result is out
                yield oldest()
        while sent:
            yield oldest()
        for _ in procs:
            tasks.put(None)
        for proc in procs:
            proc.join()
    finally:
        _stop(procs, tasks, results_queue)
        gc.unfreeze()
