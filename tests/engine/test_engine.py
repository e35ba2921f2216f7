"""The engine end to end on the simulator: submit, queue, poll, download, thumbnail, lineage."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from lumatui.api.schema import GenerationRequest
from lumatui.engine.events import Event, JobChanged, JobError, OutputReady, QueueStatus
from lumatui.engine.jobs import JobState
from lumatui.engine.lineage import Lineage
from lumatui.engine.media import verify_file
from tests.clocks import SteppedClock, max_in_window

if TYPE_CHECKING:
    from collections.abc import Callable

    from lumatui.engine.service import Engine
    from lumatui.sim import RunningSimulator

WAIT_S = 60.0


def request(**body: Any) -> GenerationRequest:
    """A request with a default prompt."""
    return GenerationRequest.model_validate({"prompt": "a red fox in snow", **body})


async def test_image_and_video_reach_disk_with_thumbnails(
    sim: RunningSimulator, engine_factory: Callable[..., Engine], tmp_path: Path
) -> None:
    engine = engine_factory(sim)
    events: list[Event] = []
    outputs_ready = asyncio.Event()
    wanted: set[str] = set()

    def on_event(event: Event) -> None:
        events.append(event)
        ready = {e.job.id for e in events if isinstance(e, OutputReady)}
        if wanted and wanted <= ready:
            outputs_ready.set()

    engine.subscribe(on_event)
    await engine.start()
    image = await engine.submit(request())
    video = await engine.submit(request(type="video", video={"duration": "5s"}))
    wanted.update((image.id, video.id))
    done = await engine.wait_for([image.id, video.id], timeout=WAIT_S)
    # Thumbnails are made after the file is recorded, before OutputReady: wait for both.
    async with asyncio.timeout(WAIT_S):
        await outputs_ready.wait()
    assert [j.state for j in done] == [JobState.COMPLETED, JobState.COMPLETED]
    for job, kind in ((done[0], "image"), (done[1], "video")):
        (output,) = engine.store.outputs(job.id)
        assert output.is_downloaded and output.local_path is not None
        path = Path(output.local_path)
        assert path.parent == tmp_path / "data" / "outputs" / str(job.generation_id)
        assert path.name.startswith("0.")
        verified = verify_file(path)
        assert verified.kind == kind
        assert output.size_bytes == path.stat().st_size
        # What the downloader verified is kept with the output: nobody decodes it again.
        assert (output.mime, output.width, output.height) == (
            verified.mime,
            verified.width,
            verified.height,
        )
        assert output.duration_s == verified.duration_s
        assert output.frame_count == verified.frame_count
        assert (output.frame_count is not None) == (kind == "video")
    assert any(isinstance(e, OutputReady) for e in events)
    thumbs = list((tmp_path / "cache" / "thumbnails").rglob("*.*"))
    assert len(thumbs) >= 4  # one for the image, three frames for the video
    states = [e.job.state for e in events if isinstance(e, JobChanged) and e.job.id == image.id]
    assert states[:2] == [JobState.WAITING, JobState.SUBMITTING]  # recorded before it is sent
    assert states[-1] is JobState.COMPLETED


async def test_twenty_jobs_through_a_concurrency_limit_of_three(
    sim_factory: Callable[..., RunningSimulator], engine_factory: Callable[..., Engine]
) -> None:
    sim = sim_factory(concurrent_jobs=3)
    engine = engine_factory(sim)
    statuses: list[QueueStatus] = []
    engine.subscribe(lambda e: statuses.append(e) if isinstance(e, QueueStatus) else None)
    await engine.start()
    jobs = [await engine.submit(request(prompt=f"job {i}")) for i in range(20)]
    done = await engine.wait_for([j.id for j in jobs], timeout=WAIT_S)
    assert {j.state for j in done} == {JobState.COMPLETED}
    ids = [j.generation_id for j in done]
    assert len(set(ids)) == 20
    assert max(s.waiting for s in statuses) >= 10
    waited = [
        state
        for job in jobs
        for state, _, _ in engine.store.state_history(job.id)
        if state is JobState.WAITING
    ]
    assert waited, "some jobs must have been held in the local queue"
    assert sim.simulator.store.count() == 20


async def test_chain_edit_animate_extend(
    sim: RunningSimulator, engine_factory: Callable[..., Engine]
) -> None:
    engine = engine_factory(sim)
    await engine.start()

    async def make(**body: Any) -> str:
        job = await engine.submit(request(**body))
        (done,) = await engine.wait_for([job.id], timeout=WAIT_S)
        assert done.state is JobState.COMPLETED, done.failure_reason
        assert done.generation_id is not None
        return done.generation_id

    image = await make()
    edited = await make(type="image_edit", source={"generation_id": image})
    # Animate: an image pinned at frame 0 (generation ids at start_frame extend videos).
    animate = {"keyframes": [{"generation_id": edited}], "keyframe_indexes": [0]}
    animated = await make(type="video", video=animate)
    extended = await make(type="video", video={"start_frame": {"generation_id": animated}})
    lineage = Lineage(engine.store)
    last = engine.store.find(extended)
    assert last is not None
    assert lineage.ancestors(last) == [animated, edited, image]
    (root,) = lineage.family(last)
    assert root.key == image


async def test_rejected_request_says_which_field(
    sim: RunningSimulator, engine_factory: Callable[..., Engine]
) -> None:
    engine = engine_factory(sim)
    await engine.start()
    # Valid for the schema, refused by the server: uni-1 has no 21:9.
    job = await engine.submit(request(aspect_ratio="21:9"))
    (done,) = await engine.wait_for([job.id], timeout=WAIT_S)
    assert done.state is JobState.REJECTED
    assert done.note and "aspect_ratio" in done.note


class ExpiringOnce(httpx.AsyncBaseTransport):
    """The object store: the first download finds its link expired (403), later ones work."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.statuses: list[int] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not self.statuses:
            self.statuses.append(403)
            return httpx.Response(403, content=b"<Error>Request has expired</Error>")
        response = await self.inner.handle_async_request(request)
        self.statuses.append(response.status_code)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_an_expired_url_is_refreshed_with_a_get(
    sim: RunningSimulator, engine_factory: Callable[..., Engine]
) -> None:
    files = ExpiringOnce()
    engine = engine_factory(sim, download_transport=files)
    await engine.start()
    job = await engine.submit(request())
    (done,) = await engine.wait_for([job.id], timeout=WAIT_S)
    (output,) = engine.store.outputs(done.id)
    assert output.is_downloaded, output.error
    assert files.statuses == [403, 200]
    assert output.url_fetched_at > (done.finished_at or 0.0), "a fresh link was fetched"


