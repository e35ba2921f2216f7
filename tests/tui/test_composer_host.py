"""The composer's first impressions: focus, an untouched form, keys, scrolling."""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.widgets import TextArea

from lumatui.tui.widgets.composer import Composer
from tests.tui.composer_host import running


async def test_focus_starts_in_the_prompt() -> None:
    async with running() as s:
        assert isinstance(s.app.focused, TextArea)
        assert s.app.focused.id == "prompt-text"


async def test_an_untouched_form_is_not_red_and_ctrl_j_says_why() -> None:
    async with running() as s:
        assert s.composer.to_request() is None
        assert s.under("prompt") == "" and s.general() == ""
        assert "not ready" in s.bar() and "problem" not in s.bar()
        await s.pilot.press("ctrl+j")
        await s.settle()
        assert s.posted(Composer.SubmitRequested) == []
        notes = [str(n.message) for n in s.app._notifications]
        assert notes[-1] == "Not sent: 1 problem. First: prompt: must not be empty"
        assert "prompt: must not be empty" in s.under("prompt")
        assert "✗ 1 problem" in s.bar()


async def test_the_composer_keys_have_ids_and_tooltips() -> None:
    async with running() as s:
        bindings = {b.id: b for _, b in s.composer._bindings}
        assert {"composer.submit", "composer.toggle_preview"} <= set(bindings)
        assert bindings["composer.submit"].key == "ctrl+j"
        assert all(b.tooltip for b in bindings.values())


async def test_the_form_scrolls_at_80x24() -> None:
    async with running(size=(80, 24)) as s:
        await s.choose("type", "video_edit")
        form = s.composer.query_one("#composer-form", VerticalScroll)
        assert form.max_scroll_y > 0
        last = s.composer.query_one("#edit-keyframes .add-row")
        last.focus()
        await s.settle()
        # Focus scrolls the farthest field into view.
        assert form.scroll_y > 0
        assert last.region.bottom <= 24
        assert s.composer.query_one("#submit-bar").region.bottom <= 24
