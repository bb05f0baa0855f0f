"""Progress bars: shown on a terminal at INFO, silent otherwise, never changing results."""

from __future__ import annotations

import io
import logging
from types import SimpleNamespace

import pytest

from pipelines.core import progress as P


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def tty(monkeypatch: pytest.MonkeyPatch) -> _Tty:
    err = _Tty()
    # the module's own view of sys: pytest's capture swaps sys.stderr between fixture and test
    monkeypatch.setattr(P, "sys", SimpleNamespace(stderr=err))
    logger = logging.getLogger("wenmai")
    monkeypatch.setattr(logger, "level", logging.INFO)
    return err


def test_bar_on_a_terminal_counts_documents_per_second(tty: _Tty) -> None:
    assert list(P.progress(range(5), "segment", unit="doc")) == [0, 1, 2, 3, 4]
    assert "segment" in tty.getvalue() and "doc/s" in tty.getvalue()
    with P.bar(10, "ingest", unit="file") as b:
        b.update(4)
        b.update(6)
    assert "ingest" in tty.getvalue() and "0/10" in tty.getvalue() and "file/s" in tty.getvalue()


def test_quiet_or_not_a_terminal_shows_nothing(tty: _Tty,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logging.getLogger("wenmai"), "level", logging.WARNING)  # -q
    assert list(P.progress([1, 2], "x")) == [1, 2]
    with P.bar(3, "x") as b:
        b.update(3)
    assert tty.getvalue() == ""
    monkeypatch.setattr(logging.getLogger("wenmai"), "level", logging.INFO)
    monkeypatch.setattr(P, "sys", SimpleNamespace(stderr=io.StringIO()))  # a pipe, a log
    assert not P.enabled()
