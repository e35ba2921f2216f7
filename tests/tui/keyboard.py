"""Typing as a fast typist (or tmux send-keys) does: every key queued at once, no pause.

`pilot.press` waits for the app to go idle after each key, so it can never show what
happens when keys arrive while the app is still busy with an earlier one (a form being
replaced, focus about to move). `burst` puts every key into the app's input queue in one
go, as the terminal driver does with a fast typist's bytes, then waits until the app has
handled all of them.
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING, Any

from textual import events
from textual.keys import (  # the same naming pilot.press uses
    REPLACED_KEYS,
    _character_to_key,
    _get_unicode_name_from_key,
)

if TYPE_CHECKING:
    from textual.pilot import Pilot


def key_event(key: str) -> events.Key:
    """The Key event the terminal driver would make for `key` ("a", "ctrl+j", "f3", " ")."""
    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    original = REPLACED_KEYS.get(key, key)
    try:
        char: str | None = unicodedata.lookup(_get_unicode_name_from_key(original))
    except KeyError:
        char = key if len(key) == 1 else None
    return events.Key(key, char)


def queue_keys(pilot: Pilot[Any], *keys: str) -> None:
    """Put every key into the app's input queue at once (nothing is handled yet)."""
    app = pilot.app
    driver = app._driver
    assert driver is not None
    for key in keys:
        event = key_event(key)
        event.set_sender(app)
        driver.send_message(event)


async def burst(pilot: Pilot[Any], *keys: str, text: str = "") -> None:
    """Type `keys` (then each character of `text`) with no pause at all, and let them land."""
    queue_keys(pilot, *keys, *text)
    await settle_keys(pilot)


async def settle_keys(pilot: Pilot[Any]) -> None:
    """Wait until every queued key was handled and the app is quiet again."""
    app: Any = pilot.app
    for _ in range(4000):
        await pilot.pause()
        if getattr(app, "keys_pending", 0) == 0 and app._message_queue.empty():
            await pilot.pause()
            if getattr(app, "keys_pending", 0) == 0:
                return
    raise AssertionError("the keys were never all handled")
