"""Saturation curves and the reserve check on a tiny hand example."""

from __future__ import annotations

from pipelines.code.saturation import curve, saturation, split_reserve


def test_curve_by_hand() -> None:
    assert curve([{"a", "b"}, {"a"}, {"c"}, set(), {"b", "c"}]) == (
        [2, 0, 1, 0, 0], [2, 2, 3, 3, 3])


def test_saturation_table_and_reserve() -> None:
    docs = ["d1", "d2", "d3", "d4"]
    names = {"code": {"d1": {"a", "b"}, "d2": {"a"}, "d3": {"c"}, "d4": {"a", "d"}}}
    main, held = split_reserve(4, 1, seed=0)
    sat, reserve = saturation(docs, names, orders=50, reserve=1, seed=0)
    rows = sat.to_pylist()
    assert [r["doc_id"] for r in rows] == [docs[i] for i in [*main, *held]]
    assert rows[-1]["random_median"] is None  # the reserve case is not in the random orders
    main_sets = [names["code"][docs[i]] for i in main]
    assert [r["total"] for r in rows[:3]] == curve(main_sets)[1]
    # every random order ends with all names of the main cases
    assert rows[2]["random_median"] == rows[2]["total"] == len(set().union(*main_sets))
    # the first case of a random order has between 1 and 2 names
    assert 1 <= rows[0]["random_low"] <= rows[0]["random_high"] <= 2
    held_names = names["code"][docs[held[0]]]
    only = {r["name"] for r in reserve.to_pylist() if r["only_in_reserve"]}
    assert only == held_names - set().union(*main_sets)


def test_no_reserve_by_default() -> None:
    sat, reserve = saturation(["d1", "d2"], {"code": {"d1": {"a"}, "d2": {"a", "b"}}},
                              orders=0, reserve=0, seed=1)
    assert [r["new"] for r in sat.to_pylist()] == [1, 1]
    assert not any(r["only_in_reserve"] for r in reserve.to_pylist())
