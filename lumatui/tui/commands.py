"""Every action in one catalogue: the help screen lists it, the command palette runs it.

The catalogue is read from the bindings themselves (each lumatui widget's `BINDINGS`, with
its id, description and tooltip), so a new key can never be missing from help or palette.
Screens add palette-only commands through `palette_extras()`.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.actions import parse
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

from lumatui.tui.widgets.composer import Composer
from lumatui.tui.widgets.jobs.job_list import JobList
from lumatui.tui.widgets.lineage.lineage_tree import LineageTree
from lumatui.tui.widgets.preview import Preview

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable

    from textual.dom import DOMNode
    from textual.screen import Screen
    from textual.widget import Widget

PALETTE_WIDGETS: tuple[type[Widget], ...] = (Composer, JobList, LineageTree, Preview)
"""Whose bindings the palette runs besides the app's and the screen's own (a field's own keys
only make sense where it has focus, so the composer's fields are not here)."""


@dataclass(frozen=True)
class ActionEntry:
    """One action: its key, what it does, where it applies and how to run it."""

    key: str
    description: str
    help: str
    where: str
    binding_id: str | None
    run: Callable[[], Awaitable[None] | None] | None = None


def collect_actions(screen: Screen[Any]) -> list[ActionEntry]:
    """Every lumatui binding of the app, `screen` and its widgets, plus the palette extras."""
    app = screen.app
    entries: list[ActionEntry] = []
    seen: set[tuple[str, str, str]] = set()
    for node in (app, screen, *screen.walk_children()):
        runnable = node is app or node is screen or isinstance(node, PALETTE_WIDGETS)
        for owner, binding in own_bindings(node):
            marker = (owner, binding.key, binding.action)
            if marker in seen:
                continue
            seen.add(marker)
            entries.append(
                ActionEntry(
                    key=app.get_key_display(binding),
                    description=binding.description or binding.action,
                    help=binding.tooltip or binding.description,
                    where="everywhere" if node is app else _area_name(owner),
                    binding_id=binding.id,
                    run=_runner(node, binding.action) if runnable else None,
                )
            )
    extras: Callable[[], Iterable[ActionEntry]] | None = getattr(screen, "palette_extras", None)
    if extras is not None:
        entries.extend(extras())
    return entries


def own_bindings(node: DOMNode) -> Iterable[tuple[str, Binding]]:
    """The bindings declared by lumatui classes in `node`'s class hierarchy."""
    for cls in type(node).__mro__:
        if not cls.__module__.startswith("lumatui."):
            continue
        for item in cls.__dict__.get("BINDINGS", ()):
            if isinstance(item, Binding):
                for key in item.key.split(","):
                    yield cls.__name__, _with_key(item, key.strip())


def _with_key(binding: Binding, key: str) -> Binding:
    if key == binding.key:
        return binding
    return Binding(
        key,
        binding.action,
        binding.description,
        show=binding.show,
        id=binding.id,
        tooltip=binding.tooltip,
    )


def _area_name(owner: str) -> str:
    words: list[str] = []
    for char in owner:
        if char.isupper() and words:
            words.append(" ")
        words.append(char.lower())
    return "".join(words)


def _runner(node: DOMNode, action: str) -> Callable[[], Awaitable[None]]:
    """Run `action` on `node` (or the app or screen it names), bypassing focus checks.

    The palette acts on the selected job wherever focus is, so it calls the action method
    itself rather than going through the bindings' `check_action`.
    """

    async def run() -> None:
        namespace, name, params = parse(action)
        target: Any = {"app": node.app, "screen": node.screen}.get(namespace, node)
        method = getattr(target, f"action_{name}", None)
        if method is None:
            return
        result = method(*params)
        if inspect.isawaitable(result):
            await result

    return run


def palette_title(entry: ActionEntry) -> str:
    """How an action reads in the palette: its description and its key."""
    return f"{entry.description} ({entry.key})" if entry.key else entry.description


class WorkstationCommands(Provider):
    """The palette's list of every runnable action, acting on the selected job."""

    def _entries(self) -> list[ActionEntry]:
        return [entry for entry in collect_actions(self.screen) if entry.run is not None]

    async def discover(self) -> Hits:
        """Every action, in catalogue order, before anything is typed."""
        for entry in self._entries():
            assert entry.run is not None
            yield DiscoveryHit(palette_title(entry), entry.run, help=entry.help)

    async def search(self, query: str) -> Hits:
        """The actions whose title or help matches what was typed."""
        matcher = self.matcher(query)
        for entry in self._entries():
            assert entry.run is not None
            title = palette_title(entry)
            score = max(matcher.match(title), matcher.match(entry.help) * 0.8)
            if score > 0:
                yield Hit(score, matcher.highlight(title), entry.run, text=title, help=entry.help)
