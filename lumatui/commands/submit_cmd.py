"""`lumatui submit`: send a generation request from flags or a JSON body; optionally wait for it."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING

from lumatui.commands.common import (
    EXIT_API,
    EXIT_TIMEOUT,
    EXIT_USAGE,
    CommandError,
    add_parser,
    engine_session,
    job_problem,
    job_record,
    jobs_exit_code,
    load_settings_for,
    open_store,
    output_paths,
    print_json,
    run_command,
    warn,
)
from lumatui.commands.request_flags import add_request_flags, apply_flags, read_body
from lumatui.engine.events import Connectivity, JobChanged, QueueStatus, SubmissionRejected
from lumatui.engine.jobs import JobState

if TYPE_CHECKING:
    import argparse

    from lumatui.api.schema import GenerationRequest
    from lumatui.config import AppPaths, Settings
    from lumatui.engine.events import Event
    from lumatui.engine.jobs import Job
    from lumatui.engine.service import Engine

MAX_COUNT = 100
UNSENT = frozenset({JobState.SUBMITTING, JobState.WAITING})


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
            "exits 2 with nothing sent."
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
        "--count",
        type=int,
        default=1,
        metavar="N",
        help=f"submit the request N times (1-{MAX_COUNT}); each is a separate, paid job",
    )
    parser.add_argument(
        "--timeout", type=float, default=None, metavar="S", help="give up after S seconds"
    )
    add_request_flags(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Validate, send and (with --wait) wait; returns the exit code."""
    json_mode = args.json is not None
    return run_command("submit", lambda: _submit(args, json_mode), json_mode=json_mode)


def _submit(args: argparse.Namespace, json_mode: bool) -> int:
    if args.body is not None and args.json:
        raise CommandError("give the request body with --json FILE or with --body FILE, not both")
    if not 1 <= args.count <= MAX_COUNT:
        raise CommandError(f"--count must be between 1 and {MAX_COUNT}")
    settings, paths = load_settings_for(args)
    body = read_body(args.body if args.body is not None else (args.json or None))
    with contextlib.closing(open_store(paths)) as store:
        body = apply_flags(body, args, store)
    request = validate_request(body)
    return asyncio.run(_send(args, settings, paths, request, json_mode))


def validate_request(body: dict[str, object]) -> GenerationRequest:
    """The request, or CommandError (exit 2) listing every problem at its JSON path."""
    from pydantic import ValidationError

    from lumatui.api.capabilities import server_problems
    from lumatui.api.client_rules import client_problems
    from lumatui.api.field_errors import FieldError, field_errors, json_path
    from lumatui.api.schema import GenerationRequest

    try:
        request = GenerationRequest.model_validate(body)
    except ValidationError as exc:
        raise CommandError(
            "the request is not valid; nothing was sent", EXIT_USAGE, field_errors(exc)
        ) from None
    if mistakes := client_problems(request):
        raise CommandError("the request is not valid; nothing was sent", EXIT_USAGE, mistakes)
    problems = [FieldError(json_path(p.loc), p.message) for p in server_problems(request)]
    if problems:
        raise CommandError(
            "the model would refuse this request; nothing was sent", EXIT_USAGE, problems
        )
    return request


class _Progress:
    """Follows the submitted jobs' events: tells the user, and notices when sending is stuck."""

    def __init__(self, ids: set[str], total: int) -> None:
        self.ids = ids
        self.total = total
        self.sent = 0
        self.trouble: str | None = None
        self._offline: str | None = None
        self._paused: str | None = None
        self._told: dict[str, JobState] = {}

    def __call__(self, event: Event) -> None:
        from lumatui.api.text import clean_text

        if isinstance(event, Connectivity):
            self._offline = None if event.online else (event.detail or "the API is unreachable")
        elif isinstance(event, QueueStatus):
            self._paused = event.paused_reason
        elif isinstance(event, SubmissionRejected) and event.job.id in self.ids:
            for error in event.field_errors:
                warn(f"  {error}")
        elif isinstance(event, JobChanged) and event.job.id in self.ids:
            job = event.job
            if self._told.get(job.id) is job.state:
                return
            previous = self._told.get(job.id)
            self._told[job.id] = job.state
            if job.state is JobState.WAITING:
                if self._paused or self._offline:
                    self.trouble = clean_text(self._paused or self._offline or "")
                elif previous is not None:  # not the initial place in the local queue
                    warn(f"lumatui: {job.short_id} waiting: {clean_text(job.note or '')}")
            elif job.state in (JobState.QUEUED, JobState.PROCESSING) and previous in (
                None,
                *UNSENT,
            ):
                self.sent += 1
                warn(
                    f"lumatui: submitted {self.sent}/{self.total}: {job.generation_id} {job.state}"
                )
            elif job.state is not JobState.SUBMITTING:
                warn(f"lumatui: {job.short_id} {job.state}")


async def _send(
    args: argparse.Namespace,
    settings: Settings,
    paths: AppPaths,
    request: GenerationRequest,
    json_mode: bool,
) -> int:
    deadline = None if args.timeout is None else time.monotonic() + args.timeout
    ids: list[str] = []
    stopped_because = "interrupted"
    try:
        async with engine_session(args, settings, paths) as session:
            engine = session.engine
            progress = _Progress(set(), args.count)
            engine.subscribe(progress)
            for _ in range(args.count):
                job = engine.submit(request)
                ids.append(job.id)
                progress.ids.add(job.id)
            code = await _follow(engine, ids, progress, deadline, wait=args.wait)
            if code == EXIT_API:
                stopped_because = progress.trouble or "the API failed"
                warn(f"lumatui submit: {stopped_because}")
            elif code == EXIT_TIMEOUT:
                stopped_because = "timed out"
                warn(f"lumatui submit: timed out after {args.timeout:g} s")
            else:
                stopped_because = ""
            jobs = [engine.store.get(i) for i in ids]
            _print_result(engine, jobs, json_mode=json_mode, wait=args.wait)
            return code or jobs_exit_code(engine.store, jobs)
    finally:
        if ids and stopped_because:
            _mark_unsent(paths, ids, stopped_because)


async def _follow(
    engine: Engine, ids: list[str], progress: _Progress, deadline: float | None, *, wait: bool
) -> int:
    """Wait until every job is accepted (and, with `wait`, finished); 0, 4 or 5."""
    changed = asyncio.Event()
    unsubscribe = engine.subscribe(lambda _event: changed.set())
    try:
        while True:
            if progress.trouble:
                return EXIT_API
            if all(engine.store.get(i).state not in UNSENT for i in ids):
                break
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return EXIT_TIMEOUT
            changed.clear()
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(remaining or 1.0, 1.0)):
                    await changed.wait()
    finally:
        unsubscribe()
    if not wait:
        return 0
    remaining = None if deadline is None else max(deadline - time.monotonic(), 0.0)
    try:
        await engine.wait_for(ids, timeout=remaining)
    except TimeoutError:
        return EXIT_TIMEOUT
    return 0


def _print_result(engine: Engine, jobs: list[Job], *, json_mode: bool, wait: bool) -> None:
    store = engine.store
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


def _mark_unsent(paths: AppPaths, ids: list[str], why: str) -> None:
    """Jobs still in the local queue when submit stops are marked not sent, never sent later."""
    with contextlib.closing(open_store(paths)) as store:
        for job_id in ids:
            if store.get(job_id).state is JobState.WAITING:
                store.mark_local(
                    job_id,
                    JobState.REJECTED,
                    f"not sent: lumatui submit stopped ({why}) before the API accepted it; "
                    "nothing was created",
                )
