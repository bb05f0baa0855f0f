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
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipelines.code.rules import Node, RuleError, parse_rule, references
from pipelines.core.errors import BadInputFile

__all__ = ["Code", "Category", "Group", "Codebook", "load_codebook", "parse_codebook"]

_TOP_KEYS = {"name", "description", "source", "groups"}
_GROUP_KEYS = {"name", "description", "categories"}
_CATEGORY_KEYS = {"name", "description", "codes"}
_CODE_KEYS = {"name", "description", "rule"}


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

    def code(self, name: str) -> Code:
        """The code called ``name``."""
        return next(c for c in self.codes if c.name == name)

    def members(self, name: str) -> tuple[str, ...] | None:
        """The codes a category or group name stands for, or None for a code name."""
        for cat in self.categories:
            if cat.name == name:
                return cat.codes
        for grp in self.groups:
            if grp.name == name:
                return tuple(c.name for c in self.codes if c.group == name)
        return None


def load_codebook(path: str | Path) -> Codebook:
    """Read and check a codebook file.

    Raises:
        BadInputFile: the file is missing, not YAML, or breaks a rule above (one line naming
            the file and line).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadInputFile(f"code: codebook {path} does not exist; give --codebook FILE "
                           "(shipped examples are in data/codebooks/)") from None
    except (OSError, UnicodeDecodeError) as err:
        raise BadInputFile(f"code: cannot read codebook {path}: {err}") from None
    return parse_codebook(text, str(path))


class _Error(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def parse_codebook(text: str, path: str = "<codebook>") -> Codebook:
    """Parse codebook YAML text; see :func:`load_codebook`."""
    import yaml

    try:
        root = yaml.compose(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else path
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        hint = ("; a rule that begins with a quote must be written in single quotes or as "
                "a block (rule: >-)" if "found '<scalar>'" in problem
                or "found '<block" in problem else "")
        raise BadInputFile(f"code: {where}: not valid YAML ({problem}){hint}") from None
    try:
        return _build(root, path)
    except _Error as err:
        raise BadInputFile(f"code: {path}:{err.line}: {err}") from None


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

    if node is None:
        if required:
            raise _Error(0, f"{what} has no {key}")
        return ""
    if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
        raise _Error(_line(node), f"{key} of {what} must be non-empty text")
    return str(node.value).strip()


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
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            circle = " -> ".join([*path[path.index(name):], name])
            raise _Error(book.code(name).line, f"rules refer to each other in a circle: "
                         f"{circle}")
        state[name] = 1
        for dep in sorted(deps[name]):
            visit(dep, [*path, name])
        state[name] = 2
        order.append(name)

    for code in book.codes:
        visit(code.name, [])
    return tuple(order)
