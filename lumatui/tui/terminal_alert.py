"""A terminal notification when a long job finishes: OSC 9, OSC 777 or the bell.

OSC 9 (iTerm2, WezTerm, Windows Terminal, kitty, Ghostty, ConEmu) and OSC 777 (VTE
terminals such as GNOME Terminal, foot, Konsole's newer builds, urxvt) raise a desktop
notification; other terminals would print them as junk, so `auto` picks one only where the
environment names such a terminal, and the bell otherwise. Inside tmux the sequence is
wrapped in tmux's passthrough. The text is data: control characters are stripped.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from lumatui.api.text import clean_text

if TYPE_CHECKING:
    from collections.abc import Mapping

OSC9_PROGRAMS = frozenset({"iterm.app", "wezterm", "ghostty", "kitty"})


def alert_method(setting: str, environ: Mapping[str, str] | None = None) -> str:
    """The method to use for `setting` (auto resolved from the environment)."""
    if setting != "auto":
        return setting
    env = os.environ if environ is None else environ
    program = env.get("TERM_PROGRAM", "").lower()
    term = env.get("TERM", "").lower()
    if program in OSC9_PROGRAMS or "WT_SESSION" in env or "KITTY_WINDOW_ID" in env:
        return "osc9"
    if "ConEmuPID" in env or "kitty" in term or "ghostty" in term:
        return "osc9"
    if "VTE_VERSION" in env or term.startswith(("foot", "rxvt")):
        return "osc777"
    return "bell"


def alert_sequence(
    method: str, title: str, body: str, environ: Mapping[str, str] | None = None
) -> str:
    """The bytes to write for `method` ("" for off)."""
    title, body = _plain(title), _plain(body)
    if method == "osc9":
        sequence = f"\x1b]9;{title}: {body}\x1b\\"
    elif method == "osc777":
        sequence = f"\x1b]777;notify;{title};{body}\x1b\\"
    elif method == "bell":
        return "\a"
    else:
        return ""
    env = os.environ if environ is None else environ
    if env.get("TMUX"):
        sequence = "\x1bPtmux;" + sequence.replace("\x1b", "\x1b\x1b") + "\x1b\\"
    return sequence


def _plain(text: str) -> str:
    """No control characters, and no ; (OSC 777's separator) in the text."""
    return clean_text(text).replace(";", ",")[:200]
