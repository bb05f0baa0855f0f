"""The rule language of a codebook, in the spirit of KH Coder's coding rules.

A rule is an expression over one coding unit (a sentence, a paragraph or a document):

==========================  ===============================================================
``扶贫``                     a word: some segmented word equals it (Latin letters ignore case),
                             so the domain dictionary and synonyms apply; rules see every word
                             of the text (segment/tokens ``words``), stopwords included
``培训*``                    a word prefix: some word starts with ``培训``
``"产教融合"``               a phrase: the raw text contains it (Latin letters ignore case);
                             use it when segmentation splits a term
``/第[一二三]条/``           a regular expression (RE2 syntax) searched in the raw text
``a and b``, ``a & b``       both; ``a or b``, ``a | b`` either; ``not a``, ``!a`` negation
``near(a, b, 5)``            words ``a`` and ``b`` at most 5 words apart in one sentence
                             (counted on every segmented word, punctuation left out)
``sentence(a and b)``        the inner rule holds inside one sentence of the unit
``paragraph(a and b)``       ... inside one paragraph of the unit
``@资金投入``                another code, or a category / group (= any of its codes)
==========================  ===============================================================

``not`` binds tighter than ``and``, which binds tighter than ``or``; brackets group. Phrases and
regular expressions match inside one sentence (as ``near`` does): a unit matches when one of
its sentences does. A scope as wide as the unit or wider is the unit itself.

A codebook is a program run on every unit of the corpus, so what a rule may ask is bounded
before any text is read (issue 30), each breach refused with the file and line:

- regular expressions run on RE2 (``google-re2``), whose matching time is linear in the text:
  no catastrophic backtracking (``/(a+)+b/``). RE2 accepts Python's syntax except
  backreferences (``\\1``), lookaround (``(?=``, ``(?!``, ``(?<=``) and possessive or atomic
  groups, and a counted repetition above {1000} (https://github.com/google/re2/wiki/Syntax);
  ``\\d``, ``\\w`` and ``\\b`` are ASCII-only there, so write ``[0-9０-９]`` or
  ``[一二三四五六七八九十]`` for Chinese numerals;
- ``near(a, b, n)``: ``n`` ≤ :data:`MAX_NEAR` tokens (far beyond a real sentence);
- a rule: at most :data:`MAX_RULE_CHARS` characters, :data:`MAX_TERMS` terms and operators,
  and :data:`MAX_NESTING` levels of brackets, ``not`` and scopes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["RuleError", "Node", "Word", "Phrase", "Regex", "Near", "Not", "And", "Or",
           "Scope", "Ref", "parse_rule", "references", "atoms", "SCOPES", "MAX_NEAR",
           "MAX_RULE_CHARS", "MAX_TERMS", "MAX_NESTING"]

SCOPES = ("sentence", "paragraph")
#: The widest ``near`` window, in tokens (a long policy sentence has about 100).
MAX_NEAR = 1000
#: The longest rule, in characters.
MAX_RULE_CHARS = 10_000
#: The most terms, operators and brackets in one rule.
MAX_TERMS = 2_000
#: The deepest nesting of brackets, ``not`` and scopes in one rule.
MAX_NESTING = 50
#: The largest counted repetition in a regular expression (RE2's own limit).
_MAX_REPEAT = 1000
#: Memory RE2 may use for one compiled expression.
_RE2_MAX_MEM = 32 << 20


class RuleError(ValueError):
    """A rule that cannot be parsed; the message says where and why."""


@dataclass(frozen=True)
class Word:
    text: str
    prefix: bool = False

    def label(self) -> str:
        return self.text + ("*" if self.prefix else "")


@dataclass(frozen=True)
class Phrase:
    text: str

    def label(self) -> str:
        return self.text


@dataclass(frozen=True)
class Regex:
    source: str

    @property
    def pattern(self) -> Any:
        """The compiled RE2 program (``search`` as in ``re``)."""
        return _compiled(self.source)

    def label(self) -> str:
        return f"/{self.source}/"


@dataclass(frozen=True)
class Near:
    a: Word
    b: Word
    n: int

    def label(self) -> str:
        return f"near({self.a.label()},{self.b.label()},{self.n})"


@dataclass(frozen=True)
class Not:
    item: Node


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Scope:
    level: str
    item: Node


@dataclass(frozen=True)
class Ref:
    name: str


Node = Word | Phrase | Regex | Near | Not | And | Or | Scope | Ref

_REGEX_CACHE: dict[str, Any] = {}
_REPEAT = re.compile(r"\{(\d+)(?:,(\d*))?\}")


def _compiled(source: str) -> Any:
    """The RE2 program of a rule's regular expression (compiled once per process).

    Raises:
        RuleError: RE2 cannot compile it (a backreference, lookaround, a repetition above
            {1000}, a program too large).
    """
    pattern = _REGEX_CACHE.get(source)
    if pattern is not None:
        return pattern
    import re2

    for match in _REPEAT.finditer(source):
        if any(int(n) > _MAX_REPEAT for n in match.groups() if n):
            raise RuleError(f"bad regular expression /{source}/: repetition {match.group(0)} "
                            f"is above {{{_MAX_REPEAT}}}")
    options = re2.Options()
    options.log_errors = False
    options.max_mem = _RE2_MAX_MEM
    try:
        pattern = re2.compile(source, options)
    except re2.error as err:
        reason = err.args[0].decode("utf-8", "replace") if err.args and isinstance(
            err.args[0], bytes) else str(err)
        raise RuleError(f"bad regular expression /{source}/: {reason} (rules use RE2 syntax: "
                        "no backreferences or lookaround)") from None
    _REGEX_CACHE[source] = pattern
    return pattern


_OPEN_QUOTES = {'"': '"', "“": "”", "「": "」"}
_SPECIAL = set('()",/@&|!“”「」') | {"，"}
_KEYWORDS = {"and": "&", "or": "|", "not": "!"}


def _tokens(text: str) -> Iterator[tuple[str, str, int]]:
    """(kind, value, column) tokens of a rule; kinds: op ( ) , word phrase regex ref."""
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            yield ch, ch, i
            i += 1
        elif ch in ",，":
            yield ",", ",", i
            i += 1
        elif ch in "&|!":
            yield "op", ch, i
            i += 1
        elif ch in _OPEN_QUOTES:
            close = text.find(_OPEN_QUOTES[ch], i + 1)
            if close < 0:
                raise RuleError(f"phrase opened at column {i + 1} is never closed")
            if close == i + 1:
                raise RuleError(f"empty phrase at column {i + 1}")
            yield "phrase", text[i + 1:close], i
            i = close + 1
        elif ch == "/":
            j, buf = i + 1, []
            while j < n and text[j] != "/":
                if text[j] == "\\" and j + 1 < n and text[j + 1] == "/":
                    buf.append("/")
                    j += 2
                    continue
                buf.append(text[j])
                j += 1
            if j >= n:
                raise RuleError(f"regular expression opened at column {i + 1} is never closed")
            source = "".join(buf)
            if not source:
                raise RuleError(f"empty regular expression at column {i + 1}")
            _compiled(source)
            yield "regex", source, i
            i = j + 1
        elif ch == "@":
            if i + 1 < n and text[i + 1] in _OPEN_QUOTES:
                close = text.find(_OPEN_QUOTES[text[i + 1]], i + 2)
                if close < 0:
                    raise RuleError(f"reference opened at column {i + 1} is never closed")
                yield "ref", text[i + 2:close].strip(), i
                i = close + 1
                continue
            j = i + 1
            while j < n and not text[j].isspace() and text[j] not in _SPECIAL:
                j += 1
            if j == i + 1:
                raise RuleError(f"@ at column {i + 1} names nothing; write @code_name")
            yield "ref", text[i + 1:j], i
            i = j
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in _SPECIAL:
                j += 1
            word = text[i:j]
            if word.lower() in _KEYWORDS:
                yield "op", _KEYWORDS[word.lower()], i
            else:
                yield "word", word, i
            i = j


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = []
        for token in _tokens(text):
            self.tokens.append(token)
            if len(self.tokens) > MAX_TERMS:
                raise RuleError(f"the rule has more than {MAX_TERMS} terms and operators; "
                                "split it into codes and combine them with @code")
        self.i = 0
        self.depth = 0

    def deeper(self, col: int) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise RuleError(f"brackets, not and scopes nest deeper than {MAX_NESTING} levels "
                            f"at column {col + 1}")

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str, int]:
        token = self.peek()
        if token is None:
            raise RuleError("the rule ends too early")
        self.i += 1
        return token

    def expect(self, kind: str) -> tuple[str, str, int]:
        token = self.take()
        if token[0] != kind:
            raise RuleError(f"expected {kind!r} at column {token[2] + 1}, found {token[1]!r}")
        return token

    def parse(self) -> Node:
        node = self.or_()
        token = self.peek()
        if token is not None:
            raise RuleError(f"unexpected {token[1]!r} at column {token[2] + 1}"
                            + ("; join terms with and / or" if token[0] != ")" else
                               "; a bracket closes that was never opened"))
        return node

    def or_(self) -> Node:
        items = [self.and_()]
        while (t := self.peek()) and t[:2] == ("op", "|"):
            self.take()
            items.append(self.and_())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_(self) -> Node:
        items = [self.not_()]
        while (t := self.peek()) and t[:2] == ("op", "&"):
            self.take()
            items.append(self.not_())
        return items[0] if len(items) == 1 else And(tuple(items))

    def not_(self) -> Node:
        token = self.peek()
        if token and token[:2] == ("op", "!"):
            self.take()
            self.deeper(token[2])
            node = Not(self.not_())
            self.depth -= 1
            return node
        return self.atom()

    def atom(self) -> Node:
        kind, value, col = self.take()
        if kind == "(":
            self.deeper(col)
            node = self.or_()
            self.expect(")")
            self.depth -= 1
            return node
        if kind == "phrase":
            return Phrase(value)
        if kind == "regex":
            return Regex(value)
        if kind == "ref":
            return Ref(value)
        if kind == "word":
            nxt = self.peek()
            if nxt and nxt[0] == "(":
                return self.call(value, col)
            return _word(value)
        raise RuleError(f"unexpected {value!r} at column {col + 1}")

    def call(self, name: str, col: int) -> Node:
        self.expect("(")
        lowered = name.lower()
        if lowered in SCOPES:
            self.deeper(col)
            node = self.or_()
            self.expect(")")
            self.depth -= 1
            return Scope(lowered, node)
        if lowered != "near":
            raise RuleError(f"unknown function {name}( at column {col + 1}; use near, "
                            "sentence or paragraph")
        a = self.near_word()
        self.expect(",")
        b = self.near_word()
        self.expect(",")
        kind, value, vcol = self.take()
        if kind != "word" or not value.isascii() or not value.isdigit() or int(value) < 1:
            raise RuleError(f"near(a, b, n) needs a whole number n >= 1 of tokens, found "
                            f"{value!r} at column {vcol + 1}")
        if len(value) > 6 or int(value) > MAX_NEAR:
            raise RuleError(f"near(a, b, {value}): the window is at most {MAX_NEAR} tokens "
                            f"(far longer than a sentence) at column {vcol + 1}")
        self.expect(")")
        return Near(a, b, int(value))

    def near_word(self) -> Word:
        kind, value, col = self.take()
        if kind != "word":
            raise RuleError(f"near(a, b, n) takes words, found {value!r} at column {col + 1}")
        return _word(value)


def _word(value: str) -> Word:
    if value.endswith("*") and len(value) > 1:
        return Word(value[:-1].lower(), prefix=True)
    return Word(value.lower())


def parse_rule(text: str) -> Node:
    """Parse a rule.

    >>> parse_rule("扶贫 and not 脱贫")
    And(items=(Word(text='扶贫', prefix=False), Not(item=Word(text='脱贫', prefix=False))))

    Raises:
        RuleError: the rule is malformed (the message names the column).
    """
    if not text.strip():
        raise RuleError("the rule is empty")
    if len(text) > MAX_RULE_CHARS:
        raise RuleError(f"the rule has {len(text):,} characters, more than {MAX_RULE_CHARS:,}; "
                        "split it into codes and combine them with @code")
    return _Parser(text).parse()


def references(node: Node) -> set[str]:
    """The names a rule refers to with ``@``."""
    if isinstance(node, Ref):
        return {node.name}
    if isinstance(node, Not | Scope):
        return references(node.item)
    if isinstance(node, And | Or):
        return set().union(*(references(i) for i in node.items))
    return set()


def atoms(node: Node) -> list[Node]:
    """The word/phrase/regex/near atoms that can make a rule match (none under ``not``)."""
    if isinstance(node, Word | Phrase | Regex | Near):
        return [node]
    if isinstance(node, Scope):
        return atoms(node.item)
    if isinstance(node, And | Or):
        return [a for i in node.items for a in atoms(i)]
    return []
