"""`lumatui submit`: send a generation request from flags or a JSON body; optionally wait for it."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING, Any

from lumatui.api.variations import MAX_BATCH_JOBS
from lumatui.commands.common import (
    EXIT_API,
    EXIT_TIMEOUT,
    CommandError,
    add_parser,
    engine_session,
    load_settings_for,
    open_store,
    print_json,
    run_command,
    warn,
)
from lumatui.commands.guards import seconds
from lumatui.commands.job_records import job_problem, job_record, jobs_exit_code
from lumatui.commands.outputs import output_paths
from lumatui.commands.request_flags import add_request_flags, apply_flags, read_body
from lumatui.commands.submit_plan import (
    add_batch_flags,
    confirm_batch,
    plan_for,
    print_dry_run,
    validate_request,
)
from lumatui.commands.uploading import PendingUpload, open_uploader, upload_pending
from lumatui.engine.events import Connectivity, JobChanged, SendRefused, SubmissionRejected
from lumatui.engine.jobs import UNSENT_STATES, JobState, Orphan

if TYPE_CHECKING:
    import argparse

    from lumatui.api.batches import BatchPlan
    from lumatui.commands.common import Session
    from lumatui.config import AppPaths, Settings
    from lumatui.engine.events import Event
    from lumatui.engine.jobs import Job
    from lumatui.engine.service import Engine
    from lumatui.engine.store import JobStore

MAX_UNAVAILABLE = 4
"""502/503 answers in a row before a one-shot submit gives up (exit 4, nothing created)."""
UNSENT = UNSENT_STATES


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `submit` subcommand."""
    parser = add_parser(
        subparsers,
        "submit",
        help="submit a generation request (flags named after the API fields)",
        description=(
            "Validate a request and send it. The request is stored before it is sent, so a "
            "crash loses no paid job. Without --wait, returns once the API has accepted it "
            "and prints its id; with --wait, prints the output files, one per line. A "
            "request that fails validation prints each problem as `path: message` and "
            "exits 2 with nothing sent. submit sends only the jobs it was asked to send. A "
            "refused key (401/403) or no balance (402) is said at once and exits 4; a job "
            "still unsent when submit stops (a refusal, --timeout, ctrl+c) is cancelled, "
            "nothing created, unless --queue hands it to the history's queue. A --prompt "
            "with alternatives, `a {red|blue} fox at {dawn|dusk}`, makes one job per "
            "combination (`\\{` is a literal brace; a body from a file is sent as written), "
            "each sent --runs times: one batch of at most 64 jobs. A batch dearer than "
            "confirm_above_usd (default $1), or of unknown price, asks first (--yes skips); "
            "--dry-run prints the requests and their total instead of sending."
        ),
        network=True,
        json_option=False,
    )
    parser.add_argument(
        "--json",
        nargs="?",
        const="",
        default=None,
        metavar="FILE|-",
        help="print JSON (the job objects) on stdout; with FILE (or - for stdin), "
        "also read the request body from it",
    )
    parser.add_argument(
        "--body", metavar="FILE|-", default=None, help="read the request body from FILE or stdin"
    )
    parser.add_argument("--wait", action="store_true", help="wait until done; print output paths")
    parser.add_argument(
        "--print-id",
        action="store_true",
        help="print only each new job's server id, also with --wait (for `ID=$(lumatui "
        "submit --wait --print-id ...)` in scripts)",
    )
    parser.add_argument(
        "--timeout", type=seconds, default=None, metavar="S", help="give up after S seconds"
    )
    parser.add_argument(
        "--allow-unknown-fields",
        action="store_true",
        help="send fields of the body this version of lumatui does not know, as they are",
    )
    parser.add_argument(
        "--yes",
        action="store_true",
        help="send without asking a job (or batch) whose price is unknown (layering, web "
        "search) or above confirm_above_usd (default $1)",
    )
    parser.add_argument(
        "--queue",
        action="store_true",
        help="if a job cannot be sent before submit stops (a refusal, --timeout, ctrl+c), "
        "leave it in the history's queue for the primary workstation or `lumatui queue run` "
        "instead of cancelling it",
    )
    parser.add_argument(
        "--wait-for-balance",
        action="store_true",
        help="on HTTP 402 (no balance) keep the job waiting and try again, instead of "
        "exiting 4 at once",
    )
    add_batch_flags(parser)
    add_request_flags(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Validate, send and (with --wait) wait; returns the exit code."""
    json_mode = args.json is not None
    return run_command("submit", lambda: _submit(args, json_mode), json_mode=json_mode)


def _submit(args: argparse.Namespace, json_mode: bool) -> int:
    if args.body is not None and args.json:
        raise CommandError("give the request body with --json FILE or with --body FILE, not both")
    if not 1 <= args.runs <= MAX_BATCH_JOBS:
        raise CommandError(f"--runs must be between 1 and {MAX_BATCH_JOBS}")
    settings, paths = load_settings_for(args)
    body = read_body(args.body if args.body is not None else (args.json or None))
    uploads: list[PendingUpload] = []
    with contextlib.closing(open_store(paths)) as store:
        body = apply_flags(body, args, store, inline_cap=settings.inline_cap_bytes, uploads=uploads)
    request = validate_request(body, allow_unknown=args.allow_unknown_fields)
    # Alternatives come only from --prompt: a body from a file is sent as written.
    plan = plan_for(request, settings, runs=args.runs, expand=args.prompt is not None)
    if args.dry_run:
        print_dry_run(plan, uploads, json_mode=json_mode)
        return 0
    confirm_batch(plan, settings, yes=args.yes)
    return asyncio.run(_send(args, settings, paths, plan, json_mode, body, uploads))


class _Progress:
    """Follows the submitted jobs' events: tells the user, and notices when sending must stop."""

    def __init__(self, ids: set[str], total: int, *, wait_for_balance: bool) -> None:
        self.ids = ids
        self.total = total
        self.sent = 0
        self.wait_for_balance = wait_for_balance
        self.trouble: str | None = None
        self.outages = 0
        self.stopped = asyncio.Event()
        self._told: dict[str, JobState] = {}
        self._held: dict[str, str] = {}
        self._accepted: set[str] = set()

    def __call__(self, event: Event) -> None:
        from lumatui.api.text import clean_text

        if isinstance(event, SendRefused):
            if event.kind == "balance" and self.wait_for_balance:
                warn(f"lumatui submit: {clean_text(event.message)}; waiting for funds")
                return
            # 401/403/402 said at once: the command stops (exit 4).
            self.trouble = clean_text(event.message)
            self.stopped.set()
        elif isinstance(event, Connectivity) and not event.online:
            # Nothing was created (the submitter says so only for refusals that prove it). A
            # one-shot command does not sit out an outage: no answer at all exits 4 now; a
            # 502/503 (the API answered "not now") is tried a few times first.
            self.outages += 1
            if not event.answered or self.outages >= MAX_UNAVAILABLE:
                detail = event.detail or "no answer"
                self.trouble = clean_text(f"the API is unreachable: {detail}")
                self.stopped.set()
        elif isinstance(event, SubmissionRejected) and event.job.id in self.ids:
            for error in event.field_errors:
                warn(f"  {error}")
        elif isinstance(event, JobChanged) and event.job.id in self.ids:
            self._job_changed(event.job)

    def _job_changed(self, job: Job) -> None:
        from lumatui.api.text import clean_text

        previous = self._told.get(job.id)
        if previous is job.state and job.state is not JobState.WAITING:
            return
        self._told[job.id] = job.state
        if job.state is JobState.WAITING:
            note = clean_text(job.note or "")
            if previous is not None and self._held.get(job.id) != note:
                self._held[job.id] = note
                warn(f"lumatui: {job.short_id} waiting: {note}{_next_try(job)}")
        elif _taken_by_api(job) and job.id not in self._accepted:
            self._accepted.add(job.id)
            self.sent += 1
            self.outages = 0
            warn(f"lumatui: submitted {self.sent}/{self.total}: {job.generation_id} {job.state}")
        elif job.state is not JobState.SUBMITTING:
            warn(f"lumatui: {job.short_id} {job.state}")
        if job.state not in UNSENT:
            self.stopped.set()

    def catch_up(self, jobs: list[Job]) -> None:
        """Tell the jobs the history shows accepted whose news has not come yet (the command
        may end before their events are handed over)."""
        for job in jobs:
            if _taken_by_api(job) and job.id not in self._accepted:
                self._job_changed(job)


def _taken_by_api(job: Job) -> bool:
    """Whether the API took the job (it has an id there; it may even be finished already)."""
    return job.generation_id is not None and job.state not in UNSENT


def _next_try(job: Job) -> str:
    if job.due_at is None:
        return ""
    return f" (next try in {max(job.due_at - time.time(), 0.0):.0f} s)"


async def _send(
    args: argparse.Namespace,
    settings: Settings,
    paths: AppPaths,
    plan: BatchPlan,
    json_mode: bool,
    body: dict[str, Any],
    uploads: list[PendingUpload],
) -> int:
    orphan = Orphan.SEND if args.queue else Orphan.CANCEL
    ids: list[str] = []
    sessions: list[Session] = []
    try:
        return await _send_in(
            args, settings, paths, plan, json_mode, orphan, ids, sessions, body, uploads
        )
    finally:
        if sessions:
            released = [j for j in sessions[0].released if j.id in set(ids)]
            _report_unsent(released, queued=args.queue)


async def _send_in(
    args: argparse.Namespace,
    settings: Settings,
    paths: AppPaths,
    plan: BatchPlan,
    json_mode: bool,
    orphan: Orphan,
    ids: list[str],
    sessions: list[Session],
    body: dict[str, Any],
    uploads: list[PendingUpload],
) -> int:
    deadline = None if args.timeout is None else time.monotonic() + args.timeout
    async with engine_session(args, settings, paths, kind="submit", orphan=orphan) as session:
        sessions.append(session)
        if uploads:
            # Uploads are not paid; they finish before the job is recorded and sent.
            uploader = open_uploader(session.backend, paths, settings)
            await upload_pending(uploader, uploads)
            request = validate_request(body, allow_unknown=args.allow_unknown_fields, quiet=True)
            plan = plan_for(request, settings, runs=args.runs, expand=args.prompt is not None)
        engine = session.engine
        session.stop_reason = "lumatui submit was interrupted"
        progress = _Progress(set(), plan.size, wait_for_balance=args.wait_for_balance)
        engine.subscribe(progress)
        if plan.size == 1:
            jobs = [await engine.submit(plan.requests[0])]
        else:
            # One batch: recorded at once under one batch id, then sent in order.
            jobs = await engine.submit_batch(plan.requests, label=plan.label)
        ids.extend(job.id for job in jobs)
        progress.ids.update(ids)
        code = await _follow(engine, ids, progress, deadline, wait=args.wait)
        if code == EXIT_API:
            session.stop_reason = f"lumatui submit stopped: {progress.trouble}"
            warn(f"lumatui submit: {progress.trouble}")
        elif code == EXIT_TIMEOUT:
            session.stop_reason = f"lumatui submit timed out after {args.timeout:g} s"
            warn(f"lumatui submit: timed out after {args.timeout:g} s")
        else:
            session.stop_reason = None
    with contextlib.closing(open_store(paths)) as store:
        jobs = store.get_many(ids)
        _print_result(store, jobs, json_mode=json_mode, wait=args.wait and not args.print_id)
        return code or jobs_exit_code(store, jobs)


def _report_unsent(jobs: list[Job], *, queued: bool) -> None:
    """Say what became of the jobs this command could not send."""
    cancelled = [j for j in jobs if j.state is JobState.CANCELLED]
    waiting = [j for j in jobs if j.state is JobState.WAITING]
    if cancelled:
        ids = " ".join(j.short_id for j in cancelled)
        warn(
            f"lumatui submit: cancelled {len(cancelled)} unsent job(s), nothing was created: {ids}"
        )
    if waiting and queued:
        ids = " ".join(j.short_id for j in waiting)
        warn(
            f"lumatui submit: {len(waiting)} job(s) handed to the history's queue ({ids}): the "
            "primary workstation or `lumatui queue run` sends them"
        )


async def _follow(
    engine: Engine, ids: list[str], progress: _Progress, deadline: float | None, *, wait: bool
) -> int:
    """Wait until every job is accepted (and, with `wait`, finished); 0, 4 or 5."""
    while True:
        if progress.trouble:
            return EXIT_API
        jobs = await engine.db.read(lambda s: s.get_many(ids))
        if all(job.state not in UNSENT for job in jobs):
            progress.catch_up(jobs)
            break
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            return EXIT_TIMEOUT
        progress.stopped.clear()
        # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(min(remaining or 1.0, 1.0)):
                await progress.stopped.wait()
    if not wait:
        return 0
    remaining = None if deadline is None else max(deadline - time.monotonic(), 0.0)
    try:
        await engine.wait_for(ids, timeout=remaining)
    except TimeoutError:
        return EXIT_TIMEOUT
    return 0


def _print_result(store: JobStore, jobs: list[Job], *, json_mode: bool, wait: bool) -> None:
    if json_mode:
        print_json([job_record(store, job) for job in jobs])
    for job in jobs:
        problem = job_problem(store, job)
        if problem:
            warn(f"lumatui submit: {job.short_id} {problem}")
        if json_mode:
            continue
        if wait:
            for path in output_paths(store, job):
                print(path, flush=True)
        elif job.generation_id and job.state not in UNSENT:
            print(job.generation_id, flush=True)
