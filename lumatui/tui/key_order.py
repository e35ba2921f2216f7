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
2. then what the key caused settles, in rounds: each widget where a key's consequences
   land (`settle_nodes`: by default every widget of the current screen) that has messages
   waiting gets a probe (a callback) behind them, and the round ends when every probe has
   run, or its widget is gone. The messages a round's handlers post (a form mounting the
   fields of a new type, a modal's answer) make the next round; the keys go on after a
   round that finds every queue empty, or after `SETTLE_ROUNDS` rounds (a widget fed a
   steady stream of messages must not hold the keyboard up: a count of rounds, never a
   time, so a loaded machine cannot cut a load short);
3. while any `KeyHold` is held (an operation under way that replaces what keys act on,
   e.g. the composer's form being mounted), keys wait; the operation releases its hold
   when it is done or has failed, never after a time;
4. the next held key goes to whatever has focus now.

A widget on the barrier's or a probe's way that is removed meanwhile would drop it: a
watchdog releases the key, or counts that probe as run, when its widget is gone.

Repaints held while keys come (`TypingFrames`) go out after a handled key's frame, when no
next key waits: in a frame of their own, as far from the next key as can be.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from textual import events
from textual.app import App, ScreenStackError
from textual.message import Message

from lumatui.tui.typing_frames import TypingFrames

if TYPE_CHECKING:
    from collections.abc import Iterable

    from textual.dom import DOMNode
    from textual.timer import Timer

log = logging.getLogger("lumatui.tui")

WATCHDOG_S = 0.05
"""How often a key in flight checks that the widgets on its way still exist."""
SETTLE_ROUNDS = 64
"""At most this many rounds of consequences of one key are waited for (see step 2)."""


class KeyBarrier(Message):
    """Follows a key up the widgets it bubbles through; its arrival means the key is done."""

    def __init__(self, ticket: int) -> None:
        super().__init__()
        self.ticket = ticket


class SettleCheck(Message, bubble=False):
    """The app looks again whether the widgets have handled everything the key caused."""

    def __init__(self, ticket: int, round: int) -> None:
        super().__init__()
        self.ticket = ticket
        self.round = round


class KeyHold:
    """Keys wait while this is held: `release()` when the operation is done or failed."""

    def __init__(self, app: OrderedKeysApp, reason: str) -> None:
        self.app = app
        self.reason = reason
        self.released = False

    def release(self) -> None:
        """The operation is over (done or failed): keys go on once no other hold is held."""
        if not self.released:
            self.released = True
            self.app._release_hold(self)

    def __enter__(self) -> KeyHold:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()


@dataclass
class _InFlight:
    ticket: int
    path: list[DOMNode] = field(default_factory=list)


@dataclass
class _Round:
    """One settling round: the widgets whose probe has not run yet."""

    ticket: int
    number: int
    waiting: set[DOMNode] = field(default_factory=set)


class OrderedKeysApp(App[None]):
    """An App that hands keys and pastes to its widgets strictly one after the other."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._held: deque[events.Key | events.Paste] = deque()
        self._in_flight: _InFlight | None = None
        self._settling: int | None = None
        self._tickets = itertools.count(1)
        self._watchdog: Timer | None = None
        self._holds: list[KeyHold] = []
        self._round: _Round | None = None
        self.keys_handled = 0
        """Keys (and pastes) handed to the widgets so far (benchmarks and tests read it)."""
        self.typing_frames = TypingFrames(self)
        """Repaints held while keys come, drawn after a key's frame (see the module)."""

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

    def hold_keys(self, reason: str) -> KeyHold:
        """Hold every key typed from now on until the returned hold is released (the
        caller releases it in a `finally`, or uses it as a context manager)."""
        hold = KeyHold(self, reason)
        self._holds.append(hold)
        return hold

    @property
    def keys_held_by(self) -> list[str]:
        """Why keys wait now: the reasons of the holds not released yet."""
        return [hold.reason for hold in self._holds]

    def _release_hold(self, hold: KeyHold) -> None:
        if hold in self._holds:
            self._holds.remove(hold)
        if self._holds:
            return
        if self._settling is not None:
            self.post_message(SettleCheck(self._settling, 0))
        elif self._held and self._in_flight is None:
            self.call_later(self._next)

    async def _next(self) -> None:
        """Hand over held input until one item is in flight (or none is left)."""
        while self._held and self._in_flight is None and self._settling is None:
            if self._holds:
                return  # the last hold's release hands the keys over
            event = self._held.popleft()
            target: DOMNode = self.focused or self.screen
            self.typing_frames.key_handed()
            await super().on_event(event)
            self.keys_handled += 1
            ticket = next(self._tickets)
            if event.is_forwarded and target.post_message(KeyBarrier(ticket)):
                path = [node for node in (target, *target.ancestors) if node is not self]
                self._in_flight = _InFlight(ticket, path)
                self._arm_watchdog()
                return
            self._key_done(ticket)

    def _key_done(self, ticket: int) -> None:
        """The key is handled: after its frame, what was held is drawn; let it settle."""
        with contextlib.suppress(ScreenStackError):
            self.screen.call_after_refresh(self._after_key_frame)
        self._start_settling(ticket)

    def _after_key_frame(self) -> None:
        """A key's frame is out: the held repaints go out, unless a next key waits."""
        if not self._held:
            self.typing_frames.key_drawn()

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
            self._key_done(flight.ticket)

    def _start_settling(self, ticket: int) -> None:
        self._settling = ticket
        self.post_message(SettleCheck(ticket, 0))

    async def on_settle_check(self, message: SettleCheck) -> None:
        """Go on with the next key once no widget has anything left to handle."""
        message.stop()
        if message.ticket != self._settling or self._round is not None or self._holds:
            return  # stale, a round under way, or a hold's release looks again
        if message.round < SETTLE_ROUNDS:
            waiting = self._probe_busy_widgets(message.ticket)
            if waiting:
                self._round = _Round(message.ticket, message.round, waiting)
                self._arm_watchdog()
                return
        else:
            log.warning("keys went on after %d rounds of messages caused by one", SETTLE_ROUNDS)
        self._settling = None
        await self._next()

    def _probe_busy_widgets(self, ticket: int) -> set[DOMNode]:
        """Post a probe behind the waiting messages of every busy widget; those probed."""
        probed: set[DOMNode] = set()
        for node in self._busy_widgets():
            if node.call_later(self._probe_ran, ticket, node):
                probed.add(node)
        return probed

    def _probe_ran(self, ticket: int, node: DOMNode) -> None:
        """A widget handled what waited before its probe (or is gone): end the round?"""
        current = self._round
        if current is None or current.ticket != ticket:
            return
        current.waiting.discard(node)
        if not current.waiting:
            self._round = None
            self.post_message(SettleCheck(ticket, current.number + 1))

    def settle_nodes(self) -> Iterable[DOMNode]:
        """The widgets whose queues must be empty before the next key is handed over.

        Every widget of the current screen by default. An app whose screen also receives a
        steady stream of messages from elsewhere (live updates) narrows it to where keys
        act, so that the stream never holds the keyboard up.
        """
        return self.screen.walk_children(with_self=True)

    def _busy_widgets(self) -> list[DOMNode]:
        """The widgets where keys act that have messages waiting."""
        return [
            node
            for node in self.settle_nodes()
            if not (node._closed or node._closing) and not node._message_queue.empty()
        ]

    def _arm_watchdog(self) -> None:
        if self._watchdog is None:
            self._watchdog = self.set_interval(WATCHDOG_S, self._check_flight, name="key-order")
        else:
            self._watchdog.reset()
            self._watchdog.resume()

    def _check_flight(self) -> None:
        """Release the key in flight when a widget on its way is gone (its barrier with it);
        count a probe as run when its widget is gone (the probe with it)."""
        flight, current = self._in_flight, self._round
        if flight is None and current is None:
            if self._watchdog is not None:
                self._watchdog.pause()
            return
        if flight is not None and any(_gone(node) for node in flight.path):
            self._finish_flight()
        if current is not None:
            for node in [node for node in current.waiting if _gone(node)]:
                self._probe_ran(current.ticket, node)


def hold_keys(app: object, reason: str) -> KeyHold | None:
    """`app.hold_keys(reason)` where the app orders its keys (None in any other app)."""
    return app.hold_keys(reason) if isinstance(app, OrderedKeysApp) else None


def _gone(node: DOMNode) -> bool:
    """True when `node` was removed (or is being removed): its queue will not run."""
    return node._closing or node._closed or not node.is_attached
