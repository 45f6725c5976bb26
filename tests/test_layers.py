"""The architecture, enforced: each layer imports only the layers below it (read from the source with ast).

core <- catalog <- calc <- claims <- output <- cli; core imports nothing else of chipcalc; nothing imports
cli but cli itself and ``__main__``; no module imports the package face (``chipcalc/__init__.py``); the
top of the package holds only the face and ``__main__``; no import cycles; no module over 400 lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "src" / "chipcalc"
LAYERS = ["core", "catalog", "calc", "claims", "output", "cli"]
RANK = {name: i for i, name in enumerate(LAYERS)}
MAX_LINES = 400


def modules() -> dict[str, Path]:
    out = {}
    for p in sorted(PKG.rglob("*.py")):
        rel = p.relative_to(PKG.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = p
    return out


MODULES = modules()


def imports_of(path: Path, name: str) -> list[tuple[int, str]]:
    """(line, imported chipcalc module) for every import in the file, at any depth."""
    tree = ast.parse(path.read_text(), str(path))
    pkg = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "chipcalc"]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            if base.split(".")[0] != "chipcalc":
                continue
            for a in node.names:  # `from chipcalc.calc import serving` imports chipcalc.calc.serving
                full = f"{base}.{a.name}"
                out.append((node.lineno, full if full in MODULES else base))
    return out


def layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in RANK else None


def test_top_of_package_is_only_the_face_and_main():
    top = sorted(p.name for p in PKG.iterdir() if p.is_file() and p.suffix == ".py")
    assert top == ["__init__.py", "__main__.py"]
    assert sorted(p.name for p in PKG.iterdir() if p.is_dir() and p.name != "__pycache__") == sorted(LAYERS)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_only_layers_below(name):
    here = layer(name)
    bad = []
    for line, target in imports_of(MODULES[name], name):
        there = layer(target)
        where = f"{MODULES[name].relative_to(PKG.parent)}:{line} imports {target}"
        if name in ("chipcalc", "chipcalc.__main__"):
            continue  # the face and the entry point sit on top of everything
        if there is None:
            bad.append(f"{where}: nothing imports the package face")
        elif there == "cli" and here != "cli":
            bad.append(f"{where}: nothing but the CLI imports cli")
        elif here is not None and RANK[there] > RANK[here]:
            bad.append(f"{where}: {here} may not import {there} (a layer above it)")
    assert not bad, "\n".join(bad)


def test_no_import_cycles():
    graph = {n: {t for _, t in imports_of(p, n) if t in MODULES and t != n} for n, p in MODULES.items()}
    graph = {n: {t for t in ts if not t == n.rpartition(".")[0]} for n, ts in graph.items()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> None:
        state[n] = 1
        stack.append(n)
        for t in sorted(graph[n]):
            if state.get(t) == 1:
                cycle = stack[stack.index(t):] + [t]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if t not in state:
                visit(t)
        stack.pop()
        state[n] = 2

    for n in sorted(graph):
        if n not in state:
            visit(n)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_is_small(name):
    n = len(MODULES[name].read_text().splitlines())
    assert n <= MAX_LINES, f"{MODULES[name].relative_to(PKG.parent)} has {n} lines; split it along a seam (at most {MAX_LINES})"
