"""`lumatui submit`'s request flags: named after the API fields, turned into a request body.

A body read with `--json FILE|-` (or `--body`) comes first; each flag given replaces the
field it names. A reference (`--image-ref`, `--source`, frames, keyframes) is a URL, a
generation id (a whole UUID, or a unique prefix of a stored job's id), `file:ID` (an
uploaded file) or a local file: a small image is read, sniffed and inlined as base64; a
video, or anything over the inline cap, is uploaded as a file and sent as `file_id`.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import stat
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lumatui.api.enums import (
    AspectRatio,
    GenerationType,
    LayeringResolution,
    Model,
    OutputFormat,
    Style,
    VideoDuration,
    VideoEditStrength,
    VideoResolution,
)
from lumatui.api.json_depth import MAX_JSON_DEPTH, json_depth_over
from lumatui.commands.common import CommandError, warn
from lumatui.commands.guards import finite_float

if TYPE_CHECKING:
    from enum import StrEnum

    from lumatui.commands.uploading import PendingUpload
    from lumatui.engine.store import JobStore

MAX_BODY_BYTES = 256 * 1024 * 1024
VIDEO_SOURCE_TYPES = (GenerationType.VIDEO_EDIT, GenerationType.VIDEO_REFRAME)

# (flag, path in the body, enum of allowed values or None for text, help)
VALUE_FLAGS: tuple[tuple[str, tuple[str, ...], type[StrEnum] | None, str], ...] = (
    ("--prompt", ("prompt",), None, "what to generate (1-6000 characters)"),
    ("--type", ("type",), GenerationType, "kind of generation (default image)"),
    ("--model", ("model",), Model, "model (default: the type's own)"),
    ("--aspect-ratio", ("aspect_ratio",), AspectRatio, "output aspect ratio"),
    ("--style", ("style",), Style, "image style preset"),
    ("--output-format", ("output_format",), OutputFormat, "image file format"),
    ("--user-id", ("user_id",), None, "your end user's id, for Luma's abuse tracking"),
    ("--video-duration", ("video", "duration"), VideoDuration, "video length"),
    ("--video-resolution", ("video", "resolution"), VideoResolution, "video resolution"),
    ("--edit-strength", ("video", "edit", "strength"), VideoEditStrength, "video_edit strength"),
    (
        "--layering-resolution",
        ("layering", "resolution"),
        LayeringResolution,
        "type layering: resolution of every layer",
    ),
)
BOOL_FLAGS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("--web-search", ("web_search",), "let the agent search the web for references (images)"),
    ("--video-loop", ("video", "loop"), "make the video loop seamlessly"),
    ("--video-hdr", ("video", "hdr"), "HDR video (720p or 1080p)"),
    ("--video-exr-export", ("video", "exr_export"), "also export EXR frames (needs hdr)"),
    ("--edit-auto-controls", ("video", "edit", "auto_controls"), "video_edit automatic controls"),
)
REF = "URL|PATH|ID|file:ID"


def add_request_flags(parser: argparse.ArgumentParser) -> None:
    """Add a flag for every request field that a flag can carry sensibly."""
    fields = parser.add_argument_group("request fields (each replaces the body's field)")
    for flag, _, enum, help_text in VALUE_FLAGS:
        choices = [str(v) for v in enum] if enum is not None else None
        fields.add_argument(flag, choices=choices, default=None, help=help_text)
    for flag, _, help_text in BOOL_FLAGS:
        fields.add_argument(
            flag, action=argparse.BooleanOptionalAction, default=None, help=help_text
        )
    refs = parser.add_argument_group(f"media references: each {REF}")
    refs.add_argument(
        "--image-ref",
        action="append",
        default=None,
        metavar=REF,
        help="reference image (repeatable; image and image_edit)",
    )
    refs.add_argument(
        "--source", metavar=REF, default=None, help="image or video to edit or reframe"
    )
    refs.add_argument(
        "--source-media-type",
        metavar="MIME",
        default=None,
        help="MIME type of a --source URL, e.g. video/mp4 (found by itself for files)",
    )
    refs.add_argument("--start-frame", metavar=REF, default=None, help="video's first frame")
    refs.add_argument("--end-frame", metavar=REF, default=None, help="video's last frame")
    refs.add_argument(
        "--keyframe",
        action="append",
        default=None,
        metavar=f"{REF}@INDEX",
        help="image at an output frame index (repeatable; type video)",
    )
    refs.add_argument(
        "--edit-keyframe",
        action="append",
        default=None,
        metavar=f"{REF}@INDEX",
        help="edited frame at a source frame index (repeatable; type video_edit)",
    )
    refs.add_argument(
        "--source-position",
        metavar="X,Y,W,H",
        default=None,
        help="video_reframe: where the source sits in the new canvas (normalized)",
    )
    refs.add_argument(
        "--edit-control",
        action="append",
        default=None,
        metavar="NAME.FIELD=VALUE",
        help="video_edit manual control, e.g. depth.enabled=true, pose.strength=precise",
    )


def read_body(source: str | None) -> dict[str, Any]:
    """The JSON object in the file `source` ("-" for stdin), or {} when there is none."""
    if source is None:
        return {}
    try:
        if source == "-":
            text = sys.stdin.read(MAX_BODY_BYTES + 1)
        else:
            text = read_regular_file(Path(source).expanduser(), MAX_BODY_BYTES + 1)
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise CommandError(f"cannot read the request body {source}: {reason}") from None
    if len(text) > MAX_BODY_BYTES:
        raise CommandError(f"the request body {source} is over {MAX_BODY_BYTES // 2**20} MB")
    try:
        body = json.loads(text)
    except ValueError as exc:
        raise CommandError(f"the request body {source} is not valid JSON: {exc}") from None
    except RecursionError:
        body = None  # deeper than the parser goes: refused just below
    if body is None or json_depth_over(body):
        raise CommandError(
            f"the request body {source} is nested more than {MAX_JSON_DEPTH} levels deep"
        )
    if not isinstance(body, dict):
        raise CommandError(f"the request body {source} must be a JSON object")
    return body


def read_regular_file(path: Path, limit: int) -> str:
    """At most `limit` characters of a regular file; a FIFO, device or folder is refused.

    Opened without blocking so that a FIFO nobody writes to cannot hang the command.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        kind = os.fstat(fd).st_mode
        if not stat.S_ISREG(kind):
            what = "a folder" if stat.S_ISDIR(kind) else "not a regular file (a FIFO or device)"
            raise OSError(errno.EINVAL, f"it is {what}")
        os.set_blocking(fd, True)
        with os.fdopen(fd, encoding="utf-8", closefd=True) as handle:
            fd = -1
            return handle.read(limit)
    finally:
        if fd >= 0:
            os.close(fd)


