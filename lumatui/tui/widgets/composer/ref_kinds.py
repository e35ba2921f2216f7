"""What the history knows each referenced generation made, so a wrong kind is caught early.

A video's id given as the source of an image_edit would be refused by the API; the
history usually knows what that id made, so the form says it under the field first. The
history is asked in a thread worker (nothing blocks the UI thread on SQLite); the chaining
actions tell the form the kind of the job they put in it, so that answer is there at once.
"""

from __future__ import annotations

import contextlib
import uuid
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.worker import Worker, WorkerState

from lumatui.engine.local_refs import is_full_uuid

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from textual.widget import Widget

    from lumatui.tui.widgets.composer.form_check import Part

GROUP = "ref-kinds"


def canonical(generation_id: str) -> str:
    """The id as the schema writes it (lower case, hyphenated)."""
    return str(uuid.UUID(generation_id.strip()))


def generation_ids(node: Any) -> Iterator[str]:
    """Every whole generation id a body names, anywhere in it."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "generation_id" and isinstance(value, str) and is_full_uuid(value):
                yield canonical(value)
            else:
                yield from generation_ids(value)
    elif isinstance(node, list):
        for item in node:
            yield from generation_ids(item)


class RefKinds:
    """A cache of "image"/"video" per generation id, filled from the history in workers."""

    def __init__(
        self,
        owner: Widget,
        lookup: Callable[[str], str | None] | None,
        on_learned: Callable[[], None] | None = None,
    ) -> None:
        self._owner = owner
        self._lookup = lookup
        self.on_learned = on_learned
        self._known: dict[str, str | None] = {}
        self._asking: dict[str, Worker[str | None]] = {}

    def known(self, generation_id: str) -> str | None:
        """The kind the history knows for the id, or None (unknown, or not asked yet)."""
        return self._known.get(generation_id)

    def learn(self, generation_id: str, kind: str | None) -> None:
        """Record a kind (from a worker, or from an action that knows its job)."""
        key = canonical(generation_id)
        if self._known.get(key, "?") == kind:
            return
        self._known[key] = kind
        if self.on_learned is not None:
            self.on_learned()

    def ask(self, ids: Iterable[str]) -> None:
        """Start asking the history about the ids not known or asked yet."""
        if self._lookup is None or not self._owner.is_attached:
            return
        for generation_id in ids:
            if generation_id in self._known or generation_id in self._asking:
                continue
            self._asking[generation_id] = self._owner.run_worker(
                partial(self._lookup, generation_id),
                name=generation_id,
                group=GROUP,
                thread=True,
                exit_on_error=False,
            )

    def ask_parts(self, parts: Iterable[Part]) -> None:
        """Ask about every id the parts name."""
        self.ask(gid for part in parts for gid in generation_ids(part.body))

    async def settle(self, parts: Iterable[Part]) -> None:
        """Ask about every id the parts name and wait for the answers (ctrl+j does)."""
        self.ask_parts(parts)
        for generation_id, worker in list(self._asking.items()):
            with contextlib.suppress(Exception):
                await worker.wait()
            self.finished(worker, quiet=True)
            self._asking.pop(generation_id, None)

    def finished(self, worker: Worker[Any], *, quiet: bool = False) -> None:
        """A lookup ended: keep its answer (an error counts as not known)."""
        generation_id = worker.name
        self._asking.pop(generation_id, None)
        if generation_id in self._known:
            return
        result = worker.result if worker.state is WorkerState.SUCCESS else None
        self._known[generation_id] = result if result in ("image", "video") else None
        if not quiet and self.on_learned is not None:
            self.on_learned()
