"""`lumatui replay ID`: replay a chain on a changed step, from a shell.

The job ID's request, changed by the request flags (or replaced by a body), is sent again,
then each job made from it (and from those) with the same request except its references
into the chain, which point at the new outputs. The plan is shown before anything is sent;
it is saved when confirmed, so it survives this command: what is not sent when it stops is
carried on by the primary workstation or `lumatui replay --resume`.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from typing import TYPE_CHECKING, Any

from lumatui.commands.common import (
    EXIT_API,
    EXIT_JOB_FAILED,
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
from lumatui.commands.job_records import job_record, jobs_exit_code
from lumatui.commands.outputs import output_paths
from lumatui.commands.replay_view import old_id as _old_id
from lumatui.commands.replay_view import plan_json, plan_text
from lumatui.commands.request_flags import add_request_flags, apply_flags, read_body
from lumatui.engine.events import JobChanged, ReplayChanged, SendRefused
from lumatui.engine.jobs import UNSENT_STATES
from lumatui.engine.replay_plan import PlanState
from lumatui.engine.replays import next_event

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable

    from lumatui.api.pricing import Price
    from lumatui.config import AppPaths, Settings
    from lumatui.engine.events import Event
    from lumatui.engine.jobs import Job
    from lumatui.engine.replay_plan import ReplayPlan
    from lumatui.engine.service import Engine
    from lumatui.engine.store import JobStore


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `replay` subcommand."""
    parser = add_parser(
        subparsers,
        "replay",
        help="replay a chain of edits on a changed step (a new prompt, model, ratio...)",
        description=(
            "Send the job ID again with the changes the flags name (or the body of --body), "
            "then every job made from it, each with the same request except its references "
            "into the chain, which point at the new outputs; each step is sent once the "
            "steps it builds on completed. The plan (every request, the total price) is "
            "shown first and sent only when confirmed (--yes without a terminal). It is "
            "saved: if this command stops, the primary workstation or `lumatui replay "
            "--resume` carries it on. --dry-run prints the plan and sends nothing."
        ),
        network=True,
        json_option=False,
    )
    parser.add_argument(
        "id", metavar="ID", nargs="?", help="the job to change: server id, prefix or local id"
    )
    parser.add_argument(
        "--json",
        nargs="?",
        const="",
        default=None,
        metavar="FILE|-",
        help="print JSON on stdout; with FILE (or - for stdin), also read the changed "
        "request's whole body from it",
    )
    parser.add_argument(
        "--body", metavar="FILE|-", default=None, help="the changed request's whole body"
    )
    parser.add_argument("--dry-run", action="store_true", help="print the plan; send nothing")
    parser.add_argument("--yes", action="store_true", help="send the plan without asking")
    parser.add_argument("--wait", action="store_true", help="wait until every step is done")
    parser.add_argument(
        "--timeout", type=seconds, default=None, metavar="S", help="stop waiting after S seconds"
    )
    parser.add_argument(
        "--resume",
        nargs="?",
        const="",
        default=None,
        metavar="PLAN",
        help="carry on saved plans nobody runs (all, or PLAN); no ID",
    )
    parser.add_argument("--cancel", metavar="PLAN", default=None, help="cancel a saved plan; no ID")
    parser.add_argument(
        "--list", action="store_true", help="list the saved plans (no network); no ID"
    )
    add_request_flags(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Plan, show, confirm, send (and with --wait, wait); returns the exit code."""
    json_mode = args.json is not None
    return run_command("replay", lambda: _replay(args, json_mode), json_mode=json_mode)


def _replay(args: argparse.Namespace, json_mode: bool) -> int:
    settings, paths = load_settings_for(args)
    if args.list:
        return _list_plans(paths, json_mode)
    if args.resume is not None or args.cancel is not None:
        if args.id is not None:
            raise CommandError("--resume and --cancel take a plan id, not a job ID")
        return asyncio.run(_saved_plans(args, settings, paths, json_mode))
    if args.id is None:
        raise CommandError("give the ID of the job to change (`lumatui list` shows the ids)")
    if args.body is not None and args.json:
        raise CommandError("give the body with --json FILE or with --body FILE, not both")
    plan, prices, old = _plan(args, settings, paths)
    if args.dry_run:
        if json_mode:
            print_json(plan_json(plan, prices, old))
        else:
            print(plan_text(plan, prices, old), flush=True)
        return 0
    if not json_mode:
        warn(plan_text(plan, prices, old))
    _confirm(len(plan.steps), plan_json(plan, prices, old)["total_usd"], yes=args.yes)
    return asyncio.run(_send(args, settings, paths, plan, json_mode))


def _plan(
    args: argparse.Namespace, settings: Settings, paths: AppPaths
) -> tuple[ReplayPlan, list[Price], dict[str, Job]]:
    """The plan for the changed request, its prices, and the old jobs it re-makes."""
    from lumatui.commands.submit_plan import validate_request
    from lumatui.engine.actions import ActionNotPossible, stored_body
    from lumatui.engine.replay import plan_prices, plan_replay

    with contextlib.closing(open_store(paths)) as store:
        job = resolve_job(store, args.id)
        given = args.body if args.body is not None else (args.json or None)
        try:
            body = read_body(given) if given is not None else stored_body(job)
            body = apply_flags(body, args, store, inline_cap=settings.inline_cap_bytes)
            request = validate_request(body)
            plan = plan_replay(store, job, request)
        except ActionNotPossible as exc:
            raise CommandError(f"cannot replay {job.short_id}: {exc}") from None
        old = {j.id: j for j in store.get_many([s.replaces_job_id for s in plan.steps])}
    # A step whose price is unknown makes the total unknown: the plan's one confirmation
    # says so (the same rule as submit: sent only when a person agrees, or --yes).
    return plan, plan_prices(plan, settings.prices), old


def _confirm(steps: int, total: float | None, *, yes: bool) -> None:
    """A plan is sent only when a person agrees (or --yes says so)."""
    if yes:
        return
    money = "an unknown price" if total is None else f"${total:.4f}"
    if not sys.stdin.isatty():
        raise CommandError(
            f"the replay is {steps} paid job(s) for {money}; nothing was sent. Pass --yes to send"
        )
    sys.stderr.write(f"lumatui: send these {steps} job(s) for {money}? [y/N] ")
    sys.stderr.flush()
    if sys.stdin.readline().strip().lower() not in ("y", "yes"):
        raise CommandError("not sent")


class _Progress:
    """Tells the user what each step does; notices a refused key or balance."""

    def __init__(self) -> None:
        self.plan_id = ""
        self.trouble: str | None = None
        self._told: dict[str, str] = {}

    def __call__(self, event: Event) -> None:
        from lumatui.api.text import clean_text

        if isinstance(event, SendRefused):
            self.trouble = clean_text(event.message)
        elif isinstance(event, ReplayChanged) and event.plan.id == self.plan_id:
            for step in event.plan.steps:
                if step.job_id is not None:
                    self._told.setdefault(step.job_id, f"step {step.n + 1}")
            if event.plan.state is not PlanState.RUNNING:
                note = f": {event.plan.note}" if event.plan.note else ""
                warn(f"lumatui: replay {event.plan.short_id} {event.plan.state}{note}")
        elif isinstance(event, JobChanged) and event.job.id in self._told:
            told = self._told[event.job.id]
            name = told.split(":")[0]
            if told != f"{name}: {event.job.state}":
                self._told[event.job.id] = f"{name}: {event.job.state}"
                warn(f"lumatui: replay {name}: {event.job.short_id} {event.job.state}")


async def _send(
    args: argparse.Namespace,
    settings: Settings,
    paths: AppPaths,
    plan: ReplayPlan,
    json_mode: bool,
) -> int:
    from lumatui.engine.replay import plan_prices, total_usd

    async with engine_session(args, settings, paths, kind="replay") as session:
        progress = _Progress()
        progress.plan_id = plan.id
        session.engine.subscribe(progress)
        total = total_usd(plan_prices(plan, settings.prices))
        started = await session.engine.replays.start(plan, total_usd=total)
        warn(f"lumatui: replay {started.short_id} started")
        if not args.wait:  # the first step(s) only: the rest is for the primary or --resume
            session.engine.replays.detach(plan.id)
        code = await _follow(session.engine, plan.id, progress, args)
    return _finish(paths, plan.id, code, json_mode, wait=args.wait)


async def _saved_plans(
    args: argparse.Namespace, settings: Settings, paths: AppPaths, json_mode: bool
) -> int:
    async with engine_session(args, settings, paths, kind="replay") as session:
        engine = session.engine
        if args.cancel is not None:
            plan = await _find_plan(engine, args.cancel)
            plan = await engine.replays.cancel(plan.id, timeout=args.timeout)
            warn(f"lumatui: replay {plan.short_id} {plan.state}")
            code, plan_id = 0, plan.id
        else:
            wanted = [(await _find_plan(engine, args.resume)).id] if args.resume else None
            resumed = await engine.replays.resume(wanted)
            if not resumed:
                warn("lumatui replay: no saved plan is waiting to be carried on")
                return 0
            progress = _Progress()
            session.engine.subscribe(progress)
            code = 0
            for plan in resumed:
                warn(f"lumatui: resuming replay {plan.short_id}")
                if not args.wait:
                    engine.replays.detach(plan.id)
                progress.plan_id = plan.id
                code = max(code, await _follow(engine, plan.id, progress, args))
            plan_id = resumed[-1].id
    return _finish(paths, plan_id, code, json_mode, wait=args.wait)


async def _find_plan(engine: Engine, text: str) -> ReplayPlan:
    try:
        return await engine.db.read(lambda s: s.plan(text.strip().lower()))
    except KeyError:
        raise CommandError(f"no saved replay plan has the id {text.strip()[:40]!r}") from None


async def _follow(engine: Engine, plan_id: str, progress: _Progress, args: Any) -> int:
    """Wait until the first steps are sent (with --wait, until the plan ends); 0, 4 or 5."""
    deadline = None if args.timeout is None else time.monotonic() + args.timeout
    while True:
        if progress.trouble:
            warn(f"lumatui replay: {progress.trouble}")
            return EXIT_API
        plan = await engine.db.read(lambda s: s.plan(plan_id))
        jobs = await engine.db.read(_step_jobs(plan))
        sent = all(j.state not in UNSENT_STATES for j in jobs)
        if plan.state is not PlanState.RUNNING or (sent and not args.wait):
            break
        if deadline is not None and time.monotonic() > deadline:
            warn(f"lumatui replay: timed out after {args.timeout:g} s")
            return EXIT_TIMEOUT
        if args.wait:
            with contextlib.suppress(TimeoutError):
                await engine.replays.wait(plan_id, timeout=0.5)
        else:
            await next_event(engine, 0.5)
    if args.wait:
        with contextlib.suppress(TimeoutError):  # the outputs, as `submit --wait` prints them
            remaining = None if deadline is None else max(deadline - time.monotonic(), 0.1)
            await engine.wait_for(plan.job_ids, timeout=remaining)
    return 0


def _step_jobs(plan: ReplayPlan) -> Callable[[JobStore], list[Job]]:
    ids = plan.job_ids
    return lambda s: s.get_many(ids)


def _finish(paths: AppPaths, plan_id: str, code: int, json_mode: bool, *, wait: bool) -> int:
    with contextlib.closing(open_store(paths)) as store:
        plan = store.plan(plan_id)
        jobs = store.get_many(plan.job_ids)
        if json_mode:
            print_json(_plan_record(store, plan))
        elif wait:
            for job in jobs:
                for path in output_paths(store, job):
                    print(path, flush=True)
        else:
            print(plan.id, flush=True)
        if plan.state is PlanState.RUNNING:
            warn(
                f"lumatui: replay {plan.short_id} goes on without this command: the primary "
                "workstation or `lumatui replay --resume` sends its next steps"
            )
        if code:
            return code
        if plan.state in (PlanState.STOPPED, PlanState.CANCELLED):
            return EXIT_JOB_FAILED
        return jobs_exit_code(store, jobs)


def _list_plans(paths: AppPaths, json_mode: bool) -> int:
    """Every saved plan, oldest first: id, state, steps recorded of all, origin, note."""
    from lumatui.api.text import clean_text

    with contextlib.closing(open_store(paths)) as store:
        plans = store.plans()
        if json_mode:
            print_json([_plan_record(store, plan) for plan in plans])
            return 0
        for plan in plans:
            old = {j.id: j for j in store.get_many([plan.origin_job_id])}
            note = f"  {clean_text(plan.note, 120)}" if plan.note else ""
            print(
                f"{plan.short_id}  {plan.state!s:<9}  {len(plan.job_ids)}/{len(plan.steps)} "
                f"step(s) sent  replay of {_old_id(old, plan.origin_job_id)[:8]}{note}"
            )
    return 0


def _plan_record(store: JobStore, plan: ReplayPlan) -> dict[str, Any]:
    jobs = {j.id: j for j in store.get_many(plan.job_ids)}
    old = {j.id: j for j in store.get_many([s.replaces_job_id for s in plan.steps])}
    return {
        "plan": plan.id,
        "state": str(plan.state),
        "note": plan.note,
        "total_usd": plan.total_usd,
        "steps": [
            {
                "step": step.n + 1,
                "replaces": _old_id(old, step.replaces_job_id),
                "job": job_record(store, jobs[step.job_id]) if step.job_id in jobs else None,
            }
            for step in plan.steps
        ],
    }
