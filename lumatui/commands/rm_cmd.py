"""`lumatui rm ID...`: remove finished jobs from the history, their files kept or deleted."""

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

if TYPE_CHECKING:
    import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `rm` subcommand."""
    parser = add_parser(
        subparsers,
        "rm",
        help="remove finished jobs from the history",
        description=(
            "Remove finished jobs (completed, failed, rejected, uncertain, cancelled) from the "
            "history. Their output files stay on disk unless --delete-outputs is given. A "
            "job still on its way is refused: cancel it first if it waits. Running "
            "workstations drop the rows within a second. Exits 1 when a job could not be "
            "removed."
        ),
        network=False,
    )
    parser.add_argument("ids", nargs="+", metavar="ID", help="jobs to remove")
    parser.add_argument(
        "--delete-outputs", action="store_true", help="delete their output files too"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Remove; returns the exit code."""
    return run_command("rm", lambda: _remove(args), json_mode=args.json)


def _remove(args: argparse.Namespace) -> int:
    from lumatui.engine.service import delete_output_files

    _settings, paths = load_settings_for(args)
    code = EXIT_OK
    records = []
    with contextlib.closing(open_store(paths)) as store:
        jobs = [resolve_job(store, text) for text in args.ids]
        for job in dict((j.id, j) for j in jobs).values():
            try:
                removed, outputs = store.remove(job.id)
            except ValueError as exc:
                code = EXIT_JOB_FAILED
                warn(f"lumatui rm: {exc}")
                continue
            files = [o.local_path for o in outputs if o.local_path]
            deleted = 0
            if args.delete_outputs:
                deleted = delete_output_files(paths.outputs_dir, removed, outputs)
            records.append(
                {"id": removed.generation_id or removed.id, "files": files, "deleted": deleted}
            )
            if not args.json:
                kept = "" if args.delete_outputs or not files else f"; kept {' '.join(files)}"
                gone = f"; deleted {deleted} file(s)" if args.delete_outputs else ""
                print(f"removed  {removed.short_id}  {removed.type}{gone}{kept}", flush=True)
    if args.json:
        print_json(records)
    return code
