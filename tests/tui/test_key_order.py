"""OrderedKeysApp: each key is handled to its end before the next one looks at the focus."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.widgets import Input, Static

from lumatui.tui.key_order import OrderedKeysApp
from tests.tui.keyboard import burst, queue_keys, settle_keys


class Launcher(Static, can_focus=True):
    """A pane whose `e` binding (checked after the key bubbled up) moves focus to the input,
    and whose own `x` handler removes it (taking the key's barrier with it)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("e", "edit", "Edit")]

    def action_edit(self) -> None:
        self.screen.set_focus(self.app.query_one(Input))

    def key_x(self) -> None:
        self.screen.set_focus(self.app.query_one(Input))
        self.remove()


class Two(OrderedKeysApp):
    def compose(self) -> Any:
        yield Launcher("jobs", id="launcher")
        yield Input(id="field")

    def on_mount(self) -> None:
        self.set_focus(self.query_one(Launcher))


async def test_keys_after_a_binding_that_moves_focus_land_where_it_moved() -> None:
    app = Two()
    async with app.run_test() as pilot:
        await burst(pilot, "e", *"and then")
        assert app.query_one(Input).value == "and then"
        assert app.keys_handled == 9 and app.keys_pending == 0


async def test_a_key_whose_widget_disappears_does_not_stop_the_keyboard() -> None:
    app = Two()
    async with app.run_test() as pilot:
        await burst(pilot, "x", *"go on")
        assert app.query_one(Input).value == "go on"
        assert not app.query(Launcher)


async def test_pastes_keep_their_place_among_the_keys() -> None:
    app = Two()
    async with app.run_test() as pilot:
        app.set_focus(app.query_one(Input))
        await pilot.pause()
        queue_keys(pilot, "a")
        driver = app._driver
        assert driver is not None
        paste = events.Paste("bc")
        paste.set_sender(app)
        driver.send_message(paste)
        queue_keys(pilot, "d")
        await settle_keys(pilot)
        assert app.query_one(Input).value == "abcd"
