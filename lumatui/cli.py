"""The `lumatui` command line: the workstation by default, plus scriptable subcommands."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Sequence

from lumatui import __version__

ABOUT = """lumatui — a keyboard-driven terminal workstation for Luma's Agents API.

Compose image (uni-1, uni-1-max) and video (ray-3.2) generation requests in a form that
checks every field before money is spent, watch every job live, preview results as
thumbnails in the terminal, and iterate: edit, animate, extend, reframe, with a lineage
tree of every chain. Run `lumatui` to start it; `lumatui --help` lists the subcommands."""

Handler = Callable[[argparse.Namespace], int]
EXIT_INTERNAL = 70


def _registrars() -> list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]]:
    """Each subcommand module's `register`, in the order `--help` lists them."""
    from lumatui.commands import (
        cancel_cmd,
        config_cmd,
        doctor_cmd,
        export_cmd,
        files_cmd,
        get_cmd,
        lineage_cmd,
        list_cmd,
        queue_cmd,
        rm_cmd,
        sim_cmd,
        star_cmd,
        submit_cmd,
        wait_cmd,
    )

    return [
        submit_cmd.register,
        get_cmd.register,
        wait_cmd.register,
        cancel_cmd.register,
        queue_cmd.register,
        list_cmd.register,
        rm_cmd.register,
        star_cmd.register_star,
        star_cmd.register_unstar,
        lineage_cmd.register,
        export_cmd.register,
        files_cmd.register,
        sim_cmd.register,
        config_cmd.register,
        doctor_cmd.register,
    ]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand that exists."""
    parser = argparse.ArgumentParser(prog="lumatui", description=ABOUT.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"lumatui {__version__}")
    from lumatui.commands import tui_cmd

    tui_cmd.add_options(parser)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for register in _registrars():
        register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        if args.about:
            print(ABOUT)
            return 0
        from lumatui.commands import tui_cmd

        handler = tui_cmd.run
    try:
        return handler(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # never a traceback: a clear line, or a bug's crash report
        return _unexpected(args, exc)


def _unexpected(args: argparse.Namespace, error: Exception) -> int:
    """Say what went wrong in one line; a bug also gets a crash report (key redacted)."""
    from lumatui.commands.guards import local_fault

    name = f"lumatui {args.command}" if getattr(args, "command", None) else "lumatui"
    fault = local_fault(error)
    if fault is not None:
        _say(f"{name}: {fault[0]}")
        return fault[1]
    report = None
    try:
        from lumatui.config import app_paths
        from lumatui.tui.crash import secrets_of, write_crash_report

        report = write_crash_report(app_paths().crash_dir, error, secrets=secrets_of(None))
    except Exception:  # nowhere to write it: the line below still says what happened
        report = None
    where = f"; the report (key redacted) is at {report}" if report else ""
    _say(f"{name}: internal error ({type(error).__name__}), a bug in lumatui{where}")
    return EXIT_INTERNAL


def _say(line: str) -> None:
    with contextlib.suppress(OSError, ValueError):  # stderr may be gone too
        print(line, file=sys.stderr, flush=True)