def apply_flags(
    body: dict[str, Any],
    args: argparse.Namespace,
    store: JobStore,
    *,
    inline_cap: int | None = None,
    uploads: list[PendingUpload] | None = None,
) -> dict[str, Any]:
    """`body` with every flag given put in its place; references resolved or read.

    Local files that must be uploaded are appended to `uploads` (their references hold a
    stand-in file id until `upload_pending` fills them in).
    """
    body = json.loads(json.dumps(body))  # a deep copy the flags may change
    for flag, path, _, _ in VALUE_FLAGS:
        value = getattr(args, _dest(flag))
        if value is not None:
            _put(body, path, value)
    for flag, path, _ in BOOL_FLAGS:
        value = getattr(args, _dest(flag))
        if value is not None:
            _put(body, path, value)
    kind = str(body.get("type") or GenerationType.IMAGE)
    refs = RefResolver(store, inline_cap=inline_cap, uploads=uploads)
    if args.image_ref is not None:
        body["image_ref"] = [refs.resolve(t, "--image-ref") for t in args.image_ref]
    if args.source is not None:
        want = "video" if kind in VIDEO_SOURCE_TYPES else "image"
        body["source"] = refs.resolve(args.source, "--source", want=want)
    if args.source_media_type is not None:
        if not isinstance(body.get("source"), dict):
            raise CommandError("--source-media-type needs a --source (or a source in the body)")
        body["source"]["media_type"] = args.source_media_type
    for flag in ("--start-frame", "--end-frame"):
        text = getattr(args, _dest(flag))
        if text is not None:
            _put(body, ("video", _dest(flag)), refs.resolve(text, flag))
    if args.keyframe is not None:
        frames, indexes = refs.keyframes(args.keyframe, "--keyframe")
        _put(body, ("video", "keyframes"), frames)
        _put(body, ("video", "keyframe_indexes"), indexes)
    if args.edit_keyframe is not None:
        frames, indexes = refs.keyframes(args.edit_keyframe, "--edit-keyframe")
        _put(body, ("video", "edit", "keyframes"), frames)
        _put(body, ("video", "edit", "keyframe_indexes"), indexes)
    if args.source_position is not None:
        _put(body, ("video", "source_position"), _source_position(args.source_position))
    for setting in args.edit_control or ():
        path, value = _control(setting)
        _put(body, ("video", "edit", "controls", *path), value)
    return body


def _dest(flag: str) -> str:
    return flag.removeprefix("--").replace("-", "_")


