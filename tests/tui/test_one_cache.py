"""One thumbnail cache per process: the engine's downloader and the preview share it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lumatui.engine.thumbnails import ThumbnailCache
from lumatui.tui.widgets.preview import Preview
from tests.tui.conftest import wait_until

if TYPE_CHECKING:
    from collections.abc import Callable

    import pytest

    from lumatui.tui.app import LumaApp


async def test_the_app_builds_one_thumbnail_cache_and_shares_it(
    make_app: Callable[..., LumaApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[ThumbnailCache] = []
    original = ThumbnailCache.__init__

    def counting(self: ThumbnailCache, *args: Any, **kwargs: Any) -> None:
        built.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(ThumbnailCache, "__init__", counting)
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.engine_started)
        assert app.engine is not None
        assert len(built) == 1
        assert app.engine.thumbnails is built[0]
        assert app.engine.downloader._thumbnails is built[0]
        assert app.main_screen.query_one(Preview)._thumbnails is built[0]
