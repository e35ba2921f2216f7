"""The bridge: engine events become messages, job changes coalesced, order kept."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from lumatui.engine.events import Connectivity, JobChanged, PollingStatus, QueueStatus
from lumatui.engine.jobs import Job, JobState
from lumatui.tui.bridge import EngineBridge

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


def job(n: int, state: JobState = JobState.QUEUED) -> Job:
    return Job(
        id=f"job-{n}",
        seq=n,
        generation_id=None,
        type="image",
        model="uni-1",
        prompt="p",
        request_json="{}",
        state=state,
        created_at=0.0,
        updated_at=0.0,
    )


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
    assert isinstance(changed, EngineBridge.JobsChanged)
    assert len(changed.jobs) == 10
    assert {j.id: j.state for j in changed.jobs}["job-3"] is JobState.COMPLETED

    # Any other event flushes pending changes first, so order is kept.
    bus.publish(JobChanged(job(42)))
    bus.publish(PollingStatus(paused=True, followed=3))
    bus.publish(QueueStatus(waiting=2, paused_reason="budget exhausted"))
    bus.publish(Connectivity(online=False, detail="refused"))
    kinds = [type(m).__name__ for m in target.posted[1:]]
    assert kinds == ["JobsChanged", "PollingChanged", "QueueChanged", "ConnectivityChanged"]
    await asyncio.sleep(0)
    assert len(target.posted) == 5  # the scheduled flush found nothing left

    bridge.detach()
    bus.publish(JobChanged(job(7)))
    await asyncio.sleep(0)
    assert len(target.posted) == 5
