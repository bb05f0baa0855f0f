"""A ``where`` filter over documents columns, parsed by a small grammar (never ``eval``).

The expression names documents columns and compares them with literal values::

    year >= 2013
    province in ('新疆', '西藏') and not year < 2000
    title contains '乡村振兴' or (lang = 'en' and year between 2010 and 2020)

Grammar (keywords in any case; a column is a name of letters, digits and ``_``, or any text
in backticks; a value is a number, a quoted string, ``true``, ``false``)::

    expr    := and ("or" and)*
    and     := not ("and" not)*
    not     := "not" not | "(" expr ")" | test
    test    := column op value | column ["not"] "in" "(" value ("," value)* ")"
             | column "contains" string | column "is" ["not"] "null"
             | column "between" value "and" value
    op      := = == != <> < <= > >=

The parse gives a :class:`Where`; :meth:`Where.expression` checks the columns against a
table's schema and builds a ``pyarrow.compute.Expression`` (arrow evaluates it, vectorised).
A comparison with a missing value (null) is not true, so ``not (year >= 2013)`` leaves out
documents without a year, as SQL does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from pipelines.core.errors import BadParams

__all__ = ["Where", "parse", "selected_ids", "HINT"]

#: What Arrow raises when a column and a value of the filter have types it cannot compare or
#: cast (``year >= 'x'``, ``lang in (1, 2)``): the user's mistake, said as one line.
TYPE_MISMATCH = (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError)

HINT = ("write it like: year >= 2013, province in ('新疆', '西藏'), title contains '乡村振兴', "
        "joined with and / or / not")
_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<string>'(?:[^']|'')*'|"(?:[^"]|"")*")
  | (?P<number>-?\d+(?:\.\d+)?(?![\w.]))
  | (?P<op><=|>=|!=|<>|==|=|<|>)
  | (?P<punct>[(),])
  | (?P<quoted>`[^`]+`)
  | (?P<name>[^\W\d]\w*)
""", re.VERBOSE)
_KEYWORDS = {"and", "or", "not", "in", "contains", "is", "null", "true", "false", "between"}
_OPS = {"=": "==", "==": "==", "!=": "!=", "<>": "!=", "<": "<", "<=": "<=", ">": ">",
        ">=": ">="}


@dataclass(frozen=True)
class _Tok:
    kind: str  # string, number, op, punct, name, keyword, end
    value: Any
    at: int  # character offset, for messages


#: A parsed expression: ("or"|"and", left, right), ("not", e), ("cmp", col, op, value),
#: ("in", col, values, negated), ("contains", col, text), ("null", col, negated)
Node = tuple


@dataclass(frozen=True)
class Where:
    """A parsed filter: its text, its tree and the columns it names."""

    text: str
    tree: Node
    columns: tuple[str, ...]

    def expression(self, schema: pa.Schema, table: str = "ingest/documents") -> pc.Expression:
        """The arrow expression of the filter, checked against ``schema``.

        Raises:
            BadParams: a column is not in ``schema``, or ``contains`` names a column that does
                not hold text.
        """
        for column in self.columns:
            if column not in schema.names:
                names = [n for n in schema.names if n != "text"]
                raise BadParams(f"where {self.text!r}: {column!r} is not a column of {table}; "
                                "choose from " + ", ".join(names))
        return _build(self.tree, schema, self.text)


def parse(text: str) -> Where:
    """Parse a ``where`` expression.

    Raises:
        BadParams: the text is empty or not an expression of the grammar (the message shows
            where it stops making sense).

    >>> parse("year >= 2013 and lang in ('zh', 'mixed')").columns
    ('year', 'lang')
    """
    text = str(text)
    tokens = _tokenize(text)
    parser = _Parser(text, tokens)
    tree = parser.expr()
    if parser.peek().kind != "end":
        parser.fail("expected and / or, or the end")
    columns: list[str] = []
    _columns(tree, columns)
    return Where(text, tree, tuple(dict.fromkeys(columns)))


def selected_ids(documents: Any, where: Where) -> pa.Array:
    """The doc_ids of the documents (a table or :class:`~pipelines.core.store.StoredTable`)
    that pass ``where``, reading only the columns it names.

    Raises:
        BadParams: as :meth:`Where.expression`, or arrow cannot compare a column with the
            value given (``year >= '2013'``: a number column with text).
    """
    expression = where.expression(documents.schema)
    columns = list(dict.fromkeys(["doc_id", *where.columns]))
    if hasattr(documents, "iter_batches"):  # a stored table, read a batch at a time
        batches = documents.iter_batches(columns)
    else:
        batches = documents.select(columns).to_batches()
    kept: list[pa.Array] = []
    try:
        for batch in batches:
            table = pa.Table.from_batches([batch])
            kept.append(table.filter(expression).column("doc_id").combine_chunks())
    except TYPE_MISMATCH as err:
        first = str(err).splitlines()[0]
        raise BadParams(f"where {where.text!r}: a column and a value do not match ({first}); "
                        "compare numbers with numbers (year >= 2013) and text with quoted text "
                        "(lang = 'zh')") from None
    return pa.concat_arrays(kept) if kept else pa.array([], pa.string())


def _tokenize(text: str) -> list[_Tok]:
    if not text.strip():
        raise BadParams(f"where {text!r}: the expression is empty; {HINT}")
    out: list[_Tok] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise BadParams(f"where {text!r}: cannot read {text[pos:pos + 10]!r} at character "
                            f"{pos + 1}; {HINT}")
        kind = match.lastgroup or ""
        raw = match.group()
        pos = match.end()
        if kind == "space":
            continue
        at = match.start()
        if kind == "string":
            out.append(_Tok("string", raw[1:-1].replace(raw[0] * 2, raw[0]), at))
        elif kind == "number":
            out.append(_Tok("number", float(raw) if "." in raw else int(raw), at))
        elif kind == "quoted":
            out.append(_Tok("name", raw[1:-1], at))
        elif kind == "name" and raw.lower() in _KEYWORDS:
            out.append(_Tok("keyword", raw.lower(), at))
        else:
            out.append(_Tok(kind, raw, at))
    out.append(_Tok("end", None, len(text)))
    return out


