"""OrderedKeysApp: each key is handled to its end before the next one looks at the focus."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
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


async def test_keys_wait_while_held_and_land_in_order_once_released() -> None:
    app = Two()
    async with app.run_test() as pilot:
        app.set_focus(app.query_one(Input))
        await pilot.pause()
        hold = app.hold_keys("a form is being replaced")
        queue_keys(pilot, *"held")
        for _ in range(20):
            await pilot.pause()
        assert app.query_one(Input).value == ""
        assert app.keys_pending == 4 and app.keys_held_by == ["a form is being replaced"]
        hold.release()
        await settle_keys(pilot)
        assert app.query_one(Input).value == "held"
        assert app.keys_held_by == []


async def test_every_hold_must_be_released_before_keys_go_on() -> None:
    app = Two()
    async with app.run_test() as pilot:
        app.set_focus(app.query_one(Input))
        await pilot.pause()
        with app.hold_keys("first"):
            second = app.hold_keys("second")
            queue_keys(pilot, "a")
            await pilot.pause()
        for _ in range(10):
            await pilot.pause()
        assert app.query_one(Input).value == "" and app.keys_held_by == ["second"]
        second.release()
        second.release()  # a second release changes nothing
        await settle_keys(pilot)
        assert app.query_one(Input).value == "a"


class Echo(Message):
    """A message a widget keeps sending itself (a steady stream of updates)."""


STREAM = 2_000
"""Far more messages than the keys wait rounds for (so they land while it goes on)."""


class Chatty(Static, can_focus=True):
    """On `s` it is fed a long stream of messages, one per turn of the event loop; on `e` it
    moves focus to the input after a chain of ten messages (consequences of consequences)."""

    def __init__(self) -> None:
        super().__init__("chatty", id="chatty")
        self.sent = 0
        self.chain = 0

    def key_s(self) -> None:
        self.sent = 1
        self.post_message(Echo())

    def on_echo(self, message: Echo) -> None:
        if self.sent < STREAM:  # the next one comes from outside, as a worker's would
            self.sent += 1
            asyncio.get_running_loop().call_soon(self.post_message, Echo())

    def key_e(self) -> None:
        self.chain = 10
        self.post_message(Step())

    def on_step(self, message: Step) -> None:
        self.chain -= 1
        if self.chain:
            self.post_message(Step())
        else:
            self.screen.set_focus(self.app.query_one(Input))


class Step(Message):
    """One link of a chain of consequences."""


class Streams(OrderedKeysApp):
    def __init__(self) -> None:
        super().__init__()
        self.stream_when_typed: int | None = None

    def compose(self) -> Any:
        yield Chatty()
        yield Input(id="field")

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.value == "on":
            self.stream_when_typed = self.query_one(Chatty).sent

    def on_mount(self) -> None:
        self.set_focus(self.query_one(Chatty))


async def test_keys_wait_for_a_chain_of_consequences_before_looking_at_focus() -> None:
    app = Streams()
    async with app.run_test() as pilot:
        await burst(pilot, "e", *"typed")
        assert app.query_one(Input).value == "typed"


async def test_a_widget_fed_a_steady_stream_does_not_hold_the_keyboard_up() -> None:
    app = Streams()
    async with app.run_test() as pilot:
        await burst(pilot, "s", "e", *"on")
        assert app.query_one(Input).value == "on"
        assert app.stream_when_typed is not None and app.stream_when_typed < STREAM
