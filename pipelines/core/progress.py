"""Progress bars for long stages (tqdm), on stderr, only where someone watches.

A bar shows when stderr is a terminal and the ``wenmai`` logger is at INFO or finer (so not
with ``-q``, not in CI logs, not under tests); otherwise the wrapped iterable passes through
untouched. Stages call it in one line::

    for doc in progress(docs, "segment", unit="doc"):
        ...
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

__all__ = ["progress", "bar", "enabled", "LogHandler"]

T = TypeVar("T")
log = logging.getLogger("wenmai")
_open_bars = [0]  # bars drawn now: log lines go through tqdm.write while any is


class LogHandler(logging.StreamHandler):
    """A stream handler that logs through the bars: while a bar is drawn, a message clears it,
    prints on its own line and the bar is redrawn below (``tqdm.write``), so a log line never
    lands on a bar and the bar keeps updating in place."""

    def emit(self, record: logging.LogRecord) -> None:
        if not _open_bars[0]:
            super().emit(record)
            return
        try:
            from tqdm import tqdm

            tqdm.write(self.format(record), file=self.stream)
        except Exception:  # logging must never raise
            self.handleError(record)


def enabled() -> bool:
    """True when a bar would be seen: stderr is a terminal and -q was not given."""
    return sys.stderr.isatty() and log.getEffectiveLevel() <= logging.INFO


def progress(iterable: Iterable[T], desc: str, *, total: int | None = None,
             unit: str = "doc", **kwargs: Any) -> Iterator[T]:
    """Iterate ``iterable`` with a bar (rate in ``unit``/s) when :func:`enabled`.

    Args:
        iterable: What to iterate.
        desc: The label before the bar (the stage name).
        total: Number of items, if ``iterable`` has no ``len``.
        unit: What one item is (``doc``, ``file``, ``model``, ``figure``).
        **kwargs: Passed to ``tqdm`` (``unit_scale``, ...).
    """
    if not enabled():
        yield from iterable
        return
    from tqdm import tqdm

    _open_bars[0] += 1
    try:
        with tqdm(iterable, desc=desc, total=total, unit=unit, leave=False, file=sys.stderr,
                  dynamic_ncols=True, **kwargs) as bar:
            yield from bar
    finally:
        _open_bars[0] -= 1


class _Bar:
    """A tqdm bar or nothing; ``update(n)`` either way."""

    def __init__(self, total: int, desc: str, unit: str) -> None:
        self._bar = None
        if enabled() and total > 0:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=desc, unit=unit, leave=False, file=sys.stderr,
                             dynamic_ncols=True)
            _open_bars[0] += 1

    @property
    def shown(self) -> bool:
        """True while the bar is drawn (then a per-part log line would only repeat it)."""
        return self._bar is not None

    def update(self, n: int = 1) -> None:
        if self._bar is not None:
            self._bar.update(n)

    def __enter__(self) -> _Bar:
        return self

    def close(self) -> None:
        """Remove the bar (also on leaving a ``with`` block); closing twice is harmless."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
            _open_bars[0] -= 1

    def __exit__(self, *exc: object) -> None:
        self.close()


def bar(total: int, desc: str, *, unit: str = "doc") -> _Bar:
    """A bar to ``update(n)`` by hand (work done out of order, in other processes)::

        with bar(len(docs), "segment") as b:
            for part in done_parts():
                b.update(len(part))
    """
    return _Bar(total, desc, unit)
