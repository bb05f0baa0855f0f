"""The ``where`` filter: one test per operator, checked against a plain Python filter."""

from __future__ import annotations

import pyarrow as pa
import pytest

from pipelines.core.errors import BadParams
from pipelines.core.where import parse, selected_ids

DOCS = pa.table({
    "doc_id": ["a", "b", "c", "d", "e"],
    "year": pa.array([2010, 2013, 2015, None, 2020], pa.int32()),
    "province": ["新疆", "西藏", "广东", "新疆", None],
    "title": ["关于乡村振兴的意见", "政府工作报告", "乡村振兴战略规划", "教育法", "It's new"],
    "score": [0.5, 1.5, 2.5, 3.5, 4.5],
    "open": [True, False, True, False, True],
})
ROWS = DOCS.to_pylist()


def ids(text: str) -> list[str]:
    return selected_ids(DOCS, parse(text)).to_pylist()


def expect(test) -> list[str]:
    return [r["doc_id"] for r in ROWS if test(r)]


def _ge(value, bound) -> bool:
    return value is not None and value >= bound


@pytest.mark.parametrize(("text", "test"), [
    ("year = 2013", lambda r: r["year"] == 2013),
    ("year == 2013", lambda r: r["year"] == 2013),
    ("year != 2013", lambda r: r["year"] is not None and r["year"] != 2013),
    ("year <> 2013", lambda r: r["year"] is not None and r["year"] != 2013),
    ("year < 2015", lambda r: r["year"] is not None and r["year"] < 2015),
    ("year <= 2015", lambda r: r["year"] is not None and r["year"] <= 2015),
    ("year > 2013", lambda r: r["year"] is not None and r["year"] > 2013),
    ("year >= 2013", lambda r: _ge(r["year"], 2013)),
    ("score >= 2.5", lambda r: r["score"] >= 2.5),
    ("open = true", lambda r: r["open"]),
    ("province = '新疆'", lambda r: r["province"] == "新疆"),
    ("province in ('新疆', '西藏')", lambda r: r["province"] in ("新疆", "西藏")),
    ("province not in ('新疆', \"西藏\")",
     lambda r: r["province"] is not None and r["province"] not in ("新疆", "西藏")),
    ("year in (2010, 2020)", lambda r: r["year"] in (2010, 2020)),
    ("title contains '乡村振兴'", lambda r: "乡村振兴" in r["title"]),
    ("title contains 'It''s'", lambda r: "It's" in r["title"]),
    ("year >= 2013 and province = '新疆'", lambda r: False),
    ("year >= 2013 AND province = '广东'", lambda r: r["doc_id"] == "c"),
    ("year < 2011 or province = '西藏'", lambda r: r["doc_id"] in ("a", "b")),
    ("not year >= 2013", lambda r: r["year"] is not None and r["year"] < 2013),
    ("not (province = '新疆' or year > 2019)", lambda r: r["doc_id"] in ("b", "c")),
    ("year is null", lambda r: r["year"] is None),
    ("province is not null", lambda r: r["province"] is not None),
    ("year between 2013 and 2015", lambda r: r["year"] in (2013, 2015)),
    ("`year` >= 2013 and (title contains '乡村' or province in ('西藏'))",
     lambda r: r["doc_id"] in ("b", "c")),
])
def test_each_operator_selects_what_python_selects(text, test) -> None:
    assert ids(text) == expect(test)


def test_precedence_and_binds_tighter_than_or() -> None:
    assert ids("province = '西藏' or province = '新疆' and year > 2012") == ["b"]
    assert ids("(province = '西藏' or province = '新疆') and year > 2012") == ["b"]
    assert ids("province = '广东' or province = '新疆' and year < 2012") == ["a", "c"]


def test_columns_named() -> None:
    assert parse("year >= 2013 and not title contains 'x' or year < 1").columns == (
        "year", "title")


@pytest.mark.parametrize(("text", "message"), [
    ("year >> 2013", r"expected a value .* at character 7"),
    ("year >= ", r"expected a value .* found the end"),
    ("year >= 2013 and", r"expected a column name at character 17, found the end"),
    ("(year >= 2013", r"expected a closing '\)'"),
    ("year 2013", r"expected a comparison"),
    ("province in '新疆'", r"expected '\(' and a list of values"),
    ("title contains 乡村", r"expected 'quoted text' after contains"),
    ("year >= 2013 year", r"expected and / or, or the end"),
    ("year >= 2013; drop", r"cannot read ';"),
    ("", r"the expression is empty"),
    ("__import__('os').system('x')", r"cannot read"),
    ("__import__('os')", r"expected a comparison"),
])
def test_a_syntax_error_is_one_line_naming_the_place(text, message) -> None:
    with pytest.raises(BadParams, match=message) as err:
        parse(text)
    assert "\n" not in str(err.value)


def test_an_unknown_column_names_the_columns() -> None:
    with pytest.raises(BadParams, match=r"'yaer' is not a column of ingest/documents; choose "
                                        r"from doc_id, year, province"):
        ids("yaer >= 2013")


def test_a_type_mismatch_is_a_clear_error() -> None:
    with pytest.raises(BadParams, match="compare numbers with numbers"):
        ids("year >= '2013'")
    with pytest.raises(BadParams, match="do not match the column's type"):
        ids("year in ('x', 'y')")
    with pytest.raises(BadParams, match="contains works on text columns"):
        ids("year contains '20'")
