"""DESIGN.md's layers: the import-linter contracts in pyproject.toml, and no import cycle.

`make test` runs `lint-imports` itself; these tests make sure the contracts cover every part
of the package (a new top-level module must be given a layer), that they are kept, and that
no module imports itself through others at run time.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING

import grimp

if TYPE_CHECKING:
    import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "lumatui"


def contracts() -> dict[str, dict[str, object]]:
    """The import-linter contracts in pyproject.toml, by id."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    found = config["tool"]["importlinter"]["contracts"]
    return {contract["id"]: contract for contract in found}


def top_level_modules() -> set[str]:
    """lumatui's direct submodules and subpackages, as dotted names."""
    names = {f"lumatui.{p.stem}" for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    names |= {f"lumatui.{p.parent.name}" for p in PACKAGE.glob("*/__init__.py")}
    return names


def test_every_top_level_module_has_a_layer() -> None:
    layers = contracts()["layers"]["layers"]
    assert isinstance(layers, list)
    named = {name.strip() for layer in layers for name in str(layer).split("|")}
    assert top_level_modules() - named == set(), "give the new module a layer in pyproject.toml"
    assert named - top_level_modules() == set(), "a layer names a module that does not exist"


def test_the_layers_below_the_workstation_never_import_textual() -> None:
    forbidden = contracts()["no-textual-below-tui"]
    sources = forbidden["source_modules"]
    assert isinstance(sources, list)
    expected = {"api", "engine", "sim", "config", "config_file", "paths", "logs", "backend"}
    assert {f"lumatui.{name}" for name in expected} <= set(sources)
    assert "textual" in forbidden["forbidden_modules"]  # type: ignore[operator]


def test_the_contracts_are_kept() -> None:
    done = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "broken" not in done.stdout.lower().replace("0 broken", "")


def cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Every set of two or more modules that import one another (Tarjan's components)."""
    modules = sorted(graph.modules)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in edges[module]:
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(modules) + 100))
    for module in modules:
        if module not in index:
            visit(module)
    return found


def test_no_import_cycle_inside_lumatui() -> None:
    # Imports inside functions count (they run sooner or later); type-only ones do not.
    graph = grimp.build_graph("lumatui", exclude_type_checking_imports=True)
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "loopy"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from loopy import b\n")
    (package / "b.py").write_text("from loopy import c\n")
    (package / "c.py").write_text("import loopy.a\n")
    (package / "d.py").write_text("from loopy import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph("loopy", cache_dir=None)
    assert cycles(graph) == [["loopy.a", "loopy.b", "loopy.c"]]


def test_importing_core_modules_leaves_textual_unloaded() -> None:
    modules = ["lumatui.api.client", "lumatui.config", "lumatui.logs", "lumatui.engine.service"]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] == 'textual')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", f"textual loaded by {modules}: {done.stdout}"


def test_doctor_reaches_only_the_terminal_probe() -> None:
    forbidden = contracts()["doctor-only-probes"]
    assert forbidden["source_modules"] == ["lumatui.commands.doctor_cmd"]
    assert {"textual", "lumatui.tui.app", "lumatui.tui.screens", "lumatui.tui.widgets"} <= set(
        forbidden["forbidden_modules"]  # type: ignore[call-overload]
    )
    code = (
        "import sys\n"
        "from lumatui.cli import main\n"
        "main(['doctor', '--json'])\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'textual'"
        " or m.startswith(('lumatui.tui.app', 'lumatui.tui.screens', 'lumatui.tui.widgets')))\n"
        "print(','.join(loaded), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "", f"doctor loaded {done.stderr}"


def test_no_test_module_imports_another() -> None:
    """Shared helpers live in conftest or helper modules, never in another test module."""
    import re
    from pathlib import Path

    tests = Path(__file__).parent
    pattern = re.compile(r"^\s*(from|import)\s+tests(\.\w+)*\.test_\w+", re.M)
    offenders = [
        str(path.relative_to(tests))
        for path in tests.rglob("test_*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
