"""engine.map_stream: results in item order, items read lazily, on every local path."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pipelines.core import engine
from pipelines.core.engine import EngineSpec, map_stream, use


def _square(item: int, offset: int) -> int:
    return item * item + offset


def _fail_on_three(item: int, offset: int) -> int:
    if item == 3:
        raise ValueError("item 3 is broken")
    return item + offset


def _counted(n: int, log: list[int]) -> Iterator[int]:
    for i in range(n):
        log.append(i)
        yield i


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_forked_results_come_in_item_order(workers: int) -> None:
    seen: list[int] = []
    out = list(map_stream(_square, _counted(20, seen), 1, workers=workers,
                          forked=lambda item, _in_worker: item * item + 1))
    assert out == [i * i + 1 for i in range(20)]
    assert seen == list(range(20))


def test_items_are_read_at_most_a_window_ahead() -> None:
    seen: list[int] = []
    results = map_stream(_square, _counted(50, seen), 0, workers=2, window=3,
                         forked=lambda item, _in_worker: item)
    for got in results:
        assert len(seen) <= got + 1 + 3  # the items read so far: this one and a window ahead
    assert len(seen) == 50


def test_spawned_workers_give_the_same_results(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "can_fork", lambda: False)
    out = list(map_stream(_square, iter(range(7)), 5, workers=2,
                          forked=lambda item, _in_worker: -1))
    assert out == [i * i + 5 for i in range(7)]
    with use(EngineSpec(name="processes")):
        assert list(map_stream(_square, range(4), 0, workers=2)) == [0, 1, 4, 9]


def test_a_failing_item_raises() -> None:
    def forked(item: int, _in_worker: bool) -> int:
        return _fail_on_three(item, 0)

    with pytest.raises(ValueError, match="item 3 is broken") as raised:  # the worker's own
        list(map_stream(_fail_on_three, range(6), 0, workers=2, forked=forked))
    assert "in a work worker:" in raised.value.__notes__[0]  # its traceback, for --debug
    with pytest.raises(ValueError, match="item 3 is broken"):
        list(map_stream(_fail_on_three, range(6), 0, workers=1, forked=forked))
