"""Workstation fixtures: the app on a sped-up simulator, and helpers to wait without sleeping."""

from __future__ import annotations

import contextlib
import uuid
from typing import TYPE_CHECKING, Any

import pytest
from textual.worker import WorkerCancelled, WorkerError, WorkerState

from lumatui.api.client import AgentsClient
from lumatui.api.schema import Generation, GenerationRequest
from lumatui.backend import Backend
from lumatui.config import app_paths, load_settings
from lumatui.engine.jobs import JobState
from lumatui.sim import SimSettings, start_in_background

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from textual.pilot import Pilot

    from lumatui.config import AppPaths, Settings
    from lumatui.engine.jobs import Job
    from lumatui.engine.store import JobStore
    from lumatui.sim import RunningSimulator
    from lumatui.tui.app import LumaApp

KEY = "luma-api-tui-test-key"
SPEED = 10_000.0
FIXED_NOW = 1_767_225_600.0  # 2026-01-01 00:00:00 UTC: the clock of deterministic tests


@pytest.fixture(autouse=True)
def toasts_stay(monkeypatch: pytest.MonkeyPatch) -> None:
    """Toasts last an hour in tests: tests read them from `app._notifications`, which Textual
    empties after 5-12 s of wall-clock time, and a loaded machine can take longer than that
    to get from the toast to the assertion (test_drafts failed so at load 20)."""
    from textual.app import App

    from lumatui.tui.screens import notices

    monkeypatch.setattr(App, "NOTIFICATION_TIMEOUT", 3600.0)
    for severity in list(notices.TIMEOUTS):
        monkeypatch.setitem(notices.TIMEOUTS, severity, 3600.0)


@pytest.fixture
def paths() -> AppPaths:
    """The LUMATUI_HOME layout of this test (the root conftest points it at tmp)."""
    found = app_paths()
    found.ensure_dirs()
    return found


@pytest.fixture
def settings(paths: AppPaths) -> Settings:
    """Settings with a fast poll rate (the simulator runs 10,000 times faster)."""
    return load_settings(paths, overrides={"poll_rate_limit": 500.0})


@pytest.fixture
def simulator(tmp_path: Path) -> Iterator[RunningSimulator]:
    """A test simulator (speed 10000, tiny media) on loopback."""
    running = start_in_background(SimSettings.for_tests(tmp_path / "simulator", speed=SPEED))
    yield running
    with contextlib.suppress(Exception):
        running.stop()


@pytest.fixture
def backend(simulator: RunningSimulator) -> Backend:
    """The backend the app talks to: the simulator, sped up."""
    client = AgentsClient(KEY, simulator.base_url)
    return Backend(client, "SIMULATOR", simulator, 1.0 / SPEED)


def reopen_backend(state_dir: Path) -> Backend:
    """A new simulator on the state the test simulator kept (an app's quit stops its
    simulator), and a backend on it: the next app of a restart test talks to this one."""
    running = start_in_background(SimSettings.for_tests(state_dir, speed=SPEED))
    return Backend(AgentsClient(KEY, running.base_url), "SIMULATOR", running, 1.0 / SPEED)


@pytest.fixture
def make_app(settings: Settings, paths: AppPaths, backend: Backend) -> Callable[..., LumaApp]:
    """Build the app on the test backend (the half-cell renderer forced)."""
    from lumatui.tui.app import LumaApp

    def build(**options: Any) -> LumaApp:
        options.setdefault("image_renderer", "halfcell")
        return LumaApp(settings, paths, backend, **options)

    return build


async def wait_until(
    pilot: Pilot[Any], condition: Callable[[], bool], *, rounds: int = 2000
) -> None:
    """Let the app run until `condition` holds (a bounded number of turns, no sleeping)."""
    for _ in range(rounds):
        if condition():
            return
        await pilot.pause()
    assert condition(), "the condition never held"


async def the_only_job(pilot: Pilot[Any], app: LumaApp) -> Job:
    """The one job recorded, once the engine runs and the store holds it."""
    from lumatui.engine.queries import JobQuery

    await wait_until(pilot, lambda: app.engine_started)
    assert app.engine is not None
    store = app.engine.store
    await wait_until(pilot, lambda: store.count(JobQuery()) == 1)
    (job,) = store.page(JobQuery(), offset=0, limit=5)
    return job


UNFINISHED = (WorkerState.PENDING, WorkerState.RUNNING)


