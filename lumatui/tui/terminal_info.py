"""What the terminal can do: image protocol, colour depth, size, tmux, clipboard route.

Shared by `lumatui doctor` and the app. textual-image chooses its renderer (Kitty TGP,
Sixel, half-cell blocks) by querying the terminal when it is first imported, which only
works before Textual owns the terminal and only when stdin and stdout are both terminals:
`prepare_image_renderer()` does that import at the right moment, and nothing here ever
asks a terminal that cannot answer, so nothing hangs when stdin is a pipe.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

PROTOCOL_ENV = "LUMATUI_IMAGE_PROTOCOL"
PROTOCOL_NAMES = {
    "tgp": "Kitty graphics (TGP)",
    "sixel": "Sixel",
    "halfcell": "half-cell blocks",
    "unicode": "unicode blocks (no terminal)",
}
MIN_SIZE = (80, 24)
COMFORTABLE_SIZE = (160, 45)
TMUX_TIMEOUT_S = 1.0


@dataclass(frozen=True)
class ClipboardRoute:
    """Where copied text goes: the terminal's clipboard (OSC 52) or a file, and why."""

    osc52: bool
    detail: str
    hint: str | None = None


@dataclass(frozen=True)
class TerminalInfo:
    """Everything `lumatui doctor` reports about the terminal."""

    stdin_tty: bool
    stdout_tty: bool
    term: str
    colour_depth: str  # "truecolor" | "256" | "16" | "none"
    size: tuple[int, int] | None
    in_tmux: bool
    tmux_passthrough: str | None  # "on" | "off" | "all"; None outside tmux or unknown
    tmux_set_clipboard: str | None  # "on" | "external" | "off"; None outside tmux or unknown
    over_ssh: bool
    image_protocol: str | None  # a key of PROTOCOL_NAMES; None when it could not be asked
    image_protocol_source: str
    clipboard: ClipboardRoute


@dataclass(frozen=True)
class ReportItem:
    """One line of the doctor's report: what, its value, whether it is fine, how to fix it."""

    name: str
    value: str
    ok: bool
    hint: str | None = None


_TMUX_CACHE: dict[tuple[str, str], str | None] = {}