class _Parser:
    """Recursive descent over the tokens (one function per grammar rule)."""

    def __init__(self, text: str, tokens: list[_Tok]) -> None:
        self.text, self.tokens, self.i = text, tokens, 0

    def peek(self) -> _Tok:
        return self.tokens[self.i]

    def take(self) -> _Tok:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def fail(self, what: str) -> None:
        tok = self.peek()
        found = "the end" if tok.kind == "end" else repr(self.text[tok.at:tok.at + 12].split()[0])
        raise BadParams(f"where {self.text!r}: {what} at character {tok.at + 1}, found {found}; "
                        f"{HINT}")

    def is_(self, kind: str, value: Any = None) -> bool:
        tok = self.peek()
        return tok.kind == kind and (value is None or tok.value == value)

    def expect(self, kind: str, value: Any, what: str) -> None:
        if not self.is_(kind, value):
            self.fail(f"expected {what}")
        self.take()

    def expr(self) -> Node:
        node = self.conj()
        while self.is_("keyword", "or"):
            self.take()
            node = ("or", node, self.conj())
        return node

    def conj(self) -> Node:
        node = self.neg()
        while self.is_("keyword", "and"):
            self.take()
            node = ("and", node, self.neg())
        return node

    def neg(self) -> Node:
        if self.is_("keyword", "not"):
            self.take()
            return ("not", self.neg())
        if self.is_("punct", "("):
            self.take()
            node = self.expr()
            self.expect("punct", ")", "a closing ')'")
            return node
        return self.test()

    def value(self) -> Any:
        tok = self.peek()
        if tok.kind in ("string", "number"):
            self.take()
            return tok.value
        if tok.kind == "keyword" and tok.value in ("true", "false"):
            self.take()
            return tok.value == "true"
        self.fail("expected a value (a number, 'quoted text', true or false)")
        return None

    def test(self) -> Node:
        if not self.is_("name"):
            self.fail("expected a column name")
        column = self.take().value
        tok = self.peek()
        if tok.kind == "op":
            self.take()
            return ("cmp", column, _OPS[tok.value], self.value())
        negated = False
        if self.is_("keyword", "not"):
            self.take()
            negated = True
            if not self.is_("keyword", "in"):
                self.fail("expected 'in' after 'not'")
        if self.is_("keyword", "in"):
            self.take()
            self.expect("punct", "(", "'(' and a list of values")
            values = [self.value()]
            while self.is_("punct", ","):
                self.take()
                values.append(self.value())
            self.expect("punct", ")", "',' or a closing ')'")
            return ("in", column, tuple(values), negated)
        if self.is_("keyword", "contains"):
            self.take()
            if not self.is_("string"):
                self.fail("expected 'quoted text' after contains")
            return ("contains", column, self.take().value)
        if self.is_("keyword", "is"):
            self.take()
            negated = self.is_("keyword", "not")
            if negated:
                self.take()
            self.expect("keyword", "null", "null")
            return ("null", column, negated)
        if self.is_("keyword", "between"):
            self.take()
            low = self.value()
            self.expect("keyword", "and", "'and' between the two bounds")
            return ("and", ("cmp", column, ">=", low), ("cmp", column, "<=", self.value()))
        self.fail(f"expected a comparison (=, !=, <, <=, >, >=), in, contains, is null or "
                  f"between after column {column!r}")
        return ()


def _columns(node: Node, out: list[str]) -> None:
    if node[0] in ("or", "and"):
        _columns(node[1], out)
        _columns(node[2], out)
    elif node[0] == "not":
        _columns(node[1], out)
    else:
        out.append(node[1])


def _build(node: Node, schema: pa.Schema, text: str) -> pc.Expression:
    kind = node[0]
    if kind == "or":
        return _build(node[1], schema, text) | _build(node[2], schema, text)
    if kind == "and":
        return _build(node[1], schema, text) & _build(node[2], schema, text)
    if kind == "not":
        return ~_build(node[1], schema, text)
    field = pc.field(node[1])
    if kind == "cmp":
        op, value = node[2], node[3]
        return {"==": field.__eq__, "!=": field.__ne__, "<": field.__lt__, "<=": field.__le__,
                ">": field.__gt__, ">=": field.__ge__}[op](value)
    if kind == "in":
        found = field.isin(_value_set(node[2], schema.field(node[1]).type, text))
        # a missing value is neither in nor out of the list (SQL): null, so never kept
        found = pc.if_else(field.is_valid(), found, pa.scalar(None, pa.bool_()))
        return ~found if node[3] else found
    if kind == "contains":
        if not (pa.types.is_string(schema.field(node[1]).type)
                or pa.types.is_large_string(schema.field(node[1]).type)):
            raise BadParams(f"where {text!r}: contains works on text columns; {node[1]!r} is "
                            f"{schema.field(node[1]).type}")
        return pc.match_substring(field, node[2])
    return field.is_valid() if node[2] else field.is_null()


def _value_set(values: Iterable[Any], kind: pa.DataType, text: str) -> pa.Array:
    """The values of an ``in`` list as an array of the column's type."""
    try:
        return pa.array(list(values)).cast(kind)
    except TYPE_MISMATCH:
        raise BadParams(f"where {text!r}: the values {list(values)!r} do not match the column's "
                        f"type {kind}; compare numbers with numbers and text with quoted text"
                        ) from None
