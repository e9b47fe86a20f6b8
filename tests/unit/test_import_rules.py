"""The import rules of docs/architecture.md, read from the source: the layers and zero cycles.

Every ``import`` of every module of the package counts, at module level and
inside functions alike; only the blocks under ``if TYPE_CHECKING:`` are left
out (they never run). A module imports its target module; ``from pkg import
name`` where ``pkg.name`` is a module imports that module.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, Iterable, List, Set

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "daemon" / "sayso"

# Which top-level parts of sayso each part may import (besides itself).
# "sayso" is the package's __init__ (only __version__ is ever taken from it).
FOUNDATION = {"sayso", "core"}
ALLOWED: Dict[str, Set[str]] = {
    "core": FOUNDATION,
    "audio": FOUNDATION,
    "desktop": FOUNDATION | {"audio"},
    "remote": FOUNDATION | {"audio"},  # the remote engines implement core.interfaces
    "dictate": FOUNDATION | {"audio", "desktop", "remote"},
    "speak": FOUNDATION | {"audio", "desktop", "remote"},
    "rewrite": FOUNDATION | {"audio", "desktop", "remote"},
    "see": FOUNDATION | {"audio", "desktop", "remote"},  # screen text and pictures; reads aloud through app
    "control": FOUNDATION | {"desktop"},  # the commands get a typed view of the app
    "serve": FOUNDATION | {"audio", "remote", "dictate", "speak"},  # `sayso serve` wires the engines
    "app": FOUNDATION | {"audio", "desktop", "remote", "dictate", "speak", "rewrite", "control"} | {"see"},
    "doctor": FOUNDATION | {"audio", "desktop", "remote", "dictate", "speak", "rewrite", "control", "app"} | {"see"},
    "bench": FOUNDATION | {"audio", "desktop", "remote", "dictate", "speak", "rewrite", "app", "serve"} | {"see"},
    "window": FOUNDATION | {"audio", "desktop", "remote", "dictate", "speak", "rewrite", "control"},  # sayso settings
    "cli": FOUNDATION
    | {"audio", "desktop", "remote", "dictate", "speak", "rewrite", "control", "app", "serve", "doctor", "bench"}
    | {"see", "window"},
    "__main__": {"cli"},
    "sayso": set(),
}
PIPELINES = ("dictate", "speak", "rewrite", "see")


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return "TYPE_CHECKING" in ast.unparse(test)


def imported_names(tree: ast.AST, module: str, is_package: bool) -> Iterable[str]:
    """Absolute dotted names this module imports (candidates: module or module.attr)."""
    here = module.split(".") if is_package else module.split(".")[:-1]
    stack: List[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            yield target
            yield from (f"{target}.{alias.name}" for alias in node.names)
        stack.extend(ast.iter_child_nodes(node))


def import_graph(root: Path = PACKAGE) -> Dict[str, Set[str]]:
    """module -> the sayso modules it imports."""
    files = {module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    top = root.name
    graph: Dict[str, Set[str]] = {}
    for module, path in files.items():
        names = imported_names(ast.parse(path.read_text(encoding="utf-8")), module, path.name == "__init__.py")
        targets = set()
        for name in names:
            if name != top and not name.startswith(top + "."):
                continue
            while name not in files:
                name = name.rpartition(".")[0]
            if name and name != module:
                targets.add(name)
        graph[module] = targets
    return graph


def cycles(graph: Dict[str, Set[str]]) -> List[List[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on_stack: Set[str] = set()
    found: List[List[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def part(module: str) -> str:
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 else pieces[0]


def layer_violations(graph: Dict[str, Set[str]]) -> List[str]:
    problems = []
    for module, targets in sorted(graph.items()):
        mine = part(module)
        allowed = ALLOWED.get(mine)
        if allowed is None:
            problems.append(f"{module}: {mine!r} is not a known part (add it to ALLOWED and docs/architecture.md)")
            continue
        for target in sorted(targets):
            theirs = part(target)
            if theirs != mine and theirs not in allowed:
                problems.append(f"{module} imports {target}: {mine} may not import {theirs}")
    return problems


def test_the_package_has_no_import_cycles():
    assert cycles(import_graph()) == []


def test_the_package_keeps_its_layers():
    assert layer_violations(import_graph()) == []


def test_the_pipelines_never_import_each_other():
    for a in PIPELINES:
        assert not ALLOWED[a] & (set(PIPELINES) - {a})


def test_nothing_imports_the_leaves():
    for leaf in ("cli", "doctor", "bench"):
        importers = {name for name, allowed in ALLOWED.items() if leaf in allowed and name != leaf}
        assert importers <= {"cli", "__main__"}, (leaf, importers)
    assert {name for name, allowed in ALLOWED.items() if "cli" in allowed} == {"__main__"}


def test_every_module_is_seen():
    graph = import_graph()
    assert "sayso.core.errors" in graph and "sayso.app.daemon" in graph
    assert "sayso.core.errors" in graph["sayso.core.config"]
    assert len(graph) > 80


# The checks themselves must fail when a rule is broken.


def _tree(tmp_path: Path, files: Dict[str, str]) -> Path:
    root = tmp_path / "sayso"
    for rel, text in {"__init__.py": "", **files}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_a_cycle_is_found(tmp_path):
    root = _tree(
        tmp_path,
        {
            "core/__init__.py": "",
            "core/a.py": "from . import b\n",
            "core/b.py": "def f():\n    from .a import x\n",  # inside a function still counts
            "core/c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import x\n",
        },
    )
    graph = import_graph(root)
    assert cycles(graph) == [["sayso.core.a", "sayso.core.b"]]
    assert graph["sayso.core.c"] == set()  # TYPE_CHECKING imports do not count


def test_a_layer_break_is_found(tmp_path):
    root = _tree(
        tmp_path,
        {
            "core/__init__.py": "",
            "core/config.py": "import sayso.desktop.clipboard\n",
            "desktop/__init__.py": "",
            "desktop/clipboard.py": "from ..core import config\n",
            "speak/__init__.py": "",
            "speak/reader.py": "from ..rewrite.rewriter import Rewriter\n",
            "rewrite/__init__.py": "",
            "rewrite/rewriter.py": "from sayso.cli.main import main\n",
            "cli/__init__.py": "",
            "cli/main.py": "",
            "gadgets/__init__.py": "",
        },
    )
    problems = layer_violations(import_graph(root))
    assert "sayso.core.config imports sayso.desktop.clipboard: core may not import desktop" in problems
    assert "sayso.speak.reader imports sayso.rewrite.rewriter: speak may not import rewrite" in problems
    assert "sayso.rewrite.rewriter imports sayso.cli.main: rewrite may not import cli" in problems
    assert any(p.startswith("sayso.gadgets: 'gadgets' is not a known part") for p in problems)
    assert len(problems) == 4


@pytest.mark.parametrize("module", ["sayso.core.config", "sayso.app.daemon"])
def test_part(module):
    assert part(module) == module.split(".")[1]
