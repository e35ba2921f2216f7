"""Rendering outputs off the event loop: a small thread pool calling the media library.

A job's render starts when the job is created. If it is not ready by the job's scheduled
end, the job stays `processing` until it is. Renders left unfinished by a restart are
started again from the stored plan and inputs.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

from lumatui.sim.inputs import InputSpec

if TYPE_CHECKING:
    from pathlib import Path

    from lumatui.sim.media import ImageJob, LayerJob, MediaInfo, RenderedLayer, VideoJob
    from lumatui.sim.store import GenerationRow, SimStore

log = logging.getLogger(__name__)

EXTENSIONS = {"png": "png", "jpeg": "jpg", "mp4": "mp4"}
MIME_TYPES = {"png": "image/png", "jpg": "image/jpeg", "mp4": "video/mp4"}
STANDIN_LONG_SIDE = 512


class MediaBackend(Protocol):
    """What the simulator needs from the media library (lumatui.sim.media)."""

    def render_image(self, job: ImageJob) -> bytes:
        """Render one image."""
        ...

    def render_video(self, job: VideoJob) -> bytes:
        """Render one MP4."""
        ...

    def probe(self, data: bytes) -> MediaInfo:
        """Say what a file is."""
        ...

    def render_layers(self, job: LayerJob) -> list[RenderedLayer]:
        """Split one image into RGBA layers, front to back, the background last."""
        ...


def default_media() -> MediaBackend:
    """The real media library."""
    from lumatui.sim import media

    return media


@dataclass(frozen=True)
class RenderPlan:
    """Everything needed to render a job's output, stored with the job."""

    kind: str
    prompt: str
    aspect_ratio: str | None
    output_format: str
    style: str | None
    seed: int
    duration_s: int
    loop: bool
    long_side: int
    inputs: list[InputSpec] = field(default_factory=list)
    web_search: bool = False
    variant: int = 0
    """Runs of one request differ by this (from the generation id); 0 in older stored plans."""

    def to_json(self) -> str:
        """The stored form."""
        data: dict[str, Any] = {**self.__dict__, "inputs": [s.to_json() for s in self.inputs]}
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> RenderPlan:
        """Read a stored plan."""
        data = json.loads(text)
        data["inputs"] = [InputSpec.from_json(s) for s in data["inputs"]]
        return cls(**data)