async def test_a_truncated_download_is_retried(
    sim_factory: Callable[..., RunningSimulator], engine_factory: Callable[..., Engine]
) -> None:
    sim = sim_factory(faults="truncate=0.3", seed=3)
    engine = engine_factory(sim)
    await engine.start()
    jobs = [await engine.submit(request(prompt=f"p{i}")) for i in range(4)]
    done = await engine.wait_for([j.id for j in jobs], timeout=WAIT_S)
    assert all(o.is_downloaded for j in done for o in engine.store.outputs(j.id))
    assert sim.simulator.faults.counts.get("truncate", 0) > 0


async def test_a_corrupt_output_is_kept_missing_and_tried_again(
    sim: RunningSimulator, engine_factory: Callable[..., Engine]
) -> None:
    """A file that does not verify is an error on that output, never taken, never final."""

    def html_page(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"<html><body>Sign in</body></html>")

    engine = engine_factory(sim, download_transport=httpx.MockTransport(html_page))
    errors: list[JobError] = []
    seen = asyncio.Event()

    def on_event(event: Event) -> None:
        if isinstance(event, JobError):
            errors.append(event)
            seen.set()

    engine.subscribe(on_event)
    await engine.start()
    job = await engine.submit(request())
    async with asyncio.timeout(WAIT_S):
        await seen.wait()
    done = engine.store.get(job.id)
    assert done.state is JobState.COMPLETED
    (output,) = engine.store.outputs(done.id)
    assert not output.is_downloaded and output.error and "HTML" in output.error
    assert not output.final and output.next_try_at is not None and output.attempts >= 1
    assert errors[0].job_id == job.id and "trying again" in errors[0].message
    assert done.owner == engine.owner, "the job stays owned until its output is on disk"
    folder = Path(engine.downloader.outputs_dir) / str(done.generation_id)
    assert not any(folder.glob("*")), "no partial or corrupt file is kept"


class CountingTransport(httpx.AsyncBaseTransport):
    """Forwards to real HTTP and records, on `clock`, when each GET of a generation went out."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.clock = clock
        self.gets: list[float] = []
        self.posts = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and "/generations/" in request.url.path:
            self.gets.append(self.clock())
        elif request.method == "POST":
            self.posts += 1
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_the_rate_cap_is_never_exceeded(
    sim_factory: Callable[..., RunningSimulator], engine_factory: Callable[..., Engine]
) -> None:
    # The cap's clock moves only when the limiter waits for a window to pass, so the count
    # per window cannot depend on how busy the machine is: this test cannot flake.
    clock = SteppedClock()
    sim = sim_factory(speed=2_000.0)
    counting = CountingTransport(clock)
    engine = engine_factory(sim, rate_limit=4.0, transport=counting)
    engine.client.get_limiter.clock = clock
    engine.client.get_limiter.sleep = clock.sleep
    await engine.start()
    jobs = [await engine.submit(request(prompt=f"p{i}")) for i in range(10)]
    await engine.wait_for([j.id for j in jobs], timeout=WAIT_S)
    assert len(counting.gets) >= 10  # at least one GET per job: more than the cap's 4
    assert clock.slept, "the cap was reached, so this test could fail"
    assert max_in_window(counting.gets, 1.0) == 4
    assert counting.posts == 10


async def test_a_second_engine_on_the_same_history_leaves_in_flight_posts_alone(
    sim: RunningSimulator, engine_factory: Callable[..., Engine]
) -> None:
    first = engine_factory(sim)
    await first.start()
    assert first.is_primary
    sending = first.store.record_submission(request())  # as if its POST were in flight
    second = engine_factory(sim)
    assert await second.start() == []
    assert not second.is_primary
    assert second.store.get(sending.id).state is JobState.SUBMITTING
    await first.stop()
    third = engine_factory(sim)
    (recovered,) = await third.start()
    assert third.is_primary and recovered.id == sending.id
