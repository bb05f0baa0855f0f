"""Load and check a codebook file (YAML): groups -> categories -> codes, each code with a rule.

A codebook looks like this::

    name: Policy instruments
    source: Rothwell & Zegveld (1985); see SOURCE note
    groups:
      - name: 供给型
        description: the government supplies what the field needs
        categories:
          - name: 资金投入
            codes:
              - name: 财政经费
                description: public money for education (a memo)
                rule: 经费 and (财政 or 投入 or 保障)

Every name lives in one namespace (``@name`` in a rule refers to a code, a category = any of
its codes, or a group = any of its codes). Validation collects the first problem and raises
one :class:`~pipelines.core.errors.BadInputFile` naming the file and line: an unknown key, a
missing name or rule, a duplicate name, a bad rule (bad regex, unbalanced bracket, ``near``
without a number), a reference to an undefined name, or references that go round in a circle.

A codebook is bounded before any text is read (issue 30): at most :data:`MAX_CODES` codes,
chains of ``@`` references at most :data:`MAX_REF_DEPTH` deep, a file of at most
:data:`MAX_CODEBOOK_BYTES`, and each rule within the bounds of :mod:`pipelines.code.rules`.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.code.rules import Node, RuleError, parse_rule, references
from pipelines.core.errors import BadInputFile

__all__ = ["Code", "Category", "Group", "Codebook", "load_codebook", "parse_codebook"]

_TOP_KEYS = {"name", "description", "source", "groups"}
_GROUP_KEYS = {"name", "description", "categories"}
_CATEGORY_KEYS = {"name", "description", "codes"}
_CODE_KEYS = {"name", "description", "rule"}
#: The most codes a codebook may hold (real codebooks hold tens to a few hundred).
MAX_CODES = 2_000
#: The longest chain of ``@`` references (a code using a code using a code ...).
MAX_REF_DEPTH = 20
#: The largest codebook file read.
MAX_CODEBOOK_BYTES = 4 << 20
_NULL = "tag:yaml.org,2002:null"
_RULE_KEY = re.compile(r"^[ \t-]*rule[ \t]*:", re.M)


@dataclass(frozen=True)
class Code:
    """One code: its place in the hierarchy, its memo and its parsed rule."""

    name: str
    group: str
    category: str
    description: str
    rule_text: str
    rule: Node
    line: int


@dataclass(frozen=True)
class Category:
    """A category: a named set of codes inside a group."""

    name: str
    group: str
    description: str
    codes: tuple[str, ...]


@dataclass(frozen=True)
class Group:
    """A group (the top level: a core category, an instrument type)."""

    name: str
    description: str
    categories: tuple[str, ...]


@dataclass(frozen=True)
class Codebook:
    """A checked codebook; codes in file order."""

    name: str
    description: str
    source: str
    path: str
    groups: tuple[Group, ...]
    categories: tuple[Category, ...]
    codes: tuple[Code, ...]
    order: tuple[str, ...] = field(default=())  # codes in dependency order (references first)
    rule_timeout: float = 0.0  # seconds a rule may run on one batch (0: no limit)

    def code(self, name: str) -> Code:
        """The code called ``name``."""
        return self._by_name[name]

    def members(self, name: str) -> tuple[str, ...] | None:
        """The codes a category or group name stands for, or None for a code name."""
        return self._members.get(name)

    @functools.cached_property
    def _by_name(self) -> dict[str, Code]:
        # looked up once per reference while rules are evaluated: a dict, not a scan
        return {c.name: c for c in self.codes}

    @functools.cached_property
    def _members(self) -> dict[str, tuple[str, ...]]:
        out = {grp.name: tuple(c.name for c in self.codes if c.group == grp.name)
               for grp in self.groups}
        out.update({cat.name: cat.codes for cat in self.categories})
        return out


def load_codebook(path: str | Path, *, rule_timeout: float = 0.0) -> Codebook:
    """Read and check a codebook file; ``rule_timeout`` (seconds, 0: none) bounds the time one
    rule may take on one batch of documents (see :class:`pipelines.code.apply.Evaluator`).

    Raises:
        BadInputFile: the file is missing, not YAML, or breaks a rule above (one line naming
            the file and line).
    """
    path = Path(path)
    try:
        if path.stat().st_size > MAX_CODEBOOK_BYTES:
            raise BadInputFile(f"code: codebook {path} is larger than "
                               f"{MAX_CODEBOOK_BYTES >> 20} MB; a codebook holds rules, not "
                               "text: check that this is the right file")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadInputFile(f"code: codebook {path} does not exist; give --codebook FILE "
                           "(shipped examples are in data/codebooks/)") from None
    except (OSError, UnicodeDecodeError) as err:
        raise BadInputFile(f"code: cannot read codebook {path}: {err}") from None
    book = parse_codebook(text, str(path))
    return dataclasses.replace(book, rule_timeout=rule_timeout) if rule_timeout else book


class _Error(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def parse_codebook(text: str, path: str = "<codebook>") -> Codebook:
    """Parse codebook YAML text; see :func:`load_codebook`."""
    import yaml

    if len(text) > MAX_CODEBOOK_BYTES:  # before YAML, which is slow on megabytes of text
        raise BadInputFile(f"code: codebook {path} is larger than {MAX_CODEBOOK_BYTES >> 20} "
                           "MB; a codebook holds rules, not text: check that this is the "
                           "right file")
    rules = [m.start() for m in _RULE_KEY.finditer(text, 0)]
    if len(rules) > MAX_CODES:  # counted before YAML reads them all
        line = text.count("\n", 0, rules[MAX_CODES]) + 1
        raise BadInputFile(f"code: {path}:{line}: more than {MAX_CODES:,} codes; split the "
                           "codebook, or code in several runs")
    try:
        # libyaml when present: several times faster, and it refuses deep nesting itself
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as err:
        if "nesting depth" in str(err) or not hasattr(yaml, "CSafeLoader"):
            raise _not_yaml(err, path) from None
        # the pure-Python loader says what is wrong in more words (the quote hint)
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as again:
            raise _not_yaml(again, path) from None
        except RecursionError:
            raise BadInputFile(f"code: {path}: nested too deeply to be a codebook (groups -> "
                               "categories -> codes)") from None
        raise _not_yaml(err, path) from None
    except RecursionError:
        raise BadInputFile(f"code: {path}: nested too deeply to be a codebook (groups -> "
                           "categories -> codes)") from None
    try:
        return _build(root, path)
    except _Error as err:
        raise BadInputFile(f"code: {path}:{err.line}: {err}") from None


def _not_yaml(err: Exception, path: str) -> BadInputFile:
    mark = getattr(err, "problem_mark", None)
    where = f"{path}:{mark.line + 1}" if mark is not None else path
    problem = getattr(err, "problem", None) or str(err).splitlines()[0]
    hint = ("; a rule that begins with a quote must be written in single quotes or as "
            "a block (rule: >-)" if "found '<scalar>'" in problem
            or "found '<block" in problem else "")
    return BadInputFile(f"code: {where}: not valid YAML ({problem}){hint}")


def _line(node) -> int:
    return node.start_mark.line + 1


def _mapping(node, keys: set[str], what: str) -> dict:
    import yaml

    if not isinstance(node, yaml.MappingNode):
        raise _Error(_line(node), f"{what} must be a mapping with keys "
                     + ", ".join(sorted(keys)))
    out = {}
    for key_node, value in node.value:
        key = key_node.value
        if key not in keys:
            raise _Error(_line(key_node), f"unknown key {key!r} in {what}; allowed: "
                         + ", ".join(sorted(keys)))
        if key in out:
            raise _Error(_line(key_node), f"key {key!r} appears twice in {what}")
        out[key] = value
    return out


def _scalar(node, key: str, what: str, *, required: bool = True) -> str:
    import yaml

    if node is None or (not required and getattr(node, "tag", None) == _NULL):
        if required:
            raise _Error(0, f"{what} has no {key}")
        return ""
    # `rule: ~` is YAML's null, not the word "~"
    if (not isinstance(node, yaml.ScalarNode) or node.tag == _NULL
            or not str(node.value).strip()):
        raise _Error(_line(node), f"{key} of {what} must be non-empty text")
    value = str(node.value).strip()
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as err:  # a lone surrogate from a "\ud800" escape
        raise _Error(_line(node), f"{key} of {what} holds {value[err.start]!r}, which is no "
                     "character (a lone surrogate); remove it") from None
    return value


def _sequence(node, key: str, what: str) -> list:
    import yaml

    if not isinstance(node, yaml.SequenceNode) or not node.value:
        raise _Error(_line(node), f"{key} of {what} must be a non-empty list")
    return node.value


def _required(mapping: dict, key: str, what: str, line: int):
    if key not in mapping:
        raise _Error(line, f"{what} has no {key!r}")
    return mapping[key]


def _build(root, path: str) -> Codebook:
    if root is None:
        raise _Error(1, "the codebook is empty; it needs a list of groups")
    top = _mapping(root, _TOP_KEYS, "the codebook")
    groups_node = _required(top, "groups", "the codebook", _line(root))
    seen: dict[str, int] = {}

    def claim(name: str, line: int) -> None:
        if name in seen:
            raise _Error(line, f"duplicate name {name!r} (first used on line {seen[name]}); "
                         "codes, categories and groups need distinct names")
        seen[name] = line

    groups, categories, codes = [], [], []
    for g_node in _sequence(groups_node, "groups", "the codebook"):
        g = _mapping(g_node, _GROUP_KEYS, "a group")
        g_name = _scalar(_required(g, "name", "a group", _line(g_node)), "name", "a group")
        claim(g_name, _line(g_node))
        cat_names = []
        cats_node = _required(g, "categories", f"group {g_name!r}", _line(g_node))
        for c_node in _sequence(cats_node, "categories", f"group {g_name!r}"):
            c = _mapping(c_node, _CATEGORY_KEYS, f"a category of group {g_name!r}")
            c_name = _scalar(_required(c, "name", "a category", _line(c_node)), "name",
                             "a category")
            claim(c_name, _line(c_node))
            code_names = []
            codes_node = _required(c, "codes", f"category {c_name!r}", _line(c_node))
            for k_node in _sequence(codes_node, "codes", f"category {c_name!r}"):
                k = _mapping(k_node, _CODE_KEYS, f"a code of category {c_name!r}")
                k_name = _scalar(_required(k, "name", "a code", _line(k_node)), "name", "a code")
                claim(k_name, _line(k_node))
                if len(codes) >= MAX_CODES:
                    raise _Error(_line(k_node), f"more than {MAX_CODES:,} codes; split the "
                                 "codebook, or code in several runs")
                rule_node = _required(k, "rule", f"code {k_name!r}", _line(k_node))
                rule_text = _scalar(rule_node, "rule", f"code {k_name!r}")
                try:
                    rule = parse_rule(rule_text)
                except RuleError as err:
                    raise _Error(_line(rule_node), f"rule of code {k_name!r}: {err}") from None
                codes.append(Code(k_name, g_name, c_name,
                                  _scalar(k.get("description"), "description", k_name,
                                          required=False),
                                  rule_text, rule, _line(rule_node)))
                code_names.append(k_name)
            categories.append(Category(c_name, g_name, _scalar(c.get("description"),
                                       "description", c_name, required=False),
                                       tuple(code_names)))
            cat_names.append(c_name)
        groups.append(Group(g_name, _scalar(g.get("description"), "description", g_name,
                                            required=False), tuple(cat_names)))
    book = Codebook(_scalar(top.get("name"), "name", "the codebook", required=False)
                    or Path(path).stem,
                    _scalar(top.get("description"), "description", "the codebook",
                            required=False),
                    _scalar(top.get("source"), "source", "the codebook", required=False),
                    path, tuple(groups), tuple(categories), tuple(codes))
    order = _dependency_order(book, seen)
    return Codebook(book.name, book.description, book.source, path, book.groups,
                    book.categories, book.codes, order)


def _dependency_order(book: Codebook, names: dict[str, int]) -> tuple[str, ...]:
    """Codes with their references first; undefined references and circles are errors."""
    deps: dict[str, set[str]] = {}
    for code in book.codes:
        needed: set[str] = set()
        for ref in references(code.rule):
            if ref not in names:
                raise _Error(code.line, f"rule of code {code.name!r} refers to @{ref}, which "
                             "is not a code, category or group of this codebook")
            members = book.members(ref)
            needed.update(members if members is not None else (ref,))
        deps[code.name] = needed
    return _ordered(book, deps)


def _ordered(book: Codebook, deps: dict[str, set[str]]) -> tuple[str, ...]:
    """Codes in dependency order, by an explicit stack (a chain of thousands of references
    must not exhaust Python's recursion); a circle or a chain deeper than
    :data:`MAX_REF_DEPTH` is an error naming a code's line."""
    order: list[str] = []
    depth: dict[str, int] = {}  # finished codes: the longest chain of references below them
    for code in book.codes:
        if code.name in depth:
            continue
        path = [code.name]
        on_path = {code.name}
        stack = [iter(sorted(deps[code.name]))]
        while stack:
            dep = next(stack[-1], None)
            if dep is None:
                name = path.pop()
                on_path.discard(name)
                stack.pop()
                depth[name] = 1 + max((depth[d] for d in deps[name]), default=-1)
                if depth[name] > MAX_REF_DEPTH:
                    raise _Error(book.code(name).line, f"rule of code {name!r} reaches codes "
                                 f"through more than {MAX_REF_DEPTH} levels of @ references; "
                                 "refer to the codes it needs directly")
                order.append(name)
                continue
            if dep in depth:
                continue
            if dep in on_path:
                circle = " -> ".join([*path[path.index(dep):], dep])
                raise _Error(book.code(dep).line, f"rules refer to each other in a circle: "
                             f"{circle}")
            path.append(dep)
            on_path.add(dep)
            stack.append(iter(sorted(deps[dep])))
    return tuple(order)
