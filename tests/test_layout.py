"""The shape of the code: the layers stay layered, modules keep their private names, pages stay thin, and the
README's Layout lists every module."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "isokpi"
MODULES = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem not in ("__init__", "__main__"))


def imports_of(module: str) -> set[str]:
    """The isokpi modules `module` imports, at its top or inside a function."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("isokpi"):
            parts = node.module.split(".")
            found |= {parts[1]} if len(parts) > 1 else {alias.name for alias in node.names}
    return (found & set(MODULES)) - {module}


def test_no_import_cycle_inside_the_library():
    graph = {module: imports_of(module) for module in MODULES}
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, f"import cycle: {' -> '.join((*path[path.index(module) :], module))}"
        if module in done:
            return
        for imported in sorted(graph[module]):
            visit(imported, (*path, module))
        done.add(module)

    for module in MODULES:
        visit(module, ())


def test_the_store_imports_nothing_of_isokpi_but_its_errors():
    # objectstore.py is the store's part for object storage, writequeue.py its part for DuckLake's writers taking
    # turns, under the same rule.
    assert imports_of("db") == {"errors", "objectstore", "writequeue"}
    assert imports_of("objectstore") == {"errors"}
    assert imports_of("writequeue") == set()


def test_no_module_uses_another_modules_private_names():
    crossings = []
    for module in MODULES:
        tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
        imported_modules = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("isokpi"):
                crossings += [f"{module}: {alias.name}" for alias in node.names if alias.name.startswith("_")]
                imported_modules |= {alias.asname or alias.name for alias in node.names}
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in imported_modules
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                crossings.append(f"{module}: {node.value.id}.{node.attr}")
    assert crossings == []


def test_no_page_function_is_longer_than_60_lines():
    long = []
    for script in [*sorted((ROOT / "pages").glob("*.py")), ROOT / "app.py"]:
        for node in ast.walk(ast.parse(script.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.end_lineno - node.lineno + 1 > 60:
                long.append(f"{script.name}: {node.name} ({node.end_lineno - node.lineno + 1} lines)")
    assert long == []


def test_the_readme_layout_lists_every_module_once():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## Layout") :].split("```")[1]
    listed = re.findall(r"^ +(\w+)\.py\s", layout, flags=re.MULTILINE)
    assert sorted(listed) == MODULES
