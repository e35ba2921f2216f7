"""Keys typed before the workstation owns the terminal: set aside, then typed into it.

Over SSH people type `lumatui`, Enter and their prompt at once. Until Textual reads the
terminal those keys wait in it, but textual-image, choosing how to draw pictures, first
asks the terminal questions and reads the answers from the same input: a key typed ahead
was taken for the first byte of an answer (and lost), and the real answer, arriving after,
was read by Textual as typed text (a paid job went out as "fox at dawn[?1;2c" for "a fox at
dawn"). `set_aside()` reads what was typed before the questions are asked, and after them
what came meanwhile without the terminal's answers; `LumaApp(typed_ahead=...)` hands those
keys to the workstation before any other, where they wait, as every key typed while it
starts does, for the composer's form.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

    from textual import events

_ANSWERS = re.compile(r"\x1b\[\??[0-9;]*[ct]|\x1b_G[^\x1b]*\x1b\\")
"""The terminal's answers to textual-image's questions (device attributes, cell size in
pixels, Kitty graphics): no key sends these."""
MAX_BYTES = 1 << 16


@dataclass
class TypedAhead:
    """What was typed before the app started."""

    text: str = ""


@contextlib.contextmanager
def set_aside() -> Iterator[TypedAhead]:
    """Read the keys typed so far (the terminal in cbreak mode, as textual-image puts it
    to read its answers), run the body (its questions), then read what came meanwhile,
    without the terminal's answers. Does nothing where stdin is not a terminal."""
    typed = TypedAhead()
    try:
        import termios
        import tty
    except ImportError:  # no POSIX terminal: textual-image asks nothing either
        yield typed
        return
    stdin = sys.__stdin__
    try:
        fd = stdin.fileno() if stdin is not None else -1
        saved = termios.tcgetattr(fd)
    except (OSError, ValueError, termios.error):  # not a terminal: nothing was typed
        yield typed
        return
    tty.setcbreak(fd, termios.TCSANOW)
    try:
        typed.text += _pending(fd)
        yield typed
        typed.text += without_answers(_pending(fd))
    finally:
        termios.tcsetattr(fd, termios.TCSANOW, saved)


def without_answers(text: str) -> str:
    """`text` without the terminal's answers to textual-image's questions."""
    return _ANSWERS.sub("", text)


def _pending(fd: int) -> str:
    """What can be read from `fd` now, without waiting."""
    read = b""
    while len(read) < MAX_BYTES and select.select([fd], [], [], 0)[0]:
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        read += chunk
    return read.decode("utf-8", errors="replace")


def as_keys(text: str) -> list[events.Key | events.Paste]:
    """The keys (and pastes) `text` holds, parsed as Textual parses what a terminal sends."""
    from textual import events
    from textual._xterm_parser import XTermParser

    parser = XTermParser()
    found = [*parser.feed(text), *parser.feed("")]  # "" ends a lone escape
    return [event for event in found if isinstance(event, events.Key | events.Paste)]
