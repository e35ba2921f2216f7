"""Turning a request's media references into bytes the renderer can use, and checking them.

- `generation_id`: the referenced generation's stored output file.
- `file_id`: the uploaded file's bytes (checked at upload: the file is ready).
- `data`: decoded, kept under `inputs/<id>/` in the state dir, and probed.
- `url` on loopback (127.0.0.0/8, ::1, localhost): fetched and probed like data, so a test
  can serve its own files; a fetch that fails is a 422.
- any other `url`: this machine may have no internet, so the URL is not fetched. It is
  accepted and a deterministic stand-in is rendered from the URL text instead (a picture,
  or a 5 s video for a video source), the same for the same URL every time.

Probing decides the failures that real media causes: data that is no image or video format
fails the job with `unsupported_format`, data that looks like one but cannot be decoded
with `corrupt_input`, an image over `max_image_pixels` with `image_too_large`. A video where
an image belongs (or the reverse), and a video_edit source over 18 s, are rejected at once
with 422.
"""

from __future__ import annotations

import base64
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from lumatui.api.capabilities import MAX_EDIT_SOURCE_SECONDS
from lumatui.api.chaining import wanted_kind
from lumatui.api.enums import FailureCode, GenerationType
from lumatui.api.field_errors import json_path
from lumatui.api.hosts import is_loopback
from lumatui.api.refs import image_refs
from lumatui.api.rules import Problem
from lumatui.sim.checks import source_too_long
from lumatui.sim.outcomes import Outcome, failure

if TYPE_CHECKING:
    from lumatui.api.rules import Loc
    from lumatui.api.schema import GenerationRequest, ImageRef
    from lumatui.sim.files import SimFiles
    from lumatui.sim.render import MediaBackend
    from lumatui.sim.settings import SimSettings
    from lumatui.sim.store import SimStore

FETCH_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class InputSpec:
    """One input of a render: its role, position, kind, and where its bytes come from."""

    role: str
    position: int
    want: str
    file: str | None = None
    standin: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> InputSpec:
        """Read a spec back from its stored form."""
        return cls(**data)

    def to_json(self) -> dict[str, Any]:
        """The stored form."""
        return asdict(self)


@dataclass
class Resolved:
    """The inputs of a request, the failure they cause (if any) and the problems they raise."""

    specs: list[InputSpec] = field(default_factory=list)
    outcome: Outcome | None = None
    problems: list[Problem] = field(default_factory=list)
    source_seconds: float | None = None


def is_loopback_url(url: str) -> bool:
    """True when the URL's host is this machine."""
    return is_loopback(urlsplit(url).hostname or "")


def resolve_inputs(
    request: GenerationRequest,
    generation_id: str,
    *,
    settings: SimSettings,
    store: SimStore,
    media: MediaBackend,
    files: SimFiles | None = None,
) -> Resolved:
    """Resolve and check every reference (blocking: run it in a thread)."""
    resolved = Resolved()
    kind = request.effective_type
    for loc, ref in image_refs(request):
        want = wanted_kind(loc, kind, by_generation=ref.generation_id is not None)
        role, position = _role(request, loc)
        spec = InputSpec(role, position, want)
        if ref.file_id is not None and files is not None:
            upload = files.table.get(ref.file_id)
            assert upload is not None, "file checks run first"
            spec = InputSpec(role, position, want, file=f"uploads/{upload.id}.bin")
            if role == "source" and want == "video":
                resolved.source_seconds = upload.duration_s
        elif ref.generation_id is not None:
            row = store.get(ref.generation_id)
            assert row is not None, "chain checks run first"
            spec = InputSpec(role, position, want, file=f"outputs/{row.id}/0.{row.output_ext}")
            if role == "source" and want == "video":
                resolved.source_seconds = row.output_duration_s
        elif ref.url is not None and not (
            settings.fetch_loopback_urls and is_loopback_url(ref.url)
        ):
            spec = InputSpec(role, position, want, standin=ref.url)
        else:
            raw = _bytes_of(ref, loc, settings, resolved)
            if raw is None:
                continue
            name = "_".join(str(part) for part in loc)
            relative = f"inputs/{generation_id}/{name}.bin"
            target = settings.state_dir / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(raw)
            spec = InputSpec(role, position, want, file=relative)
            _examine(
                raw,
                loc,
                "data" if ref.data is not None else "url",
                spec,
                kind,
                settings,
                media,
                resolved,
            )
        resolved.specs.append(spec)
    return resolved