async def settle(pilot: Pilot[Any], *, rounds: int = 200) -> None:
    """Let every worker finish (store reads run in workers), and the messages they posted.

    `pilot.pause()` alone is not enough on a loaded machine: it returns once the process
    used little CPU for a moment, which is also what waiting for a core looks like. So this
    goes on until no worker is left and no widget has a message or callback waiting.
    """
    for _ in range(rounds):
        # A newer read replaced one (cancelled); one not started yet cannot be waited for.
        with contextlib.suppress(WorkerCancelled, WorkerError):
            await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        # A worker not started yet is pending, not running: wait for those too.
        if any(worker.state in UNFINISHED for worker in pilot.app.workers):
            continue
        if not messages_waiting(pilot.app):
            return
    raise AssertionError("the workers never settled")


def messages_waiting(app: Any) -> bool:
    """Whether the app, a screen or a widget has a message or a call queued: one for its
    next turn, or one for after the screen's next refresh (`call_after_refresh`: a loaded
    machine can reach a quiet moment before that refresh, and with the call still waiting)."""
    pumps = [app, *app.screen_stack, *app._registry]
    if any(screen._callbacks for screen in app.screen_stack):
        return True
    return any(not pump._message_queue.empty() or pump._next_callbacks for pump in pumps)


def generation_id(n: int) -> str:
    """A fixed server id for seeded job number `n`."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"lumatui-test-job-{n}"))


def seed_job(
    store: JobStore,
    n: int,
    prompt: str,
    *,
    state: JobState = JobState.COMPLETED,
    type_: str = "image",
    model: str = "uni-1",
    took: float = 30.0,
    failure_code: str | None = None,
    failure_reason: str | None = None,
    created: float | None = None,
    **body: Any,
) -> Job:
    """Store a job as if it had run: recorded at a fixed time, sent, then in `state`."""
    request = GenerationRequest.model_validate(
        {"prompt": prompt, "type": type_, "model": model, **body}
    )
    created = FIXED_NOW - 3600 + n * 60 if created is None else created
    job = store.record_submission(request, now=created)
    if state is JobState.WAITING:
        return store.mark_local(job.id, state, "in the local queue behind 2 job(s)", now=created)
    if state in (JobState.UNCERTAIN, JobState.REJECTED, JobState.SUBMITTING):
        if state is JobState.SUBMITTING:
            return job
        return store.mark_local(job.id, state, "no answer came back", now=created + 1)

    def generation(api_state: str) -> Generation:
        return Generation.model_validate(
            {
                "id": generation_id(n),
                "created_at": "2026-01-01T00:00:00Z",
                "model": model,
                "type": type_,
                "state": api_state,
                "failure_code": failure_code if api_state == "failed" else None,
                "failure_reason": failure_reason if api_state == "failed" else None,
            }
        )

    store.mark_submitted(job.id, generation("queued"), now=created + 1)
    if state is not JobState.QUEUED:
        store.record_state(job.id, generation(state.value), now=created + 1 + took)
    return store.get(job.id)


def seed_batch(
    store: JobStore,
    n: int,
    label: str,
    prompts_and_states: list[tuple[str, JobState]],
    *,
    model: str = "uni-1",
    type_: str = "image",
    **body: Any,
) -> list[Job]:
    """Store a batch (one batch id, `label` as written) whose jobs end in the given states;
    `n` numbers its first job's server id (then n+1, ...); `body` goes into every request."""
    requests = [
        GenerationRequest.model_validate({"prompt": prompt, "type": type_, "model": model, **body})
        for prompt, _ in prompts_and_states
    ]
    created = FIXED_NOW - 3600 + n * 60
    jobs = store.record_batch(requests, label=label, state=JobState.SUBMITTING, now=created)
    done: list[Job] = []
    for index, (job, (_, state)) in enumerate(zip(jobs, prompts_and_states, strict=True)):
        if state is JobState.WAITING:
            done.append(store.mark_local(job.id, state, "held", now=created))
            continue

        def generation(api_state: str, gen: str = generation_id(n + index)) -> Generation:
            return Generation.model_validate(
                {
                    "id": gen,
                    "created_at": "2026-01-01T00:00:00Z",
                    "model": model,
                    "type": type_,
                    "state": api_state,
                }
            )

        store.mark_submitted(job.id, generation("queued"), now=created + 1)
        if state is not JobState.QUEUED:
            store.record_state(job.id, generation(state.value), now=created + 20)
        done.append(store.get(job.id))
    return done
