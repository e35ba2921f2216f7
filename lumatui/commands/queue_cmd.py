"""`lumatui queue`: the jobs held unsent, who holds them and why; `queue run` sends them.

A job waits in the history's queue when the API refused it for now (429, 402, an outage)
or when `lumatui submit --queue` handed it over. The primary workstation (or `wait --all`)
sends such jobs by itself; `lumatui queue run` sends the ones no live process holds, for
scripts and machines without a workstation.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING, Any

from lumatui.commands.common import (
    EXIT_API,
    EXIT_OK,
    EXIT_TIMEOUT,
    add_backend_options,
    add_parser,
    engine_session,
    load_settings_for,
    open_store,
    print_json,
    run_command,
    warn,
)
from lumatui.commands.job_records import iso_time, jobs_exit_code, result_line
from lumatui.engine.events import SendRefused
from lumatui.engine.jobs import UNSENT_STATES, JobState, Orphan

if TYPE_CHECKING:
    import argparse

    from lumatui.config import AppPaths, Settings
    from lumatui.engine.claims import ProcessRow
    from lumatui.engine.jobs import Job
    from lumatui.engine.store import JobStore


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `queue` subcommand (and `queue run`)."""
    parser = add_parser(
        subparsers,
        "queue",
        help="list the jobs held unsent; `queue run` sends them",
        description=(
            "List the jobs waiting to be sent: which process holds each (or none: the "
            "history's queue), why it waits and when it is tried next. `lumatui queue run` "
            "sends the waiting jobs no live process holds (the primary workstation does this "
            "by itself while it runs) and exits once they are accepted (with --wait, "
            "finished); jobs it could not send stay queued."
        ),
        network=False,
    )
    parser.add_argument(
        "action", nargs="?", choices=["list", "run"], default="list", help="list (default) or run"
    )
    parser.add_argument("--wait", action="store_true", help="run: wait until the jobs finish")
    parser.add_argument(
        "--timeout", type=float, default=None, metavar="S", help="run: give up after S seconds"
    )
    add_backend_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """List or run the queue; returns the exit code."""
    if args.action == "run":
        return run_command("queue run", lambda: _run(args), json_mode=args.json)
    return run_command("queue", lambda: _list(args), json_mode=args.json)


def held_jobs(store: JobStore) -> list[tuple[Job, str]]:
    """Every unsent job, oldest first, with who holds it (for a person)."""
    from lumatui.engine.owners import owner_alive, process_alive

    database = store.path
    assert not isinstance(database, str)
    now = time.time()
    rows: dict[str, ProcessRow] = {row.owner: row for row in store.processes()}
    held = []
    for job in sorted(
        [*store.in_state(JobState.WAITING), *store.in_state(JobState.SUBMITTING)],
        key=lambda j: j.seq,
    ):
        if job.owner is None:
            holder = "the history's queue"
        elif job.owner in rows and process_alive(database, rows[job.owner], now):
            holder = rows[job.owner].describe()
        elif owner_alive(database, job.owner):
            holder = "another lumatui process"
        else:
            holder = "a stopped process (the primary takes it over)"
        held.append((job, holder))
    return held


def _list(args: argparse.Namespace) -> int:
    from lumatui.api.text import clean_text

    _settings, paths = load_settings_for(args)
    with contextlib.closing(open_store(paths)) as store:
        held = held_jobs(store)
    if args.json:
        print_json([_record(job, holder) for job, holder in held])
        return EXIT_OK
    if not held:
        warn("lumatui queue: no job is waiting to be sent")
        return EXIT_OK
    for job, holder in held:
        due = ""
        if job.due_at is not None:
            due = f"; next try in {max(job.due_at - time.time(), 0.0):.0f} s"
        note = clean_text(job.note or job.state.explanation)
        print(f"{job.state!s:<10}  {job.short_id}  {job.type:<13}  {holder}: {note}{due}")
    return EXIT_OK


def _record(job: Job, holder: str) -> dict[str, Any]:
    return {
        "local_id": job.id,
        "state": str(job.state),
        "type": job.type,
        "model": job.model,
        "prompt": job.prompt,
        "held_by": holder,
        "note": job.note,
        "next_try_at": iso_time(job.due_at),
    }


def _run(args: argparse.Namespace) -> int:
    settings, paths = load_settings_for(args)
    return asyncio.run(_drain(args, settings, paths))


async def _drain(args: argparse.Namespace, settings: Settings, paths: AppPaths) -> int:
    deadline = None if args.timeout is None else time.monotonic() + args.timeout
    async with engine_session(
        args, settings, paths, kind="queue-run", orphan=Orphan.SEND
    ) as session:
        engine = session.engine
        refused: list[str] = []
        engine.subscribe(
            lambda e: refused.append(e.message) if isinstance(e, SendRefused) else None
        )
        waiting = [job.id for job in engine.store.in_state(JobState.WAITING)]
        taken = [j.id for j in await engine.adopt_jobs(waiting) if j.owner == engine.owner]
        if not taken:
            primary = engine.primary_process
            who = f"; the primary ({primary.describe()}) sends the queue" if primary else ""
            warn(f"lumatui queue run: no waiting job is free to send{who}")
            return EXIT_OK
        warn(f"lumatui queue run: sending {len(taken)} job(s)")
        while True:
            jobs = engine.store.get_many(taken)
            if refused:
                session.stop_reason = None  # they stay queued
                warn(f"lumatui queue run: {refused[0]}; the jobs stay queued")
                return EXIT_API
            if all(job.state not in UNSENT_STATES for job in jobs):
                break
            if deadline is not None and time.monotonic() >= deadline:
                warn(f"lumatui queue run: timed out after {args.timeout:g} s; the rest stay queued")
                return EXIT_TIMEOUT
            with contextlib.suppress(TimeoutError):
                await engine.wait_for(taken, timeout=0.5, downloads=False)
        if args.wait:
            remaining = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            try:
                jobs = await engine.wait_for(taken, timeout=remaining)
            except TimeoutError:
                warn(f"lumatui queue run: timed out after {args.timeout:g} s")
                return EXIT_TIMEOUT
        for job in jobs:
            print(result_line(engine.store, job), flush=True)
        return jobs_exit_code(engine.store, jobs)
