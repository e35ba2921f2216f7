"""DESIGN.md's layer rule: api, engine and sim never import textual; imports point downward."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "lumatui"

# For each layer, the modules (with their submodules) it must never import.
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "api": ("textual", "lumatui.engine", "lumatui.sim", "lumatui.tui", "lumatui.cli"),
    "engine": ("textual", "lumatui.sim", "lumatui.tui", "lumatui.cli"),
    "sim": ("textual", "lumatui.engine", "lumatui.tui", "lumatui.cli"),
}
# Single modules the command line and the tests use without a terminal.
NO_TEXTUAL_MODULES = ("config.py", "config_file.py", "logs.py")


def module_name(path: Path) -> str:
    """The dotted module name of a file inside the package."""
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(source: str, module: str, *, is_package: bool) -> list[tuple[int, str]]:
    """(line, absolute name) of every module the source imports, relative imports resolved.

    `from a import b` counts as importing both `a` and `a.b`, since b may be a submodule.
    Imports under `if TYPE_CHECKING:` count too: a layer should not even name what is above it.
    """
    package = module.split(".") if is_package else module.split(".")[:-1]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            name = ".".join([*base, *([node.module] if node.module else [])])
            found.append((node.lineno, name))
            found.extend((node.lineno, f"{name}.{alias.name}") for alias in node.names)
    return found


def violations(files: list[Path], forbidden: tuple[str, ...]) -> list[str]:
    """Every import in `files` of a forbidden module or one of its submodules."""
    found: list[str] = []
    for path in files:
        source = path.read_text(encoding="utf-8")
        module = module_name(path)
        for line, name in imported_modules(source, module, is_package=path.stem == "__init__"):
            if any(name == bad or name.startswith(f"{bad}.") for bad in forbidden):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {name}")
    return found


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_point_downward(layer: str) -> None:
    folder = PACKAGE / layer
    if not folder.is_dir():
        pytest.skip(f"lumatui/{layer} does not exist yet")
    assert violations(sorted(folder.rglob("*.py")), FORBIDDEN[layer]) == []


def test_settings_and_logging_modules_do_not_import_textual() -> None:
    files = [PACKAGE / name for name in NO_TEXTUAL_MODULES if (PACKAGE / name).exists()]
    assert files
    assert violations(files, ("textual", "lumatui.tui")) == []


def test_the_checker_finds_every_form_of_import() -> None:
    source = (
        "import textual.app\n"
        "from textual import work\n"
        "from lumatui import tui\n"
        "from ..engine.store import JobStore\n"
        "from . import schema\n"
        "from .. import cli\n"
    )
    names = [name for _, name in imported_modules(source, "lumatui.api.client", is_package=False)]
    assert "textual.app" in names
    assert "textual" in names
    assert "lumatui.tui" in names
    assert "lumatui.engine.store" in names
    assert "lumatui.api.schema" in names
    assert "lumatui.cli" in names
    in_package = imported_modules("from .schema import X\n", "lumatui.api", is_package=True)
    assert (1, "lumatui.api.schema") in in_package
    assert module_name(PACKAGE / "api" / "__init__.py") == "lumatui.api"


def test_importing_core_modules_leaves_textual_unloaded() -> None:
    modules = ["lumatui.api.schema", "lumatui.config", "lumatui.logs"]
    if (PACKAGE / "api" / "client.py").exists():
        modules.append("lumatui.api.client")
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
        cwd=PACKAGE.parent,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", f"textual loaded by {modules}: {done.stdout}"
