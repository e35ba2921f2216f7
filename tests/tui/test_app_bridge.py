"""The bridge: engine events become messages, job changes coalesced, order kept."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import TYPE_CHECKING, Any, get_args

from lumatui.engine.events import Connectivity, JobChanged, PollingStatus, QueueStatus
from lumatui.engine.jobs import JobState
from lumatui.tui.bridge import EngineBridge, EngineView, JobChanges, dispatch
from tests.job_values import job_value as job

if TYPE_CHECKING:
    from textual.message import Message


class Target:
    """Records what the bridge posts."""

    def __init__(self) -> None:
        self.posted: list[Message] = []

    def post_message(self, message: Message) -> bool:
        self.posted.append(message)
        return True


class Bus:
    """Enough of an engine to subscribe to."""

    def __init__(self) -> None:
        self.subscribers: list[Any] = []

    def subscribe(self, subscriber: Any) -> Any:
        self.subscribers.append(subscriber)
        return lambda: self.subscribers.remove(subscriber)

    def publish(self, event: Any) -> None:
        for subscriber in list(self.subscribers):
            subscriber(event)


async def test_changes_coalesce_into_one_message_and_keep_their_order() -> None:
    target = Target()
    bus = Bus()
    bridge = EngineBridge(target)  # type: ignore[arg-type]
    bridge.attach(bus)  # type: ignore[arg-type]
    for n in range(1000):
        bus.publish(JobChanged(job(n % 10, JobState.PROCESSING)))
    bus.publish(JobChanged(replace(job(3), state=JobState.COMPLETED)))
    assert target.posted == []  # nothing until the loop turns
    await asyncio.sleep(0)
    (changed,) = target.posted
    assert isinstance(changed, EngineBridge.EngineEvent)
    assert isinstance(changed.event, JobChanges)
    assert len(changed.event.jobs) == 10
    assert {j.id: j.state for j in changed.event.jobs}["job-3"] is JobState.COMPLETED

    # Any other event flushes pending changes first, so order is kept.
    bus.publish(JobChanged(job(42)))
    polling = PollingStatus(paused=True, followed=3)
    bus.publish(polling)
    bus.publish(QueueStatus(waiting=2, paused_reason="budget exhausted"))
    bus.publish(Connectivity(online=False, detail="refused"))
    assert all(isinstance(m, EngineBridge.EngineEvent) for m in target.posted)
    events = [m.event for m in target.posted[1:]]  # type: ignore[attr-defined]
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["JobChanges", "PollingStatus", "QueueStatus", "Connectivity"]
    assert events[1] is polling  # the engine's own event, not a copy
    await asyncio.sleep(0)
    assert len(target.posted) == 5  # the scheduled flush found nothing left

    bridge.detach()
    bus.publish(JobChanged(job(7)))
    await asyncio.sleep(0)
    assert len(target.posted) == 5


async def test_changes_reach_the_screen_at_most_once_per_interval_newest_wins() -> None:
    target = Target()
    bus = Bus()
    bridge = EngineBridge(target, every=3600.0)  # type: ignore[arg-type]
    bridge.attach(bus)  # type: ignore[arg-type]
    bus.publish(JobChanged(job(1)))
    bus.publish(PollingStatus(paused=False, followed=1))
    await asyncio.sleep(0)  # after a quiet spell: at the next turn of the loop
    assert [type(m.event).__name__ for m in target.posted] == [  # type: ignore[attr-defined]
        "JobChanges",
        "PollingStatus",
    ]
    # Within the interval, polls keep coming: they wait, the newest version of each job wins.
    for n in range(300):
        bus.publish(JobChanged(job(n % 3, JobState.PROCESSING)))
        bus.publish(PollingStatus(paused=False, followed=n))
    done = replace(job(2), state=JobState.COMPLETED)
    bus.publish(JobChanged(done))
    for _ in range(20):
        await asyncio.sleep(0)
    assert len(target.posted) == 2
    # Another kind of event never waits: what is pending goes first, in order.
    bus.publish(QueueStatus(waiting=0, paused_reason=None))
    events = [m.event for m in target.posted[2:]]  # type: ignore[attr-defined]
    assert [type(e).__name__ for e in events] == ["JobChanges", "PollingStatus", "QueueStatus"]
    assert {j.id: j.state for j in events[0].jobs} == {
        "job-0": JobState.PROCESSING,
        "job-1": JobState.PROCESSING,
        "job-2": JobState.COMPLETED,
    }
    assert events[1].followed == 299
    bus.publish(JobChanged(job(5)))
    bridge.detach()  # the waiting flush is cancelled with it
    for _ in range(5):
        await asyncio.sleep(0)
    assert len(target.posted) == 5


class View:
    """Records which method `dispatch` called, with what."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def __getattr__(self, name: str) -> Any:
        return lambda arg: self.calls.append((name, arg))


def test_dispatch_calls_the_method_named_after_each_event() -> None:
    from lumatui.engine import events as ev

    one = job(1)
    cases: list[tuple[Any, str, Any]] = [
        (JobChanges([one]), "jobs_changed", [one]),
        (ev.JobChanged(one), "jobs_changed", [one]),
        (ev.JobRemoved("job-1"), "jobs_removed", ["job-1"]),
        (ev.RoleChanged("primary", None), "role_changed", None),
        (ev.SendRefused(one, "auth", "bad key"), "send_refused", None),
        (ev.DownloadProgress("job-1", 0, 5, 10), "download_progress", None),
        (ev.JobError("job-1", "oops"), "job_error", None),
        (ev.SubmissionRejected(one, []), "submission_rejected", None),
        (QueueStatus(1, None), "queue_status", None),
        (Connectivity(online=True), "connectivity", None),
        (PollingStatus(paused=False, followed=0), "polling_status", None),
    ]
    for event, name, argument in cases:
        view = View()
        dispatch(view, event)
        assert view.calls == [(name, event if argument is None else argument)], event
    # Every engine event has a case (OutputReady and ReplayChanged need an output or a plan:
    # their methods are named here).
    covered = {type(event) for event, _, _ in cases} - {JobChanges}
    assert covered | {ev.OutputReady, ev.ReplayChanged} == set(get_args(ev.Event))
    methods = {name for name in vars(EngineView) if not name.startswith("_")}
    assert {name for _, name, _ in cases} | {"output_ready", "replay_changed"} == methods
