"""Keys never collide: in any place focus can be, no key is bound twice by lumatui."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any, ClassVar

import pytest

from lumatui.tui.commands import own_bindings
from lumatui.tui.screens.confirm import ConfirmScreen
from lumatui.tui.screens.help import HelpScreen
from tests.tui.conftest import wait_until

if TYPE_CHECKING:
    from collections.abc import Callable

    from textual.dom import DOMNode

    from lumatui.tui.app import LumaApp

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def clashes(chain: list[DOMNode]) -> dict[str, list[str]]:
    """Keys bound more than once along a focus chain (app, screen, ..., the widget)."""
    bound: dict[str, list[str]] = defaultdict(list)
    for node in chain:
        for owner, binding in own_bindings(node):
            bound[binding.key].append(f"{owner}:{binding.action}")
    return {key: actions for key, actions in bound.items() if len(set(actions)) > 1}


def chains(root: Any) -> list[list[DOMNode]]:
    """The binding chain of every widget under `root` (a screen)."""
    found = []
    for widget in root.walk_children():
        ancestors = [node for node in reversed(widget.ancestors_with_self) if node is not root]
        found.append([root.app, root, *[n for n in ancestors if n is not root.app]])
    return found


def test_a_collision_is_found() -> None:
    from textual.binding import Binding, BindingType
    from textual.widget import Widget

    class Doubled(Widget):
        BINDINGS: ClassVar[list[BindingType]] = [
            Binding("x", "one", "One"),
            Binding("x", "two", "Two"),
        ]

    Doubled.__module__ = "lumatui.fake"
    assert clashes([Doubled()]) == {"x": ["Doubled:one", "Doubled:two"]}


async def test_no_two_bindings_share_a_key_anywhere(make_app: Callable[..., LumaApp]) -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(pilot, lambda: app.engine_started)
        screens: list[Any] = [app.main_screen]
        help_screen = HelpScreen(app.main_screen)
        await app.push_screen(help_screen)
        screens.append(help_screen)
        confirm = ConfirmScreen("t", "q")
        await app.push_screen(confirm)
        screens.append(confirm)
        await pilot.pause()
        checked = 0
        for screen in screens:
            for chain in chains(screen):
                assert clashes(chain) == {}, [type(n).__name__ for n in chain]
                checked += 1
        assert checked > 50