def _put(body: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    """Set `body[a][b]...` = value, creating (or replacing non-object) parents on the way."""
    node = body
    for key in path[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = node[key] = {}
        node = child
    node[path[-1]] = value


def _source_position(text: str) -> dict[str, float]:
    parts = text.split(",")
    try:
        x, y, w, h = (finite_float(p) for p in parts)
    except ValueError:
        raise CommandError(
            f"--source-position must be four numbers X,Y,W,H such as 0.1,0,0.8,1 (got {text!r})"
        ) from None
    return {"x_norm": x, "y_norm": y, "w_norm": w, "h_norm": h}


def _control(text: str) -> tuple[tuple[str, str], Any]:
    """`depth.blur=0.5` as (("depth", "blur"), 0.5); true/false and numbers are typed."""
    name, eq, raw = text.partition("=")
    control, dot, field = name.strip().partition(".")
    if not eq or not dot or not control or not field:
        raise CommandError(
            f"--edit-control must look like NAME.FIELD=VALUE, e.g. depth.blur=0.5 (got {text!r})"
        )
    raw = raw.strip()
    value: Any = raw
    if raw.lower() in ("true", "false"):
        value = raw.lower() == "true"
    else:
        try:
            value = finite_float(raw)
        except ValueError:
            value = raw
    return (control, field), value


class RefResolver:
    """Turns the text of a reference flag into an ImageRef object for the body."""

    def __init__(
        self,
        store: JobStore,
        *,
        inline_cap: int | None = None,
        uploads: list[PendingUpload] | None = None,
    ) -> None:
        from lumatui.api.files_client import DEFAULT_INLINE_CAP

        self._store = store
        self._inline_cap = DEFAULT_INLINE_CAP if inline_cap is None else inline_cap
        self._uploads = uploads

    def resolve(self, text: str, flag: str, *, want: str = "image") -> dict[str, Any]:
        """A URL as `{"url"}`, an id as `{"generation_id"}`, `file:ID` as `{"file_id"}`, a
        local file as `{"data", "media_type"}` or (uploaded later) `{"file_id"}`."""
        from lumatui.engine.local_refs import RefKind, classify_ref_text, is_full_uuid

        kind = classify_ref_text(text)
        if kind is RefKind.EMPTY:
            raise CommandError(f"{flag} is empty; give a URL, a generation id or a file")
        if text.strip().startswith("file:"):
            return {"file_id": text.strip().removeprefix("file:").strip()}
        if kind is RefKind.URL:
            return {"url": text.strip()}
        if kind is RefKind.GENERATION_ID:
            found = self._generation_id(text.strip(), flag)
            if found is not None:
                return {"generation_id": found}
            if not Path(text).expanduser().exists():
                if is_full_uuid(text):
                    return {"generation_id": text.strip()}
                raise CommandError(
                    f"{flag} {text.strip()}: no stored generation id starts with it (or several "
                    "do); give the whole id"
                )
        return self._file(text, flag, want)

    def keyframes(self, items: list[str], flag: str) -> tuple[list[dict[str, Any]], list[int]]:
        """The refs and frame indexes of `REF@INDEX` items, in the order given."""
        frames: list[dict[str, Any]] = []
        indexes: list[int] = []
        for item in items:
            ref, at, index = item.rpartition("@")
            if not at or not ref or not index.strip().isdigit():
                raise CommandError(
                    f"{flag} must be REF@INDEX, e.g. ./a.png@0 or <id>@119 (got {item!r})"
                )
            frames.append(self.resolve(ref, flag))
            indexes.append(int(index))
        return frames, indexes

    def _generation_id(self, text: str, flag: str) -> str | None:
        """The server id of the stored job `text` names (local id, server id or prefix)."""
        job = self._store.find(text.lower())
        if job is None:
            return None
        if job.generation_id is None:
            raise CommandError(
                f"{flag} {text}: that job has no generation id yet (it is {job.state}); "
                "only a generation the API accepted can be referenced"
            )
        return job.generation_id

    def _file(self, text: str, flag: str, want: str) -> dict[str, Any]:
        from lumatui.engine.local_refs import LocalRefError, load_local_ref
        from lumatui.engine.uploads import inspect_local_media

        try:
            media = inspect_local_media(text, want=want, inline_cap=self._inline_cap)
            if not media.upload:
                return load_local_ref(text, want=want).to_json()
        except LocalRefError as exc:
            raise CommandError(f"{flag}: {exc}") from None
        if self._uploads is None:
            raise CommandError(f"{flag}: {text.strip()} {media.describe()}, which needs the API")
        from lumatui.commands.uploading import PendingUpload

        pending = PendingUpload(flag, media)
        self._uploads.append(pending)
        warn(f"lumatui: {flag} {media.path.name}: {media.describe()}")
        return pending.ref
