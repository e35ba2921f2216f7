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
    job_record,
    jobs_exit_code,
    load_settings_for,
    open_store,
    print_json,
    resolve_job,
    result_line,
    run_command,
    warn,
)
from lumatui.commands.guards import seconds
from lumatui.engine.jobs import JobState

if TYPE_CHECKING:
    import argparse

    from lumatui.config import AppPaths, Settings
    from lumatui.engine.jobs import Job
    from lumatui.engine.store import JobStore


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `wait` subcommand."""
    parser = add_parser(
        subparsers,
        "wait",
        help="wait for jobs to finish and download their outputs",
        description=(
            "Start the engine, which resumes every unfinished job (after a crash too: jobs "
            "left in flight are polled, never sent twice), and wait until the given jobs, "
            "or with --all every unfinished job, are finished and their outputs downloaded. "
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
    """True when nothing more will happen: finished, and every output fetched or given up on."""
    if not job.state.is_finished:
        return False
    if job.state is not JobState.COMPLETED:
        return True
    outputs = store.outputs(job.id)
    return bool(outputs) and all(o.is_downloaded or o.error for o in outputs)


def unfinished_ids(store: JobStore) -> list[str]:
    """Every job still on its way, or completed with outputs not yet downloaded, oldest first."""
    jobs = [*store.in_state(JobState.SUBMITTING), *store.in_state(JobState.WAITING)]
    jobs += store.polled()
    ids = [job.id for job in sorted(jobs, key=lambda j: j.seq)]
    ids += [output.job_id for output in store.pending_downloads()]
    return list(dict.fromkeys(ids))


async def _resume_and_wait(
    args: argparse.Namespace, settings: Settings, paths: AppPaths, wanted: list[str]
) -> int:
    async with engine_session(args, settings, paths) as session:
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
        try:
            jobs = await engine.wait_for(wanted, timeout=args.timeout)
        except TimeoutError:
            warn(f"lumatui wait: timed out after {args.timeout:g} s")
            _report(store, [store.get(i) for i in wanted], args.json)
            return EXIT_TIMEOUT
        return _report(store, jobs, args.json)


def _report(store: JobStore, jobs: list[Job], json_mode: bool) -> int:
    """Print each job's state and outputs; the exit code for them."""
    if json_mode:
        print_json([job_record(store, job) for job in jobs])
    else:
        for job in jobs:
            print(result_line(store, job), flush=True)
    return jobs_exit_code(store, jobs)
