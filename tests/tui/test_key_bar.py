"""The key bar shows the focused widget's keys, and is rebuilt only when they change."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.widgets import Input
from textual.widgets._footer import FooterKey

from lumatui.tui.widgets.key_bar import KeyBar
from tests.tui.conftest import settle

if TYPE_CHECKING:
    from textual.app import ComposeResult
    from textual.pilot import Pilot


class Plain(Input):
    """An input with one shown key."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+t", "noop", "Tag")]

    def action_noop(self) -> None:
        """Nothing."""


class Other(Input):
    """An input with another shown key, disabled while it says so."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+y", "yank", "Yank")]
    can_yank = True

    def action_yank(self) -> None:
        """Nothing."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Yank is shown disabled (None) unless `can_yank`."""
        return None if action == "yank" and not self.can_yank else True


class Host(App[None]):
    """Two plain inputs and an other one over a key bar."""

    def compose(self) -> ComposeResult:
        yield Plain(id="first")
        yield Plain(id="second")
        yield Other(id="other")
        yield KeyBar(compact=True)


async def quiet(pilot: Pilot[Any]) -> None:
    """Until nothing is queued: no message, and no call waiting for the next refresh (where
    the bar decides whether to rebuild)."""
    for _ in range(100):
        await settle(pilot)
        if not pilot.app.screen._callbacks:
            return
    raise AssertionError("the app never went quiet")


def shown(app: App[Any]) -> dict[str, bool]:
    """The keys the bar shows, each with whether it is enabled."""
    return {key.key: not key.has_class("-disabled") for key in app.screen.query(FooterKey)}


async def test_the_bar_follows_focus_and_keeps_its_keys_when_they_are_the_same() -> None:
    app = Host()
    async with app.run_test() as pilot:
        app.screen.query_one("#first").focus()
        await quiet(pilot)
        assert "ctrl+t" in shown(app) and "ctrl+y" not in shown(app)
        keys = list(app.screen.query(FooterKey))

        app.screen.query_one("#second").focus()  # the same keys: nothing rebuilt
        await quiet(pilot)
        assert list(app.screen.query(FooterKey)) == keys

        other = app.screen.query_one(Other)
        other.focus()  # other keys: rebuilt
        await quiet(pilot)
        assert shown(app).get("ctrl+y") is True and "ctrl+t" not in shown(app)

        other.can_yank = False  # the same key, now disabled: rebuilt
        other.refresh_bindings()
        await quiet(pilot)
        assert shown(app).get("ctrl+y") is False
