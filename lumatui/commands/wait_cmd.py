"""`lumatui wait ID...|--all`: resume unfinished jobs; wait until finished and downloaded."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from lumatui.commands.common import (
    EXIT_TIMEOUT,
    CommandError,
    add_parser,
    engine_session,
    load_settings_for,
    open_store,
    print_json,
    resolve_job,
    run_command,
    warn,
)
from lumatui.commands.guards import seconds
from lumatui.commands.job_records import job_record, jobs_exit_code, result_line
from lumatui.engine.jobs import JobState, Orphan

if TYPE_CHECKING:
    import argparse

    from lumatui.config import AppPaths, Settings
    from lumatui.engine.jobs import Job
    from lumatui.engine.service import Engine
    from lumatui.engine.store import JobStore


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `wait` subcommand."""
    parser = add_parser(
        subparsers,
        "wait",
        help="wait for jobs to finish and download their outputs",
        description=(
            "Wait until the given jobs, or with --all every unfinished job, are finished and "
            "their outputs downloaded. Jobs another live lumatui process works on are "
            "followed through the history; the rest are resumed here (after a crash too: "
            "jobs left in flight are polled, never sent twice). --all takes the primary role "
            "when no workstation holds it. "
            "Prints one line per job: state, id, type, and its output files or what went "
            "wrong. Exits 1 when any job failed, was rejected or is uncertain."
        ),
        network=True,
    )
    parser.add_argument("ids", nargs="*", metavar="ID", help="jobs to wait for")
    parser.add_argument("--all", action="store_true", help="wait for every unfinished job")
    parser.add_argument(
        "--timeout", type=seconds, default=None, metavar="S", help="give up after S seconds"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Wait; returns the exit code."""
    return run_command("wait", lambda: _wait(args), json_mode=args.json)


def _wait(args: argparse.Namespace) -> int:
    if bool(args.ids) == bool(args.all):
        raise CommandError("give the ids of the jobs to wait for, or --all (not both)")
    settings, paths = load_settings_for(args)
    with contextlib.closing(open_store(paths)) as store:
        wanted = [resolve_job(store, text).id for text in args.ids]
        if wanted and all(is_settled(store, store.get(i)) for i in wanted):
            # Nothing left to do: answer from the history without starting anything.
            return _report(store, [store.get(i) for i in wanted], args.json)
    return asyncio.run(_resume_and_wait(args, settings, paths, wanted))


def is_settled(store: JobStore, job: Job) -> bool:
    """True when nothing more will happen: finished, every output on disk or given up for good."""
    if not job.state.is_finished:
        return False
    if job.state is not JobState.COMPLETED:
        return True
    outputs = store.outputs(job.id)
    return bool(outputs) and all(o.is_settled for o in outputs)


def unfinished_ids(store: JobStore) -> list[str]:
    """Every job still on its way, or completed with outputs still missing, oldest first."""
    jobs = [*store.in_state(JobState.SUBMITTING), *store.in_state(JobState.WAITING)]
    jobs += store.polled()
    ids = [job.id for job in sorted(jobs, key=lambda j: j.seq)]
    ids += [output.job_id for output in store.pending_downloads()]
    return list(dict.fromkeys(ids))


async def _resume_and_wait(
    args: argparse.Namespace, settings: Settings, paths: AppPaths, wanted: list[str]
) -> int:
    # `wait --all` may become the primary (and adopts what dead processes left); `wait ID`
    # takes only the asked-for jobs that nobody alive works on, and follows the others.
    async with engine_session(
        args, settings, paths, kind="wait", may_lead=args.all, orphan=Orphan.SEND
    ) as session:
        engine = session.engine
        store = engine.store
        if args.all:
            # After start(): a job a crash left `submitting` is now `uncertain`, and reported.
            recovered = [job.id for job in session.recovered]
            wanted = list(dict.fromkeys([*recovered, *unfinished_ids(store)]))
            if not wanted:
                warn("lumatui wait: no unfinished jobs")
                if args.json:
                    print_json([])
                return 0
            warn(f"lumatui: waiting for {len(wanted)} job(s)")
        else:
            await engine.adopt_jobs(wanted)
        _say_who_works(engine, wanted)
        try:
            jobs = await engine.wait_for(wanted, timeout=args.timeout)
        except TimeoutError:
            warn(f"lumatui wait: timed out after {args.timeout:g} s")
            _report(store, store.get_many(wanted), args.json)
            return EXIT_TIMEOUT
        return _report(store, jobs, args.json)


def _say_who_works(engine: Engine, wanted: list[str]) -> None:
    """Name the processes working on the wanted jobs, when this one is not the only one."""
    from collections import Counter

    from lumatui.engine.ownership import Role

    owners = Counter(job.owner for job in engine.store.get_many(wanted) if job.owner)
    others = {owner: n for owner, n in owners.items() if owner != engine.owner}
    if not others:
        return
    names = {row.owner: row.describe() for row in engine.store.processes()}
    for owner, count in others.items():
        who = names.get(owner, "another lumatui process")
        warn(f"lumatui: {count} of these job(s) are in the hands of {who}; following its progress")
    if engine.role is Role.VIEWER and engine.primary_process is not None:
        warn(f"lumatui: the primary is {engine.primary_process.describe()}")


def _report(store: JobStore, jobs: list[Job], json_mode: bool) -> int:
    """Print each job's state and outputs; the exit code for them."""
    if json_mode:
        print_json([job_record(store, job) for job in jobs])
    else:
        for job in jobs:
            print(result_line(store, job), flush=True)
    return jobs_exit_code(store, jobs)
