"""Every action in one catalogue: the help screen lists it, the command palette runs it.

The catalogue is read from the bindings themselves (each lumatui widget's `BINDINGS`, with
its id, description and tooltip), so a new key can never be missing from help or palette.
Screens add palette-only commands through `palette_extras()`. An action bound to several
keys is one entry showing them all ("f1 / ?"); an action on the selected job names it in
the palette ("Edit 6a84cefd"). Keys handled without a binding (the prompt's history, the
tree's enter) are listed from `UNBOUND_KEYS`, so help names every key.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from textual.actions import parse
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable

    from textual.dom import DOMNode
    from textual.screen import Screen
    from textual.widget import Widget


def palette_widgets() -> tuple[type[Widget], ...]:
    """Whose bindings the palette runs besides the app's and the screen's own (a field's own
    keys only make sense where it has focus, so the composer's fields are not here).

    Imported when the palette opens: the app module imports this one, and the composer's
    form (with the request schema) is mounted after the first frame.
    """
    from lumatui.tui.widgets.composer import Composer
    from lumatui.tui.widgets.jobs.job_list import JobList
    from lumatui.tui.widgets.lineage.lineage_tree import LineageTree
    from lumatui.tui.widgets.preview import Preview

    return (Composer, JobList, LineageTree, Preview)


AREAS = {
    "LumaApp": "everywhere",
    "MainScreen": "main screen",
}


UNBOUND_KEYS = (
    (
        "up / down",
        "Prompt history",
        "At the prompt's first or last line: earlier prompts",
        "composer",
    ),
    (
        "enter",
        "Select in the list",
        "Select the node's job in the list and the preview",
        "lineage tree",
    ),
    ("↑ ↓ pgup pgdn", "Move", "Move the cursor (also j k g G in the job list)", "job list"),
)
"""(keys, name, what it does, where) of keys that work without a binding of ours."""


@dataclass(frozen=True)
class ActionEntry:
    """One action: its keys, what it does, where it applies and how to run it."""

    key: str
    description: str
    help: str
    where: str
    binding_id: str | None
    run: Callable[[], Awaitable[None] | None] | None = None
    on_job: bool = False
    """True when it acts on the selected job (the palette names the job)."""


def collect_actions(screen: Screen[Any]) -> list[ActionEntry]:
    """Every lumatui action of the app, `screen` and its widgets (one entry per action with
    all its keys), the keys without a binding, then the palette extras."""
    app = screen.app
    entries: dict[tuple[str, str], ActionEntry] = {}
    widgets = palette_widgets()
    for node in (app, screen, *screen.walk_children()):
        runnable = node is app or node is screen or isinstance(node, widgets)
        for owner, binding in own_bindings(node):
            where = AREAS.get(owner, _area_name(owner))
            key = app.get_key_display(binding)
            found = entries.get((where, binding.action))
            if found is not None:
                if key not in found.key.split(" / "):
                    entries[(where, binding.action)] = replace(found, key=f"{found.key} / {key}")
                continue
            entries[(where, binding.action)] = ActionEntry(
                key=key,
                description=binding.description or binding.action,
                help=binding.tooltip or binding.description,
                where=where,
                binding_id=binding.id,
                run=_runner(node, binding.action) if runnable else None,
                on_job=binding.action.startswith("job("),
            )
    collected = list(entries.values())
    collected += [
        ActionEntry(key=keys, description=name, help=text, where=where, binding_id=None)
        for keys, name, text, where in UNBOUND_KEYS
    ]
    extras: Callable[[], Iterable[ActionEntry]] | None = getattr(screen, "palette_extras", None)
    if extras is not None:
        collected.extend(extras())
    return collected


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


def palette_title(entry: ActionEntry, job: str | None = None) -> str:
    """How an action reads in the palette: what it does (on which job), and its keys."""
    title = f"{entry.description} {job}" if entry.on_job and job else entry.description
    return f"{title} ({entry.key})" if entry.key else title


class WorkstationCommands(Provider):
    """The palette's list of every runnable action, acting on the selected job."""

    def _entries(self) -> list[ActionEntry]:
        theme = ActionEntry(
            key="",
            description="Change theme",
            help="Pick the colour theme (remembered for the next start)",
            where="palette",
            binding_id=None,
            run=self.app.action_change_theme,
        )
        found = [entry for entry in collect_actions(self.screen) if entry.run is not None]
        return [*found, theme]

    def _job(self) -> str | None:
        """The short id of the job the job actions act on (the screen's selected job)."""
        job = getattr(self.screen, "selected_job", None)
        return getattr(job, "short_id", None)

    async def discover(self) -> Hits:
        """Every action, in catalogue order, before anything is typed."""
        job = self._job()
        for entry in self._entries():
            assert entry.run is not None
            yield DiscoveryHit(palette_title(entry, job), entry.run, help=entry.help)

    async def search(self, query: str) -> Hits:
        """The actions whose title or help matches what was typed."""
        matcher = self.matcher(query)
        job = self._job()
        for entry in self._entries():
            assert entry.run is not None
            title = palette_title(entry, job)
            score = max(matcher.match(title), matcher.match(entry.help) * 0.8)
            if score > 0:
                yield Hit(score, matcher.highlight(title), entry.run, text=title, help=entry.help)
