"""`lumatui cancel ID...`: cancel jobs that were never sent; nothing is created or charged."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from lumatui.commands.common import (
    EXIT_JOB_FAILED,
    EXIT_OK,
    add_parser,
    load_settings_for,
    open_store,
    print_json,
    resolve_job,
    run_command,
    warn,
)
from lumatui.commands.job_records import job_record

if TYPE_CHECKING:
    import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `cancel` subcommand."""
    parser = add_parser(
        subparsers,
        "cancel",
        help="cancel waiting jobs (never sent: nothing is created or charged)",
        description=(
            "Cancel jobs still waiting in a local queue (any lumatui process's): they are "
            "never sent. A job already sent cannot be cancelled: the Agents API has no "
            "cancel, so a queued or processing job runs to the end and is charged. Exits 1 "
            "when a job could not be cancelled."
        ),
        network=False,
    )
    parser.add_argument("ids", nargs="+", metavar="ID", help="jobs to cancel")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Cancel; returns the exit code."""
    return run_command("cancel", lambda: _cancel(args), json_mode=args.json)


def _cancel(args: argparse.Namespace) -> int:
    from lumatui.api.text import clean_text

    _settings, paths = load_settings_for(args)
    code = EXIT_OK
    records = []
    with contextlib.closing(open_store(paths)) as store:
        jobs = [resolve_job(store, text) for text in args.ids]
        for job in jobs:
            note = "cancelled with `lumatui cancel` before it was sent; nothing was created"
            changed, why_not = store.cancel(job.id, note)
            records.append(job_record(store, changed))
            if why_not is None:
                if not args.json:
                    print(f"cancelled  {changed.short_id}  {changed.type}", flush=True)
            else:
                code = EXIT_JOB_FAILED
                warn(f"lumatui cancel: {clean_text(why_not)}")
    if args.json:
        print_json(records)
    return code
