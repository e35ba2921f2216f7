"""Keys are handled one at a time, in the order they were typed, each one to its end.

Textual forwards a key to the focused widget by posting it to that widget's queue and
moves straight on to the next key. A key that is not the widget's own then bubbles up
to the screen and the app, where the bindings run: by then the keys typed after it have
already been forwarded to the same widget. So `e` pressed in the job list, followed by a
prompt, delivered the prompt's letters to the job list (where `a` animates, `r` re-runs)
before the `e` binding had loaded the form and moved focus.

`OrderedKeysApp` holds each key (and paste) until the previous one is done:

1. the key is handled as Textual handles it (priority bindings, then forwarded to the
   focused widget), and a `KeyBarrier` is posted right behind it to the same widget. The
   barrier bubbles the same way the key does, so it reaches the app only after the key has
   been handled by every node on its way up, bindings included (or was stopped on the way);
2. then the app waits until the queues of the widgets where a key's consequences land
   (`settle_nodes`: by default every widget of the current screen) are empty: the
   messages the key caused (a Select's Changed, a form mounting the fields of a new type,
   a modal's answer) are handled before the next key looks at where focus is;
3. the next held key goes to whatever has focus now.

A widget on the barrier's way that is removed meanwhile (a dismissed modal) would drop
it: a watchdog releases the key when any node on its way is gone.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from textual import events
from textual.app import App
from textual.message import Message

if TYPE_CHECKING:
    from collections.abc import Iterable

    from textual.dom import DOMNode
    from textual.timer import Timer

log = logging.getLogger("lumatui.tui")

WATCHDOG_S = 0.05
"""How often a key in flight checks that the widgets on its way still exist."""
QUICK_SPINS = 64
"""Settling first yields to the other tasks this many times before it starts to nap."""
NAP_S = 0.001
GIVE_UP_S = 1.0
"""A widget whose queue never empties must not hold the keyboard up for long."""


class KeyBarrier(Message):
    """Follows a key up the widgets it bubbles through; its arrival means the key is done."""

    def __init__(self, ticket: int) -> None:
        super().__init__()
        self.ticket = ticket


class SettleCheck(Message, bubble=False):
    """The app looks again whether the widgets have handled everything the key caused."""

    def __init__(self, ticket: int, spins: int, started: float) -> None:
        super().__init__()
        self.ticket = ticket
        self.spins = spins
        self.started = started


@dataclass
class _InFlight:
    ticket: int
    path: list[DOMNode] = field(default_factory=list)


class OrderedKeysApp(App[None]):
    """An App that hands keys and pastes to its widgets strictly one after the other."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._held: deque[events.Key | events.Paste] = deque()
        self._in_flight: _InFlight | None = None
        self._settling: int | None = None
        self._tickets = itertools.count(1)
        self._watchdog: Timer | None = None
        self.keys_handled = 0
        """Keys (and pastes) handed to the widgets so far (benchmarks and tests read it)."""

    @property
    def keys_pending(self) -> int:
        """Keys typed but not yet handled to their end (held, or the one in flight)."""
        return len(self._held) + (self._in_flight is not None or self._settling is not None)

    async def on_event(self, event: events.Event) -> None:
        """Typed input waits its turn; everything else goes on as Textual does it."""
        if isinstance(event, events.Key | events.Paste) and not event.is_forwarded:
            self._held.append(event)
            if self._in_flight is None and self._settling is None:
                await self._next()
            return
        await super().on_event(event)

    async def _next(self) -> None:
        """Hand over held input until one item is in flight (or none is left)."""
        while self._held and self._in_flight is None and self._settling is None:
            event = self._held.popleft()
            target: DOMNode = self.focused or self.screen
            await super().on_event(event)
            self.keys_handled += 1
            ticket = next(self._tickets)
            if event.is_forwarded and target.post_message(KeyBarrier(ticket)):
                path = [node for node in (target, *target.ancestors) if node is not self]
                self._in_flight = _InFlight(ticket, path)
                self._arm_watchdog()
                return
            self._start_settling(ticket)

    def on_key_barrier(self, message: KeyBarrier) -> None:
        """The key in flight has been handled all the way up: let what it caused settle."""
        message.stop()
        flight = self._in_flight
        if flight is not None and flight.ticket == message.ticket:
            self._finish_flight()

    def _finish_flight(self) -> None:
        flight = self._in_flight
        self._in_flight = None
        if self._watchdog is not None:
            self._watchdog.pause()
        if flight is not None:
            self._start_settling(flight.ticket)

    def _start_settling(self, ticket: int) -> None:
        self._settling = ticket
        self.post_message(SettleCheck(ticket, 0, asyncio.get_running_loop().time()))

    async def on_settle_check(self, message: SettleCheck) -> None:
        """Go on with the next key once no widget has anything left to handle."""
        message.stop()
        if message.ticket != self._settling:
            return
        now = asyncio.get_running_loop().time()
        if self._widgets_busy() and now - message.started < GIVE_UP_S:
            # Let the other widgets run; the next check comes after them in this queue.
            await asyncio.sleep(0 if message.spins < QUICK_SPINS else NAP_S)
            self.post_message(SettleCheck(message.ticket, message.spins + 1, message.started))
            return
        if now - message.started >= GIVE_UP_S:
            log.warning("widgets stayed busy for %.1f s after a key; going on", GIVE_UP_S)
        self._settling = None
        await self._next()

    def settle_nodes(self) -> Iterable[DOMNode]:
        """The widgets whose queues must be empty before the next key is handed over.

        Every widget of the current screen by default. An app whose screen also receives a
        steady stream of messages from elsewhere (live updates) narrows it to where keys
        act, so that the stream never holds the keyboard up.
        """
        return self.screen.walk_children(with_self=True)

    def _widgets_busy(self) -> bool:
        """True while a widget where keys act has messages waiting."""
        return any(
            not node._message_queue.empty() for node in self.settle_nodes() if not node._closed
        )

    def _arm_watchdog(self) -> None:
        if self._watchdog is None:
            self._watchdog = self.set_interval(WATCHDOG_S, self._check_flight, name="key-order")
        else:
            self._watchdog.reset()
            self._watchdog.resume()

    def _check_flight(self) -> None:
        """Release the key in flight when a widget on its way is gone (its barrier with it)."""
        flight = self._in_flight
        if flight is None:
            if self._watchdog is not None:
                self._watchdog.pause()
            return
        if any(node._closing or node._closed or not node.is_attached for node in flight.path):
            self._finish_flight()
