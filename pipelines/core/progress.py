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

__all__ = ["progress", "bar", "enabled"]

T = TypeVar("T")
log = logging.getLogger("wenmai")


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

    with tqdm(iterable, desc=desc, total=total, unit=unit, leave=False, file=sys.stderr,
              dynamic_ncols=True, **kwargs) as bar:
        yield from bar


class _Bar:
    """A tqdm bar or nothing; ``update(n)`` either way."""

    def __init__(self, total: int, desc: str, unit: str) -> None:
        self._bar = None
        if enabled() and total > 0:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=desc, unit=unit, leave=False, file=sys.stderr,
                             dynamic_ncols=True)

    def update(self, n: int = 1) -> None:
        if self._bar is not None:
            self._bar.update(n)

    def __enter__(self) -> _Bar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.close()


def bar(total: int, desc: str, *, unit: str = "doc") -> _Bar:
    """A bar to ``update(n)`` by hand (work done out of order, in other processes)::

        with bar(len(docs), "segment") as b:
            for part in done_parts():
                b.update(len(part))
    """
    return _Bar(total, desc, unit)
