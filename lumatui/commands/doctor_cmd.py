"""`lumatui doctor`: what this terminal can do for lumatui, each item with a hint to fix it.

Reports the image protocol textual-image chose (Kitty graphics, Sixel or half-cell blocks),
colour depth, terminal size, the clipboard route, tmux passthrough, SSH, and whether stdin
and stdout are terminals. The terminal is asked about images only when it can answer, so
the command never waits on a pipe. `--repair` checks the history database instead, and
rebuilds a damaged one (see `lumatui.engine.repair`).
"""

from __future__ import annotations

import unicodedata
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import argparse

    from lumatui.tui.terminal_info import ReportItem, TerminalInfo


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `doctor` subcommand."""
    from lumatui.commands.common import add_parser

    parser = add_parser(
        subparsers,
        "doctor",
        help="check what this terminal can do (images, colour, clipboard, tmux)",
        description="Report the image protocol the preview will use, the colour depth, the "
        "terminal size, where copied text goes, and tmux settings, each with a hint to fix "
        "it. Run it in the terminal (and tmux pane) you use lumatui in.",
        network=False,
    )
    parser.add_argument(
        "--repair",
        action="store_true",
        help="check the history database; if it is damaged, keep a copy of it and rebuild "
        "what can be read (quit every lumatui on this history first)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the report; always exit 0 (it describes, it does not judge)."""
    if args.repair:
        from lumatui.commands.common import run_command
        from lumatui.commands.repair import repair

        return run_command("doctor", lambda: repair(json_mode=args.json), json_mode=args.json)
    from lumatui.tui.terminal_info import gather, report_items

    info = gather()
    items = report_items(info)
    if args.json:
        from lumatui.commands.common import json_text

        print(json_text(doctor_report(info, items)))
    else:
        print(render_report(items))
    return 0


def doctor_report(info: TerminalInfo, items: list[ReportItem]) -> dict[str, Any]:
    """The report as JSON-ready data: the items, and the raw facts they came from."""
    return {"items": [asdict(item) for item in items], "terminal": asdict(info)}


def render_report(items: list[ReportItem]) -> str:
    """One aligned line per item, `ok`/`!!` in front, its hint indented below."""
    width = max(len(item.name) for item in items)
    lines = []
    for item in items:
        mark = "ok" if item.ok else "!!"
        lines.append(f"{mark}  {item.name:<{width}}  {_clean(item.value)}")
        if item.hint:
            lines.append(f"    {'':<{width}}  hint: {_clean(item.hint)}")
    return "\n".join(lines)


def _clean(text: str) -> str:
    """Control characters (TERM comes from the environment) shown as `?`, never sent."""
    return "".join("?" if unicodedata.category(c) == "Cc" else c for c in text)
