"""Screens use the composer through its methods, never by reaching into its children."""

from __future__ import annotations

import ast
from pathlib import Path

import lumatui.tui.screens as screens_package

SCREENS = sorted(Path(screens_package.__file__).parent.glob("*.py"))
COMPOSER = "lumatui.tui.widgets.composer"
QUERIES = ("query", "query_one", "query_exactly_one", "query_children")


def _chain(node: ast.expr) -> set[str]:
    """Every attribute and variable name of the expression a call is made on."""
    names: set[str] = set()
    while True:
        if isinstance(node, ast.Attribute):
            names.add(node.attr)
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Name):
            names.add(node.id)
            return names
        else:
            return names


def _via_composer(node: ast.expr) -> bool:
    return any("composer" in part.lower() for part in _chain(node))


def reaches_inside(source: str, name: str) -> list[str]:
    """Where the code imports a composer module other than the package, queries a widget
    reached through something called composer, or names a child of the form by id."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        where = f"{name}:{getattr(node, 'lineno', '?')}"
        module = node.module or "" if isinstance(node, ast.ImportFrom) else ""
        if module.startswith(COMPOSER) and module != COMPOSER:
            found.append(f"{where} imports {module}")
        call = node.func if isinstance(node, ast.Call) else None
        if isinstance(call, ast.Attribute) and call.attr in QUERIES and _via_composer(call.value):
            found.append(f"{where} queries inside the composer")
        text = node.value if isinstance(node, ast.Constant) else None
        if isinstance(text, str) and text.startswith("#prompt"):
            found.append(f"{where} names the composer's child {text!r}")
    return found


def test_screens_find_no_child_of_the_composer() -> None:
    assert len(SCREENS) > 3, "the screens package moved"
    found = [
        problem
        for path in SCREENS
        for problem in reaches_inside(path.read_text(encoding="utf-8"), path.name)
    ]
    assert found == []


def test_the_old_ways_of_reaching_in_are_caught() -> None:
    old = """
from lumatui.tui.widgets.composer.request_preview import RequestPreview
AUTO_FOCUS = "#prompt-text"
self.call_after_refresh(self.composer.query_one("#prompt-text").focus)
draft = composer.query_one(RequestPreview).body
"""
    found = reaches_inside(old, "old.py")
    assert sorted(found) == [
        "old.py:2 imports lumatui.tui.widgets.composer.request_preview",
        "old.py:3 names the composer's child '#prompt-text'",
        "old.py:4 names the composer's child '#prompt-text'",
        "old.py:4 queries inside the composer",
        "old.py:5 queries inside the composer",
    ]
