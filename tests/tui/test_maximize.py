"""z maximizes the preview to the whole screen and back (escape also comes back)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from lumatui.tui.screens.pane_bar import PaneBar
from tests.tui.conftest import settle, wait_until

if TYPE_CHECKING:
    from collections.abc import Callable

    from lumatui.tui.app import LumaApp

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_z_maximizes_the_preview_and_restores_the_panes(
    make_app: Callable[..., LumaApp], size: tuple[int, int]
) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await wait_until(pilot, lambda: app.engine_started)
        screen = app.main_screen
        await pilot.press("f3")
        await settle(pilot)
        before = screen.preview.region
        focused = app.focused
        await pilot.press("z")
        await settle(pilot)
        assert screen.preview_maximized
        assert app.focused is screen.preview
        for name in ("composer", "jobs", "lineage"):
            assert not screen.pane(name).display
        preview = screen.preview.region
        assert preview.width == size[0] and preview.height == size[1] - 3  # header, bar, footer
        assert preview.area > before.area
        bar = screen.query_one(PaneBar)
        assert "maximized" in str(bar.render()) and bar.display
        assert "z or esc restores" in str(screen.preview.border_title)
        await pilot.press("z")
        await settle(pilot)
        assert not screen.preview_maximized
        assert screen.preview.region == before
        assert app.focused is focused
        await pilot.press("f5", "z")
        await settle(pilot)
        assert screen.preview_maximized
        await pilot.press("escape")
        await settle(pilot)
        assert not screen.preview_maximized
        assert screen.pane("jobs").display or size == (80, 24)


async def test_z_is_typed_text_in_the_composer(make_app: Callable[..., LumaApp]) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine_started)
        await pilot.press("f2", "z")
        await settle(pilot)
        assert not app.main_screen.preview_maximized
