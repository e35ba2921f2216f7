"""`lumatui star ID...` and `lumatui unstar ID...`: a lasting mark on jobs in the history."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from lumatui.commands.common import (
    add_parser,
    job_record,
    load_settings_for,
    open_store,
    print_json,
    resolve_job,
    run_command,
)

if TYPE_CHECKING:
    import argparse


def register_star(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `star` subcommand."""
    _register(subparsers, "star", starred=True)


def register_unstar(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `unstar` subcommand."""
    _register(subparsers, "unstar", starred=False)


def _register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], name: str, *, starred: bool
) -> None:
    what = "star" if starred else "remove the star from"
    parser = add_parser(
        subparsers,
        name,
        help=f"{what} jobs (a lasting mark: `list --starred`, the filter `star:yes`)",
        description=(
            f"{what.capitalize()} jobs in the history. A star is a lasting mark (the "
            "workstation's `*`), kept across restarts and seen by every lumatui on this "
            "history; `lumatui list --starred` and the list filter `star:yes` show the "
            "starred jobs. Costs nothing: no request is sent."
        ),
        network=False,
    )
    parser.add_argument("ids", nargs="+", metavar="ID", help="jobs (a unique id prefix will do)")
    parser.set_defaults(handler=lambda args: run(args, starred=starred))


def run(args: argparse.Namespace, *, starred: bool) -> int:
    """Star or unstar; returns the exit code."""
    name = "star" if starred else "unstar"
    return run_command(name, lambda: _star(args, starred), json_mode=args.json)


def _star(args: argparse.Namespace, starred: bool) -> int:
    _settings, paths = load_settings_for(args)
    with contextlib.closing(open_store(paths)) as store:
        jobs = [resolve_job(store, text) for text in args.ids]
        changed = [store.set_star(job.id, starred) for job in jobs]
        if args.json:
            print_json([job_record(store, job) for job in changed])
            return 0
    mark = "starred  " if starred else "unstarred"
    for job in changed:
        print(f"{mark}  {job.short_id}  {job.type}", flush=True)
    return 0
