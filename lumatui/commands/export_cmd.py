"""`lumatui export ID --as curl|json|python`: a stored request as something runnable."""

from __future__ import annotations

import contextlib
import sys
from typing import TYPE_CHECKING

from lumatui.commands.common import (
    add_base_url_option,
    add_parser,
    load_settings_for,
    open_store,
    resolve_job,
    run_command,
)
from lumatui.engine.export import EXPORT_FORMATS, SIMULATED_NOTE, export_job

if TYPE_CHECKING:
    import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `export` subcommand."""
    parser = add_parser(
        subparsers,
        "export",
        help="print a stored request as a curl command, its JSON body, or a Python script",
        description=(
            "Print the request of a stored job exactly as it was sent, ready to run again: "
            "as a curl command, the JSON body alone, or a Python script using httpx; or the "
            "whole chain that made it as a shell script of `lumatui submit` lines. The "
            "key is never included: curl reads $LUMA_AGENTS_API_KEY from the shell and the "
            "script reads it from the environment. The URL is the base URL in use "
            "(--base-url, LUMA_BASE_URL, config.toml, or Luma's). No network is used."
        ),
        network=False,
        json_option=False,
    )
    parser.add_argument("id", metavar="ID", help="server id, a unique prefix of it, or local id")
    parser.add_argument(
        "--as",
        dest="as_",
        choices=(*EXPORT_FORMATS, "script"),
        default="curl",
        help="what to print (default curl); `script`: a POSIX sh script of `lumatui submit "
        "--wait` lines re-creating the whole chain from its roots to ID",
    )
    add_base_url_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the export; returns the exit code."""
    return run_command("export", lambda: _export(args), json_mode=False)


def _export(args: argparse.Namespace) -> int:
    settings, paths = load_settings_for(args)
    with contextlib.closing(open_store(paths)) as store:
        job = resolve_job(store, args.id)
        if args.as_ == "script":
            from lumatui.commands.script_export import chain_script

            sys.stdout.write(chain_script(store, job))
            sys.stdout.flush()
            return 0
    if job.simulated and args.as_ == "json":
        sys.stderr.write(SIMULATED_NOTE.lstrip("# ") + "\n")
    sys.stdout.write(export_job(job, settings.base_url, args.as_))
    sys.stdout.flush()
    return 0
