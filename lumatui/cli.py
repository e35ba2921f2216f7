"""The `lumatui` command line: the workstation by default, plus scriptable subcommands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from lumatui import __version__

ABOUT = """lumatui — a keyboard-driven terminal workstation for Luma's Agents API.

Compose image (uni-1, uni-1-max) and video (ray-3.2) generation requests in a form that
checks every field before money is spent, watch every job live, preview results as
thumbnails in the terminal, and iterate: edit, animate, extend, reframe, with a lineage
tree of every chain. The workstation itself is still being built; see `lumatui --help`."""

Handler = Callable[[argparse.Namespace], int]


def _registrars() -> list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]]:
    """Each subcommand module's `register`, in the order `--help` lists them."""
    from lumatui.commands import config_cmd, sim_cmd

    return [sim_cmd.register, config_cmd.register]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand that exists."""
    parser = argparse.ArgumentParser(prog="lumatui", description=ABOUT.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"lumatui {__version__}")
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
        print(ABOUT)
        return 0
    try:
        return handler(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