def _role(request: GenerationRequest, loc: Loc) -> tuple[str, int]:
    """The input's role for the renderer and its position (reference index or frame)."""
    head = loc[0]
    if head == "source":
        return "source", 0
    if head == "image_ref":
        return "ref", int(loc[1])
    video = request.video
    assert video is not None
    if loc[1] in ("start_frame", "end_frame"):
        return ("start" if loc[1] == "start_frame" else "end"), 0
    if loc[1] == "keyframes":
        return "keyframe", (video.keyframe_indexes or [])[int(loc[2])]
    assert video.edit is not None
    return "keyframe", (video.edit.keyframe_indexes or [])[int(loc[3])]


def _bytes_of(ref: ImageRef, loc: Loc, settings: SimSettings, resolved: Resolved) -> bytes | None:
    """Inline data decoded, or a loopback URL fetched; None (with a problem) when it fails."""
    if ref.data is not None:
        return base64.b64decode(ref.data)
    assert ref.url is not None
    import httpx

    try:
        with httpx.Client(timeout=FETCH_TIMEOUT_S, follow_redirects=True) as client:
            reply = client.get(ref.url)
    except httpx.HTTPError as exc:
        resolved.problems.append(Problem((*loc, "url"), f"could not be fetched: {exc}", ref.url))
        return None
    if reply.status_code != 200:
        resolved.problems.append(
            Problem((*loc, "url"), f"could not be fetched (HTTP {reply.status_code})", ref.url)
        )
        return None
    if len(reply.content) > settings.max_inline_bytes:
        resolved.problems.append(
            Problem((*loc, "url"), f"is over the {settings.max_inline_bytes} byte limit", ref.url)
        )
        return None
    return reply.content


def _examine(
    raw: bytes,
    loc: Loc,
    field_name: str,
    spec: InputSpec,
    kind: GenerationType,
    settings: SimSettings,
    media: MediaBackend,
    resolved: Resolved,
) -> None:
    """Probe one input: record the failure it causes or the problem it raises."""
    from lumatui.sim.media import MediaTooLarge, UndecodableMedia, UnsupportedMedia

    where = json_path(loc)
    try:
        info = media.probe(raw)
    except MediaTooLarge:
        _fail(resolved, FailureCode.IMAGE_TOO_LARGE, f"{where} is too large to decode")
        return
    except UnsupportedMedia:
        _fail(resolved, FailureCode.UNSUPPORTED_FORMAT, f"{where} is not an image or a video")
        return
    except UndecodableMedia:
        _fail(resolved, FailureCode.CORRUPT_INPUT, f"{where} could not be decoded")
        return
    if info.kind != spec.want:
        resolved.problems.append(
            Problem((*loc, field_name), f"holds a {info.kind}, but a {spec.want} is needed here")
        )
        return
    if info.kind == "image" and info.width * info.height > settings.max_image_pixels:
        size = f"{info.width}x{info.height}"
        _fail(resolved, FailureCode.IMAGE_TOO_LARGE, f"{where} is {size} pixels")
    if spec.role == "source" and info.kind == "video":
        resolved.source_seconds = info.duration_s
        seconds = info.duration_s or 0.0
        if kind is GenerationType.VIDEO_EDIT and seconds > MAX_EDIT_SOURCE_SECONDS:
            resolved.problems.append(Problem((*loc, field_name), source_too_long(seconds)))


def _fail(resolved: Resolved, code: FailureCode, detail: str) -> None:
    if resolved.outcome is None:
        resolved.outcome = failure(code, detail)
