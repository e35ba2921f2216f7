"""`lumatui list`: the job history, newest first, filtered; a table or a JSON array."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from lumatui.api.enums import GenerationType, Model
from lumatui.commands.common import (
    CommandError,
    add_parser,
    job_record,
    local_time,
    open_store,
    print_json,
    run_command,
    warn,
)
from lumatui.commands.guards import count
from lumatui.engine.jobs import JobState

if TYPE_CHECKING:
    import argparse

    from lumatui.engine.jobs import Job

PROMPT_WIDTH = 60


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `list` subcommand."""
    parser = add_parser(
        subparsers,
        "list",
        help="list stored jobs, newest first",
        description=(
            "List the job history, newest first, from the local database (no network). "
            "With --json, a JSON array of objects with id (the server id when known, else "
            "the local id), local_id, type, model, state, prompt, created_at (ISO-8601), "
            "parents (ids), outputs (local paths), failure_code, failure_reason, note, starred, "
            "batch_id and batch_label (jobs sent together by one submit share a batch)."
        ),
        network=False,
    )
    states = ", ".join(s.value for s in JobState)
    parser.add_argument(
        "--state", action="append", default=[], metavar="STATE", help=f"only these ({states})"
    )
    parser.add_argument(
        "--type",
        action="append",
        default=[],
        choices=[t.value for t in GenerationType],
        help="only this type (repeatable)",
    )
    parser.add_argument(
        "--model",
        action="append",
        default=[],
        choices=[m.value for m in Model],
        help="only this model (repeatable)",
    )
    stars = parser.add_mutually_exclusive_group()
    stars.add_argument(
        "--starred", dest="starred", action="store_true", default=None, help="only starred jobs"
    )
    stars.add_argument(
        "--unstarred", dest="starred", action="store_false", help="only jobs without a star"
    )
    parser.add_argument("--text", default="", metavar="T", help="prompt, id or failure contains T")
    parser.add_argument(
        "--limit", type=count, default=50, metavar="N", help="at most N (default 50)"
    )
    parser.add_argument("--offset", type=count, default=0, metavar="N", help="skip the newest N")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the list; returns the exit code."""
    return run_command("list", lambda: _list(args), json_mode=args.json)


def _list(args: argparse.Namespace) -> int:
    from lumatui.config import app_paths
    from lumatui.engine.queries import JobQuery

    states = {s.strip() for item in args.state for s in item.split(",") if s.strip()}
    unknown = sorted(states - {s.value for s in JobState})
    if unknown:
        known = ", ".join(s.value for s in JobState)
        raise CommandError(f"unknown state {', '.join(unknown)}; choose from {known}")
    if args.limit < 0 or args.offset < 0:
        raise CommandError("--limit and --offset must not be negative")
    query = JobQuery(
        text=args.text,
        states=frozenset(states),
        types=frozenset(args.type),
        models=frozenset(args.model),
        starred=args.starred,
    )
    with contextlib.closing(open_store(app_paths())) as store:
        jobs = store.page(query, offset=args.offset, limit=args.limit)
        if args.json:
            print_json([job_record(store, job) for job in jobs])
            return 0
        total = store.count(query)
        parents = {
            job.id: len({e.parent_generation_id for e in store.edges_from(job.id)}) for job in jobs
        }
    if jobs:
        print(render_table(jobs, parents))
    shown = f"{args.offset + 1}-{args.offset + len(jobs)}" if jobs else "none"
    warn(f"{shown} of {total} job(s)")
    return 0


def render_table(jobs: list[Job], parents: dict[str, int]) -> str:
    """Plain-text columns: id, state, type, model, created, parents, prompt (cleaned; a
    starred job's prompt begins with `* `)."""
    from lumatui.api.text import clean_text

    columns = (("ID", 8), ("STATE", 10), ("TYPE", 13), ("MODEL", 9), ("CREATED", 19))
    header = "  ".join([*(name.ljust(width) for name, width in columns), "PARENTS", "PROMPT"])
    lines = [header]
    for job in jobs:
        count = parents.get(job.id, 0)
        lines.append(
            f"{job.short_id:<8}  {job.state!s:<10}  {job.type:<13}  {job.model:<9}  "
            f"{local_time(job.created_at):<19}  {count or '-'!s:<7}  "
            f"{'* ' if job.starred else ''}{clean_text(job.prompt, PROMPT_WIDTH)}"
        )
    return "\n".join(lines)