def request_seed(canonical_request: str, sim_seed: int) -> int:
    """The render seed: the same request renders the same picture."""
    digest = hashlib.sha256(f"{sim_seed}:{canonical_request}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


class Renderer:
    """Renders outputs in worker threads and records them in the store."""

    def __init__(
        self, store: SimStore, state_dir: Path, media: MediaBackend, *, workers: int
    ) -> None:
        self._store = store
        self._state_dir = state_dir
        self._media = media
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sim-render")
        self._futures: dict[str, Future[None]] = {}
        # Reentrant: a future that is already done runs its callback inside submit().
        self._lock = threading.RLock()

    def submit(self, row: GenerationRow) -> Future[None]:
        """Start rendering a job's output."""
        with self._lock:
            future = self._pool.submit(self._render, row.id, row.plan)
            self._futures[row.id] = future
            future.add_done_callback(partial(self._forget, row.id))
            return future

    def _forget(self, generation_id: str, _future: Future[None]) -> None:
        with self._lock:
            future = self._futures.get(generation_id)
            if future is not None and future.done():
                del self._futures[generation_id]

    def pending(self) -> int:
        """How many renders are queued or running."""
        with self._lock:
            return len(self._futures)

    def wait(self, generation_id: str, timeout: float | None = 60.0) -> None:
        """Block until a job's render is done (returns at once if it is not running)."""
        with self._lock:
            future = self._futures.get(generation_id)
        if future is not None:
            wait_futures([future], timeout=timeout)

    def wait_idle(self, timeout: float | None = 60.0) -> None:
        """Block until every render started so far is done."""
        with self._lock:
            futures = list(self._futures.values())
        wait_futures(futures, timeout=timeout)

    def close(self) -> None:
        """Stop taking work; renders in progress finish."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _render(self, generation_id: str, plan_text: str) -> None:
        try:
            plan = RenderPlan.from_json(plan_text)
            ext = EXTENSIONS[plan.output_format]
            folder = self._state_dir / "outputs" / generation_id
            folder.mkdir(parents=True, exist_ok=True)
            outputs: list[dict[str, Any]] = []
            for n, (data, layer) in enumerate(self._produce_all(plan)):
                partial = folder / f".{n}.{ext}.part"
                partial.write_bytes(data)
                os.replace(partial, folder / f"{n}.{ext}")
                outputs.append({"name": f"{n}.{ext}", "layer": layer})
        except Exception as exc:
            log.exception("rendering %s failed", generation_id)
            self._store.finish_render(generation_id, error=f"{type(exc).__name__}: {exc}")
            return
        # One plain output is the common case; only several (layers) are listed.
        listed = json.dumps(outputs) if len(outputs) > 1 or outputs[0]["layer"] else None
        self._store.finish_render(generation_id, error=None, outputs_json=listed)

    def _produce_all(self, plan: RenderPlan) -> list[tuple[bytes, dict[str, Any] | None]]:
        """Every output of a plan with its layer metadata (None for a plain output)."""
        if plan.kind != "layering":
            return [(self._produce(plan), None)]
        from lumatui.sim.media import LayerJob

        source = next(self._bytes(spec) for spec in plan.inputs if spec.role == "source")
        job = LayerJob(plan.prompt, plan.seed, plan.long_side, source, plan.web_search)
        return [(layer.png, layer.meta) for layer in self._media.render_layers(job)]

    def _produce(self, plan: RenderPlan) -> bytes:
        from lumatui.sim.media import ImageJob, VideoJob

        inputs = [(spec, self._bytes(spec)) for spec in plan.inputs]
        one = {spec.role: data for spec, data in inputs if spec.role != "ref"}
        if plan.kind in ("image", "image_edit"):
            refs = tuple(data for spec, data in inputs if spec.role == "ref")
            return self._media.render_image(
                ImageJob(
                    prompt=plan.prompt,
                    kind=plan.kind,
                    aspect_ratio=plan.aspect_ratio,
                    output_format=plan.output_format,
                    style=plan.style,
                    seed=plan.seed,
                    long_side=plan.long_side,
                    source=one.get("source"),
                    refs=refs,
                    web_search=plan.web_search,
                    variant=plan.variant,
                )
            )
        video_in = {spec.role: data for spec, data in inputs if spec.want == "video"}
        image_in = {spec.role: data for spec, data in inputs if spec.want == "image"}
        keyframes = tuple(
            sorted((spec.position, data) for spec, data in inputs if spec.role == "keyframe")
        )
        return self._media.render_video(
            VideoJob(
                prompt=plan.prompt,
                kind=plan.kind,
                aspect_ratio=plan.aspect_ratio,
                duration_s=plan.duration_s,
                seed=plan.seed,
                long_side=plan.long_side,
                start_frame=image_in.get("start"),
                end_frame=image_in.get("end"),
                keyframes=keyframes,
                source_video=video_in.get("source"),
                extend_from=video_in.get("start", video_in.get("end")),
                loop=plan.loop,
                variant=plan.variant,
            )
        )

    def _bytes(self, spec: InputSpec) -> bytes:
        """An input's bytes: its stored file, or a stand-in rendered from its URL."""
        if spec.file is not None:
            return (self._state_dir / spec.file).read_bytes()
        from lumatui.sim.media import ImageJob, VideoJob

        url = spec.standin or ""
        seed = int.from_bytes(hashlib.sha256(url.encode()).digest()[:4], "big")
        if spec.want == "video":
            job = VideoJob(
                prompt=url, kind="video", aspect_ratio="16:9", duration_s=5, seed=seed, long_side=64
            )
            return self._media.render_video(job)
        image = ImageJob(
            prompt=url,
            kind="image",
            aspect_ratio=None,
            output_format="png",
            style=None,
            seed=seed,
            long_side=STANDIN_LONG_SIDE,
        )
        return self._media.render_image(image)