def run_tmux(args: list[str]) -> str | None:
    """Run tmux with `args` (stdin closed, 1 s timeout); its output, or None if it failed."""
    try:
        done = subprocess.run(
            ["tmux", *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=TMUX_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def tmux_option(
    name: str,
    environ: Mapping[str, str] | None = None,
    runner: Callable[[list[str]], str | None] = run_tmux,
) -> str | None:
    """A global tmux option's value inside tmux (remembered per session), else None."""
    env = os.environ if environ is None else environ
    session = env.get("TMUX", "")
    if not session:
        return None
    key = (session, name)
    if key not in _TMUX_CACHE:
        _TMUX_CACHE[key] = runner(["show", "-gv", name])
    return _TMUX_CACHE[key]


def colour_depth(environ: Mapping[str, str] | None = None) -> str:
    """truecolor, 256, 16 or none, from COLORTERM and TERM (as Rich and Textual read them)."""
    env = os.environ if environ is None else environ
    colorterm = env.get("COLORTERM", "").lower()
    term = env.get("TERM", "").lower()
    if env.get("NO_COLOR"):
        return "none"
    if colorterm in ("truecolor", "24bit"):
        return "truecolor"
    if term in ("", "dumb", "unknown"):
        return "none"
    if "256" in term or "direct" in term:
        return "256"
    return "16"


def terminal_size() -> tuple[int, int] | None:
    """Columns and rows of the terminal on stdout, stderr or stdin; None if none is one."""
    for fd in (1, 2, 0):
        try:
            size = os.get_terminal_size(fd)
        except OSError:
            continue
        if size.columns and size.lines:
            return size.columns, size.lines
    return None


def clipboard_route(
    environ: Mapping[str, str] | None = None,
    *,
    headless: bool = False,
    runner: Callable[[list[str]], str | None] = run_tmux,
) -> ClipboardRoute:
    """Whether OSC 52 can reach the person's clipboard here, or text must go to a file."""
    env = os.environ if environ is None else environ
    if headless:
        return ClipboardRoute(False, "file: no terminal to copy to")
    if env.get("TMUX"):
        setting = tmux_option("set-clipboard", env, runner)
        if setting == "on":
            return ClipboardRoute(True, "OSC 52 through tmux (set-clipboard on)")
        shown = setting or "unknown"
        return ClipboardRoute(
            False,
            f"file: tmux set-clipboard is {shown}",
            "run `tmux set -g set-clipboard on` so copies reach your clipboard, even over SSH",
        )
    if env.get("STY"):
        return ClipboardRoute(
            False,
            "file: GNU screen does not pass OSC 52 on",
            "run lumatui inside tmux or outside screen",
        )
    if env.get("TERM_PROGRAM") == "Apple_Terminal":
        return ClipboardRoute(
            False, "file: macOS Terminal ignores OSC 52", "iTerm2, kitty or WezTerm take OSC 52"
        )
    return ClipboardRoute(True, "OSC 52 (the terminal's clipboard; works over SSH)")


def image_protocol(
    environ: Mapping[str, str] | None = None, *, ask: bool = True
) -> tuple[str | None, str]:
    """The renderer the preview uses, and how it was decided.

    Forced by LUMATUI_IMAGE_PROTOCOL, else textual-image's choice: read if it was already
    imported, else asked now when `ask` is true and stdin and stdout are both terminals.
    """
    env = os.environ if environ is None else environ
    forced = env.get(PROTOCOL_ENV, "").strip().lower()
    if forced and forced != "auto":
        return forced, f"forced by {PROTOCOL_ENV}={forced}"
    module = sys.modules.get("textual_image.renderable")
    if module is not None:
        return _renderer_name(module), "chosen by textual-image when it asked the terminal"
    if not (_isatty(sys.__stdout__) and _isatty(sys.__stdin__)):
        return None, "not asked: stdin or stdout is not a terminal"
    if not ask:
        return None, "not asked yet"
    name = prepare_image_renderer()
    if name is None:
        return None, "textual-image could not ask the terminal"
    return name, "chosen by textual-image after asking the terminal"


def prepare_image_renderer() -> str | None:
    """Import textual-image so it picks its renderer now; call before `App.run()`.

    It asks the terminal only when stdin and stdout are both terminals (else it would fail
    or wait for an answer that cannot come). Returns the renderer chosen, or None.
    """
    if "textual_image.renderable" not in sys.modules and not (
        _isatty(sys.__stdout__) and _isatty(sys.__stdin__)
    ):
        return None
    try:
        import textual_image.renderable as renderable
    except Exception:  # a terminal that answers oddly must not stop the app
        return None
    # The widget module caches the cell size while the terminal can still be asked; a
    # terminal reporting 0x0 cells breaks it, but the renderer choice still stands.
    with contextlib.suppress(Exception):
        import textual_image.widget  # noqa: F401
    return _renderer_name(renderable)


def _renderer_name(module: object) -> str:
    chosen = getattr(module, "Image", None)
    for name, attribute in (
        ("tgp", "TGPImage"),
        ("sixel", "SixelImage"),
        ("halfcell", "HalfcellImage"),
    ):
        if chosen is not None and chosen is getattr(module, attribute, None):
            return name
    return "unicode"


def _isatty(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (OSError, ValueError):
        return False


def gather(
    environ: Mapping[str, str] | None = None,
    *,
    ask: bool = True,
    runner: Callable[[list[str]], str | None] = run_tmux,
) -> TerminalInfo:
    """Look at the terminal; asks it about images only when it can answer (see module doc)."""
    env = os.environ if environ is None else environ
    in_tmux = bool(env.get("TMUX"))
    protocol, source = image_protocol(env, ask=ask)
    stdin_tty, stdout_tty = _isatty(sys.__stdin__), _isatty(sys.__stdout__)
    return TerminalInfo(
        stdin_tty=stdin_tty,
        stdout_tty=stdout_tty,
        term=env.get("TERM", ""),
        colour_depth=colour_depth(env),
        size=terminal_size(),
        in_tmux=in_tmux,
        tmux_passthrough=tmux_option("allow-passthrough", env, runner) if in_tmux else None,
        tmux_set_clipboard=tmux_option("set-clipboard", env, runner) if in_tmux else None,
        over_ssh=bool(env.get("SSH_CONNECTION") or env.get("SSH_TTY")),
        image_protocol=protocol,
        image_protocol_source=source,
        clipboard=clipboard_route(env, headless=not (stdin_tty or stdout_tty), runner=runner),
    )


def report_items(info: TerminalInfo) -> list[ReportItem]:
    """One item per thing the doctor checks, each with a hint when it can be better."""
    return [
        _image_item(info),
        _colour_item(info),
        _size_item(info),
        ReportItem("clipboard", info.clipboard.detail, info.clipboard.osc52, info.clipboard.hint),
        _tmux_item(info),
        ReportItem(
            "ssh",
            "yes" if info.over_ssh else "no",
            True,
            "images and copies travel through SSH as terminal sequences" if info.over_ssh else None,
        ),
        ReportItem(
            "stdin/stdout",
            f"{'terminal' if info.stdin_tty else 'not a terminal'} / "
            f"{'terminal' if info.stdout_tty else 'not a terminal'}",
            info.stdin_tty and info.stdout_tty,
            None
            if info.stdin_tty and info.stdout_tty
            else "run `lumatui doctor` in the terminal you use lumatui in, without pipes",
        ),
    ]


def _image_item(info: TerminalInfo) -> ReportItem:
    protocol = info.image_protocol
    value = (
        PROTOCOL_NAMES.get(protocol or "", protocol or "unknown")
        + f" ({info.image_protocol_source})"
    )
    if protocol in ("tgp", "sixel"):
        return ReportItem("image protocol", value, True)
    if protocol is None:
        return ReportItem(
            "image protocol", value, False, "run `lumatui doctor` in a terminal to ask it"
        )
    if info.in_tmux and info.tmux_passthrough not in ("on", "all"):
        hint = "tmux passthrough off: run `tmux set -g allow-passthrough on` for Sixel/Kitty images"
    elif info.image_protocol_source.startswith("forced"):
        hint = f"unset {PROTOCOL_ENV} (or set it to auto) to let the terminal decide"
    else:
        hint = (
            "the terminal answered neither Kitty graphics nor Sixel; kitty, WezTerm, iTerm2, "
            "foot or Konsole draw sharper thumbnails"
        )
    return ReportItem("image protocol", value, False, hint)


def _colour_item(info: TerminalInfo) -> ReportItem:
    depth = info.colour_depth
    value = {"truecolor": "24-bit (truecolor)", "256": "256 colours", "16": "16 colours"}.get(
        depth, "none"
    ) + (f", TERM={info.term}" if info.term else "")
    if depth == "truecolor":
        return ReportItem("colour depth", value, True)
    hint = "if the terminal shows 24-bit colour, set COLORTERM=truecolor"
    if info.over_ssh:
        hint += " (SSH drops it unless the server has `AcceptEnv COLORTERM`)"
    if info.in_tmux:
        hint += "; in tmux also `set -as terminal-features ',*:RGB'`"
    return ReportItem("colour depth", value, False, hint)


def _size_item(info: TerminalInfo) -> ReportItem:
    if info.size is None:
        return ReportItem("terminal size", "unknown (not a terminal)", False, None)
    columns, rows = info.size
    value = f"{columns}x{rows}"
    if columns < MIN_SIZE[0] or rows < MIN_SIZE[1]:
        return ReportItem(
            "terminal size", value, False, "lumatui needs at least 80x24: enlarge the window"
        )
    if columns < COMFORTABLE_SIZE[0] or rows < COMFORTABLE_SIZE[1]:
        return ReportItem(
            "terminal size", value, True, "usable; 160x45 or more shows all four panes at once"
        )
    return ReportItem("terminal size", value, True)


def _tmux_item(info: TerminalInfo) -> ReportItem:
    if not info.in_tmux:
        return ReportItem("tmux", "not inside tmux", True)
    passthrough = info.tmux_passthrough or "unknown"
    clipboard = info.tmux_set_clipboard or "unknown"
    value = f"allow-passthrough {passthrough}, set-clipboard {clipboard}"
    hints = []
    if info.tmux_passthrough not in ("on", "all"):
        hints.append("`tmux set -g allow-passthrough on` lets Sixel/Kitty images through")
    if info.tmux_set_clipboard != "on":
        hints.append("`tmux set -g set-clipboard on` lets copies reach your clipboard")
    return ReportItem("tmux", value, not hints, "; ".join(hints) or None)
