"""A tiny host app for the composer tests and the helpers that drive it (no tests here)."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from textual.widgets import Input, Select, TextArea

from lumatui.resources import styles_dir
from lumatui.tui.key_order import OrderedKeysApp
from lumatui.tui.widgets.composer import Composer
from lumatui.tui.widgets.composer.error_line import ErrorLine
from lumatui.tui.widgets.composer.ref_list import RefList

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Mapping

    from textual.message import Message
    from textual.pilot import Pilot

    from lumatui.tui.widgets.composer.form_field import FormField
    from lumatui.tui.widgets.composer.ref_field import RefField

SIZE = (100, 40)


class Host(OrderedKeysApp):
    """Mounts one Composer with the composer stylesheet; nothing else (keys in order)."""

    CSS_PATH = str(styles_dir() / "composer.tcss")

    def __init__(
        self,
        price_overrides: Mapping[str, float | None] | None = None,
        kind_lookup: Callable[[str], str | None] | None = None,
    ) -> None:
        super().__init__()
        self.price_overrides = price_overrides
        self.kind_lookup = kind_lookup

    def compose(self) -> Any:
        yield Composer(price_overrides=self.price_overrides, kind_lookup=self.kind_lookup)

    @property
    def composer(self) -> Composer:
        return self.query_one(Composer)


class Session:
    """A running host with the composer's messages recorded, as harlequin's tests do."""

    def __init__(self, app: Host, pilot: Pilot[None], seen: list[Message]) -> None:
        self.app = app
        self.pilot = pilot
        self.seen = seen

    @property
    def composer(self) -> Composer:
        return self.app.composer

    def posted(self, kind: type[Any]) -> list[Any]:
        """The recorded messages of one class, oldest first."""
        return [m for m in self.seen if isinstance(m, kind)]

    async def settle(self) -> None:
        """Let every pending message (and file-loading worker) finish."""
        await self.pilot.pause()
        await self.app.workers.wait_for_complete()
        await self.pilot.pause()

    async def choose(self, select_id: str, value: object) -> None:
        """Pick a value in one of the form's Selects."""
        self.composer.query_one(f"#{select_id}", Select).value = value
        await self.settle()

    async def fill(self, input_id: str, text: str) -> None:
        """Replace the text of one of the form's Inputs."""
        self.composer.query_one(f"#{input_id}", Input).value = text
        await self.settle()

    async def prompt(self, text: str) -> None:
        """Replace the prompt."""
        self.composer.query_one("#prompt-text", TextArea).load_text(text)
        await self.settle()

    async def flip(self, switch_id: str, on: bool = True) -> None:
        """Turn one of the form's Switches on or off."""
        from textual.widgets import Switch

        self.composer.query_one(f"#{switch_id}", Switch).value = on
        await self.settle()

    async def ref(self, ref_id: str, text: str) -> None:
        """Type a reference into a single reference field."""
        from lumatui.tui.widgets.composer.ref_field import RefField

        self.composer.query_one(f"#{ref_id}", RefField).set_text(text)
        await self.settle()

    async def rows(self, list_id: str, *texts: str, indexes: list[str] | None = None) -> None:
        """Add one row per text to a reference list (and its frame indexes)."""
        ref_list = self.composer.query_one(f"#{list_id}", RefList)
        added: list[RefField] = [ref_list.add_row(focus=False) for _ in texts]
        await self.settle()
        for i, (field, text) in enumerate(zip(added, texts, strict=True)):
            field.set_text(text)
            if indexes is not None:
                row = field.parent.parent  # type: ignore[union-attr]
                row.query_one(".ref-index", Input).value = indexes[i]  # type: ignore[union-attr]
        await self.settle()

    def under(self, path: str) -> str:
        """The text shown under the field (or list row) that stands for `path`."""
        lines = [line for line in self.composer.query(ErrorLine) if path in line.paths]
        assert lines, f"no field shows {path}"
        return "\n".join(line.plain for line in lines)

    def general(self) -> str:
        """The text of the general problems area at the top."""
        return self.composer.query_one("#general-problems", ErrorLine).plain

    def shown(self, path: str) -> bool:
        """Whether the field for `path` is on screen (applies to the chosen type)."""
        found = self.composer.form.fields.get(path)
        return bool(found is not None and found.is_attached and found.display)

    def field(self, path: str) -> FormField:
        """The field for `path` (built: its group was needed once)."""
        return self.composer.form.fields[path]

    def bar(self) -> str:
        """The submit line as plain text."""
        from lumatui.tui.widgets.composer.submit_bar import SubmitBar

        return self.composer.query_one(SubmitBar).plain


@asynccontextmanager
async def running(
    size: tuple[int, int] = SIZE,
    price_overrides: Mapping[str, float | None] | None = None,
    kind_lookup: Callable[[str], str | None] | None = None,
) -> AsyncIterator[Session]:
    """Run the host app headless, recording every Composer message."""
    seen: list[Message] = []

    def record(message: Message) -> None:
        # A bubbling message is handled at each node on its way up: keep it once.
        wanted = isinstance(message, Composer.Changed | Composer.SubmitRequested)
        if wanted and not any(m is message for m in seen):
            seen.append(message)

    app = Host(price_overrides, kind_lookup)
    async with app.run_test(size=size, message_hook=record) as pilot:
        session = Session(app, pilot, seen)
        await session.settle()
        yield session
