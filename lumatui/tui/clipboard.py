"""Copying text: OSC 52 to the person's clipboard where it can get there, else a private file.

OSC 52 travels with the terminal output, so it works over SSH; tmux forwards it only with
`set-clipboard on`, and a terminal caps how much it takes. Where it cannot work (tmux
without it, no terminal, very large text) the text goes to a 0600 file under the data dir
and the message says where.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from lumatui.paths import write_private_file
from lumatui.tui.terminal_info import clipboard_route

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from textual.app import App

    from lumatui.paths import AppPaths

OSC52_LIMIT = 100 * 1024
"""Bytes of text sent through OSC 52 at most; many terminals cut or drop more."""


def copy_text(
    app: App[Any], text: str, paths: AppPaths, *, environ: Mapping[str, str] | None = None
) -> str:
    """Copy `text` and return one line saying where it went."""
    route = clipboard_route(environ, headless=app.is_headless)
    size = len(text.encode("utf-8"))
    if route.osc52 and size <= OSC52_LIMIT:
        app.copy_to_clipboard(text)
        return f"Copied to the clipboard ({route.detail.split(' (')[0]})."
    reason = (
        route.detail.removeprefix("file: ")
        if not route.osc52
        else (f"{size // 1024} KB is too much for the terminal's clipboard")
    )
    try:
        path = save_clipboard_file(text, paths)
    except OSError as exc:
        return f"Could not copy: {reason}, and the file could not be written ({exc.strerror})."
    hint = f"; {route.hint}" if route.hint else ""
    return f"Saved to {path} ({reason}{hint})."


def save_clipboard_file(text: str, paths: AppPaths, *, now: float | None = None) -> Path:
    """Write `text` to a new file readable only by the user, under the data dir's clipboard/."""
    moment = time.time() if now is None else now
    stamp = (
        time.strftime("%Y%m%d-%H%M%S", time.localtime(moment))
        + f"-{int(moment * 1e6) % 1_000_000:06d}"
    )
    return write_private_file(
        paths.data_dir / "clipboard",
        lambda attempt: f"{stamp}.txt" if attempt == 0 else f"{stamp}-{attempt}.txt",
        text,
    )
