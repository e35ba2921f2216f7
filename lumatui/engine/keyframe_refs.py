"""Animating an image survives the reference's one ambiguity: an image's id in `keyframes`.

The reference calls a single keyframe "a valid start-pinned i2v" (the modern image-to-video
path: 10 s and HDR allowed) but documents `generation_id` only on `source` and on
`start_frame`/`end_frame` for extension, so whether an *image* generation's id is accepted
inside `video.keyframes` is not settled. lumatui keeps `keyframes[0]` and sends the
image's `generation_id` first. If the API refuses that reference (a 400 or 422 naming the
keyframe: a refusal, so nothing was created and nothing was charged), the same request is
sent again at once with the image itself as `data`: the verified local output (its hash
checked against the one the download recorded). From then on that base URL gets `data`
straight away (remembered in `keyframe-refs.json` beside the history).

The stored request keeps the `generation_id`: that is the "made from" link lineage,
`parents` in `list --json`, replay and export rely on; a replay passes through here again.

`KeyframeRefs.create` is the one entry point: the submitter calls it instead of the
client's `create`, with a factory giving each POST its own send probe (the submitter's
`settle` judges the POST under way by it).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from lumatui.api import errors
from lumatui.api.capabilities import MAX_INLINE_BYTES
from lumatui.api.schema import ImageRef
from lumatui.api.sniff import sniff_mime

if TYPE_CHECKING:
    from collections.abc import Callable

    from lumatui.api.client import AgentsClient
    from lumatui.api.field_errors import FieldError
    from lumatui.api.schema import Generation, GenerationRequest
    from lumatui.api.sending import SendProbe
    from lumatui.engine.astore import AsyncJobStore
    from lumatui.engine.store import JobStore

log = logging.getLogger("lumatui.engine")

MEMORY_FILE = "keyframe-refs.json"
LocalOutput = tuple[Path, str]
"""A downloaded output: its path and the SHA-256 the download verified."""


class KeyframeRefs:
    """Sends image keyframes by id, falling back to inline data where the API refuses ids."""

    def __init__(
        self,
        local_output: Callable[[str], LocalOutput | None],
        memory: Path | None = None,
    ) -> None:
        self._local_output = local_output
        self._memory = memory
        self._data_for: set[str] = self._recall()

    @classmethod
    def beside(cls, store: AsyncJobStore) -> KeyframeRefs:
        """The fallback for a history: outputs from its store, memory beside its database."""
        # `inline` runs on a worker thread; the store's reads are safe from any thread.
        return cls(
            lambda gid: local_output(store.sync, gid), Path(str(store.path)).with_name(MEMORY_FILE)
        )

    def sends_data(self, base_url: str) -> bool:
        """Whether this API is known to refuse image ids in keyframes."""
        return base_url in self._data_for

    async def create(
        self, client: AgentsClient, request: GenerationRequest, probe: Callable[[], SendProbe]
    ) -> Generation:
        """POST `request`; on a refusal of a keyframe's generation_id, once more with data.

        `probe()` gives the send probe of each POST (a fresh one for the second).
        """
        base_url = client.base_url
        if base_url in self._data_for and _keyframe_ids(request):
            inlined = await asyncio.to_thread(self.inline, request)
            return await client.create(inlined or request, probe=probe())
        try:
            return await client.create(request, probe=probe())
        except (errors.InvalidRequest, errors.RejectedCombination) as refusal:
            if not refused_keyframe_id(refusal.field_errors, request):
                raise
            inlined = await asyncio.to_thread(self.inline, request)
            if inlined is None:
                raise  # no verified local copy to send instead: the refusal stands
            self._remember(base_url)
            log.info("%s refused an image id in keyframes; sending the image as data", base_url)
        # A 400/422 is a refusal: nothing was created, so sending again cannot pay twice.
        return await client.create(inlined, probe=probe())

    def inline(self, request: GenerationRequest) -> GenerationRequest | None:
        """The request with each keyframe id replaced by its verified local image, or None."""
        video = request.video
        if video is None or not video.keyframes:
            return None
        frames: list[ImageRef] = []
        for ref in video.keyframes:
            if ref.generation_id is None:
                frames.append(ref)
                continue
            loaded = self._load(ref.generation_id)
            if loaded is None:
                return None
            frames.append(loaded)
        return request.model_copy(update={"video": video.model_copy(update={"keyframes": frames})})

    def _load(self, generation_id: str) -> ImageRef | None:
        found = self._local_output(generation_id)
        if found is None:
            return None
        path, sha256 = found
        try:
            if path.stat().st_size > MAX_INLINE_BYTES:
                return None
            content = path.read_bytes()
        except OSError:
            return None
        if hashlib.sha256(content).hexdigest() != sha256:
            log.warning("the local output of %s changed since it was verified", generation_id)
            return None
        mime = sniff_mime(content[:64])
        if mime is None or not mime.startswith("image/"):
            return None
        return ImageRef(data=base64.b64encode(content).decode("ascii"), media_type=mime)

    def _recall(self) -> set[str]:
        if self._memory is None:
            return set()
        try:
            found = json.loads(self._memory.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return set()
        return {str(url) for url in found} if isinstance(found, list) else set()

    def _remember(self, base_url: str) -> None:
        self._data_for.add(base_url)
        if self._memory is None:
            return
        part = self._memory.with_name(f".{self._memory.name}.{os.getpid()}.part")
        with contextlib.suppress(OSError):
            part.write_text(json.dumps(sorted(self._data_for)), encoding="utf-8")
            os.replace(part, self._memory)


def _keyframe_ids(request: GenerationRequest) -> bool:
    video = request.video
    return bool(video and video.keyframes and any(k.generation_id for k in video.keyframes))


def refused_keyframe_id(field_errors: list[FieldError], request: GenerationRequest) -> bool:
    """Whether a refusal names a keyframe that is given by generation id."""
    video = request.video
    if video is None or not video.keyframes:
        return False
    for error in field_errors:
        for i, ref in enumerate(video.keyframes):
            at = f"video.keyframes[{i}]"
            if ref.generation_id and (error.path == at or error.path.startswith(at + ".")):
                return True
    return False


def local_output(store: JobStore, generation_id: str) -> LocalOutput | None:
    """The first verified, downloaded image output of the generation, if the store has one."""
    job = store.find(generation_id)
    if job is None:
        return None
    for output in store.outputs(job.id):
        image = output.media_type.startswith("image")
        if image and output.is_downloaded and output.local_path and output.sha256:
            return Path(output.local_path), output.sha256
    return None
