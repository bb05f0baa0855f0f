"""Every rule type on tiny texts, results checked by hand."""

from __future__ import annotations

import pytest

from pipelines.code.apply import Evaluator, build_units
from pipelines.code.codebook import parse_codebook
from pipelines.code.rules import RuleError, parse_rule
from tests.code.helpers import DOCS, book_text, tables


def evaluate(rule: str, level: str, *extra: tuple[str, str]) -> list[bool]:
    book = parse_codebook(book_text(("X", rule), *extra))
    t = tables()
    units = build_units(list(DOCS), list(DOCS.values()), t["segment/tokens"])
    return Evaluator(units, book).evaluate(book.code("X").rule, level).tolist()


# sentences: d1 s0 政府加大经费投入。 s1 企业参与培训！ (para 0) s2 学校开展教师培训。 (para 1)
#            d2 s0 Teachers need training. s1 乡村振兴需要人才。
@pytest.mark.parametrize(("rule", "expected"), [
    ("培训", [False, True, True, False, False]),  # word = token
    ("TEACHER", [False, False, False, True, False]),  # Latin words ignore case
    ("teach*", [False, False, False, True, False]),  # prefix
    ("振兴", [False, False, False, False, False]),  # not a token (inside 乡村振兴)
    ('"振兴"', [False, False, False, False, True]),  # a phrase matches the raw text
    ('"teachers need"', [False, False, False, True, False]),
    ("/经费.{2}/", [True, False, False, False, False]),  # regex on the raw text
    ("/第[一二]条/", [False] * 5),
    ("培训 and 企业", [False, True, False, False, False]),
    ("培训 & !企业", [False, False, True, False, False]),
    ("政府 or 人才", [True, False, False, False, True]),
    ("not 培训", [True, False, False, True, True]),
    ("(政府 | 企业) and not 经费", [False, True, False, False, False]),
    ("near(教师, 培训, 1)", [False, False, True, False, False]),  # adjacent tokens
    ("near(学校, 培训, 2)", [False, False, False, False, False]),  # 3 tokens apart
    ("near(学校, 培训, 3)", [False, False, True, False, False]),
    ("near(培训, 学校, 3)", [False, False, True, False, False]),  # either order
])
def test_rule_on_sentences(rule: str, expected: list[bool]) -> None:
    assert evaluate(rule, "sentence") == expected


def test_and_at_paragraph_and_document_units() -> None:
    # 政府 (s0) and 企业 (s1) share paragraph 0 of d1, not a sentence
    assert evaluate("政府 and 企业", "sentence") == [False] * 5
    assert evaluate("政府 and 企业", "paragraph") == [True, False, False]
    assert evaluate("政府 and 教师", "paragraph") == [False, False, False]
    assert evaluate("政府 and 教师", "document") == [True, False]


def test_sentence_and_paragraph_scopes() -> None:
    assert evaluate("sentence(政府 and 企业)", "document") == [False, False]
    assert evaluate("paragraph(政府 and 企业)", "document") == [True, False]
    assert evaluate("sentence(培训 and 教师)", "document") == [True, False]
    # a scope as wide as the unit (or wider) is the unit itself
    assert evaluate("paragraph(培训)", "sentence") == evaluate("培训", "sentence")


def test_code_and_category_references() -> None:
    assert evaluate("@A and @B", "paragraph", ("A", "政府"), ("B", "企业")) == [
        True, False, False]
    # a category reference stands for any of its codes (C holds X, A, B: X refers to A only)
    book = parse_codebook(book_text(("X", "@A"), ("A", "政府"), ("Y", "人才")))
    assert book.order.index("A") < book.order.index("X")


@pytest.mark.parametrize(("rule", "message"), [
    ("培训 and", "ends too early"),
    ("(培训", "ends too early"),
    ("培训 教师", "join terms with and / or"),
    ("near(a, b)", "expected ','"),
    ("near(a, b, x)", "whole number"),
    ('near("a b", c, 2)', "takes words"),
    ("/[/", "bad regular expression"),
    ('"open', "never closed"),
    ("foo(a)", "unknown function"),
])
def test_bad_rules_raise(rule: str, message: str) -> None:
    with pytest.raises(RuleError, match=message):
        parse_rule(rule)
