"""The shape of ``pipelines/``: one package per stage, ``core/`` below every stage, no circles.

Walks the source with ``ast`` (imports inside functions count; imports under
``if TYPE_CHECKING:`` do not, they never run). The rules, from docs/stages.md:

- ``pipelines/core/`` imports nothing of ``pipelines`` outside ``core/``;
- a stage (a package with ``stage.py``, or a one-module stage such as ``terms.py``) imports only
  ``core/`` and its own package: only tables pass between stages;
- no module imports another that (directly or not) imports it back.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from pipelines.stages import ORDER, STAGES

PIPELINES = Path(__file__).resolve().parents[1] / "pipelines"
ORCHESTRATION = {"stages", "workflow", "template"}
STAGE_NAMES = [stage.NAME for stage in ORDER]


def _module_name(path: Path) -> str:
    parts = path.relative_to(PIPELINES.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    """Every ``pipelines`` module this module imports at run time."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("pipelines"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module if is_package else module.rpartition(".")[0]
                for _ in range(node.level - 1):
                    package = package.rpartition(".")[0]
                base = f"{package}.{base}" if base else package
            if base.startswith("pipelines"):
                found.add(base)
                found.update(f"{base}.{a.name}" for a in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in PIPELINES.rglob("*.py")}
    graph = {}
    for name, path in files.items():
        raw = _imports(ast.parse(path.read_text(encoding="utf-8")), name,
                       path.name == "__init__.py")
        graph[name] = {m for m in raw if m in files and m != name}
    return graph


GRAPH = _graph()


def _wing(module: str) -> str:
    """``core``, a stage name, ``pipelines`` (the package itself) or a top-level module name."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "pipelines"


def test_core_imports_no_stage() -> None:
    bad = {m: sorted(i for i in deps if _wing(i) not in ("core", "pipelines"))
           for m, deps in GRAPH.items() if _wing(m) == "core"}
    assert {m: d for m, d in bad.items() if d} == {}


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_a_stage_imports_only_core_and_itself(stage: str) -> None:
    bad = {m: sorted(i for i in deps if _wing(i) not in ("core", "pipelines", stage))
           for m, deps in GRAPH.items() if _wing(m) == stage}
    assert {m: d for m, d in bad.items() if d} == {}


def test_no_stage_imports_orchestration_or_readers() -> None:
    top = {"report", "kwic", "export"} | ORCHESTRATION
    bad = [(m, i) for m, deps in GRAPH.items() if _wing(m) in STAGE_NAMES or _wing(m) == "core"
           for i in deps if _wing(i) in top - {_wing(m)}]  # report is a stage of its own
    assert bad == []


def test_no_import_circle() -> None:
    """Depth-first search for a back edge; the message shows the circle."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(GRAPH[node]):
            # a package importing its own submodule is how __init__ re-exports; not a circle
            if dep.startswith(node + "."):
                continue
            if state.get(dep) == 1:
                circle = stack[stack.index(dep):] + [dep]
                raise AssertionError("import circle: " + " -> ".join(circle))
            if dep not in state:
                visit(dep)
        stack.pop()
        state[node] = 2

    for node in sorted(GRAPH):
        if node not in state:
            visit(node)


def test_every_stage_is_a_package_or_one_module() -> None:
    for stage in STAGE_NAMES:
        package = PIPELINES / stage
        assert (package / "stage.py").is_file() or (PIPELINES / f"{stage}.py").is_file(), stage


def test_no_stage_prefix_outside_a_stage_package() -> None:
    """A file named ``<stage>_*.py`` at the top of pipelines/ is a package trying to get out."""
    prefixed = [p.name for p in PIPELINES.glob("*.py")
                if any(p.stem.startswith(f"{s}_") for s in STAGE_NAMES)]
    assert prefixed == []


def test_the_walker_sees_a_stage_importing_another() -> None:
    """The rules above can fail: the walker finds terms -> segment if it were there."""
    tree = ast.parse("from pipelines.segment.text import has_han\n")
    assert _imports(tree, "pipelines.terms", False) >= {"pipelines.segment.text"}
    tree = ast.parse("if TYPE_CHECKING:\n    from pipelines.segment import worker\n")
    assert _imports(tree, "pipelines.segment.loop", False) == set()


def test_the_walker_sees_a_circle() -> None:
    """The search above can fail: two modules importing each other are reported."""
    saved = dict(GRAPH)
    try:
        GRAPH.clear()
        GRAPH.update({"pipelines.a": {"pipelines.b"}, "pipelines.b": {"pipelines.a"}})
        with pytest.raises(AssertionError, match="import circle"):
            test_no_import_circle()
    finally:
        GRAPH.clear()
        GRAPH.update(saved)


@pytest.mark.parametrize("name", sorted(STAGES))
def test_a_stage_package_hands_the_runner_its_contract(name: str) -> None:
    """The runner reads the package, not ``stage.py``: what ``stage.py`` declares for the
    runner must be re-exported (a missing ``STREAMED`` silently read whole tables)."""
    import importlib

    package = STAGES[name]
    try:
        module = importlib.import_module(f"{package.__name__}.stage")
    except ModuleNotFoundError:  # a one-module stage is its own contract
        return
    for attr in ("NAME", "INPUTS", "OUTPUTS", "SCHEMAS", "STREAMED", "Params", "compute",
                 "external_inputs", "prepare", "RELABEL", "relabel"):
        if hasattr(module, attr):
            assert getattr(package, attr, None) is getattr(module, attr), (name, attr)
