"""Every field of the composer, in form order, with the generation types it applies to.

This table is the one place that says which field belongs to which type: the composer shows
exactly the active fields and sends exactly what they hold.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.containers import Horizontal, Vertical
from textual.widgets import Collapsible, Input, Select, Switch

from lumatui.api.capabilities import aspect_ratios
from lumatui.api.enums import (
    IMAGE_MODELS,
    IMAGE_TYPES,
    MAX_USER_ID_CHARS,
    SOURCE_TYPES,
    VIDEO_TYPES,
    GenerationType,
    Model,
    OutputFormat,
    PoseStrength,
    Style,
    VideoDuration,
    VideoEditStrength,
    VideoResolution,
)
from lumatui.tui.widgets.composer.error_line import ErrorLine
from lumatui.tui.widgets.composer.form_field import FormField
from lumatui.tui.widgets.composer.prompt_editor import PromptEditor
from lumatui.tui.widgets.composer.ref_field import RefField
from lumatui.tui.widgets.composer.ref_list import RefList
from lumatui.tui.widgets.composer.source_position import SourcePositionInput
from lumatui.tui.widgets.composer.visible import SafeInput

if TYPE_CHECKING:
    from collections.abc import Iterable

    from textual.app import ComposeResult

VIDEO_ONLY = frozenset({GenerationType.VIDEO})
HDR_TYPES = frozenset({GenerationType.VIDEO, GenerationType.VIDEO_EDIT})
EDIT_ONLY = frozenset({GenerationType.VIDEO_EDIT})
REFRAME_ONLY = frozenset({GenerationType.VIDEO_REFRAME})
VIDEO_SOURCES = frozenset({GenerationType.VIDEO_EDIT, GenerationType.VIDEO_REFRAME})


def model_options(kind: GenerationType) -> list[tuple[str, str]]:
    """The models that make `kind`, as Select options."""
    models = [Model.RAY_3_2] if kind.makes_video else sorted(IMAGE_MODELS)
    return [(str(m), str(m)) for m in models]


def ratio_options(model: Model) -> list[tuple[str, str]]:
    """The aspect ratios `model` makes, as Select options."""
    return [(str(r), str(r)) for r in aspect_ratios(model)]


def _choice(values: Iterable[str], id: str) -> Select[str]:
    """An optional choice: blank means the model's default and sends nothing."""
    return Select([(v, v) for v in values], prompt="default", compact=True, id=id)


def _on_off(id: str) -> Select[bool]:
    """An optional boolean with three states: default (not sent), on, off."""
    return Select([("on", True), ("off", False)], prompt="default", compact=True, id=id)


def _unit(id: str) -> Input:
    """A number from 0 to 1."""
    return SafeInput(placeholder="0–1", type="number", compact=True, id=id)


def compose_fields() -> ComposeResult:
    """The form, top to bottom (used inside the composer's scrolling container)."""
    yield ErrorLine(id="general-problems")
    with Horizontal(classes="field-row"):
        kinds = [(str(k).replace("_", " "), str(k)) for k in GenerationType]
        yield FormField(
            "Type", "type", Select(kinds, allow_blank=False, value="image", compact=True, id="type")
        )
        yield FormField(
            "Model",
            "model",
            Select(model_options(GenerationType.IMAGE), prompt="default", compact=True, id="model"),
        )
    yield FormField("Prompt", "prompt", PromptEditor(id="prompt"))
    yield FormField("Source", "source", RefField("source", id="source"), types=SOURCE_TYPES)
    with Horizontal(classes="field-row"):
        yield FormField(
            "Aspect ratio",
            "aspect_ratio",
            Select(ratio_options(Model.UNI_1), prompt="default", compact=True, id="aspect-ratio"),
        )
        yield FormField("Style", "style", _choice(Style, "style"), types=IMAGE_TYPES)
        yield FormField(
            "Format", "output_format", _choice(OutputFormat, "output-format"), types=IMAGE_TYPES
        )
    yield FormField(
        "Reference images", "image_ref", RefList("image_ref", id="image-refs"), types=IMAGE_TYPES
    )
    yield from _video_fields()
    yield from _edit_fields()
    yield FormField(
        "Source position (x, y, w, h)",
        "video.source_position",
        SourcePositionInput(id="source-position"),
        types=REFRAME_ONLY,
    )
    with Collapsible(title="Advanced", id="advanced"):
        yield FormField(
            f"User id (your end-user's opaque id, at most {MAX_USER_ID_CHARS} characters)",
            "user_id",
            SafeInput(placeholder="optional", compact=True, id="user-id"),
        )


def _video_fields() -> ComposeResult:
    """Output settings of the video types, and the frames that guide a video."""
    with Horizontal(classes="field-row"):
        yield FormField(
            "Duration", "video.duration", _choice(VideoDuration, "duration"), types=VIDEO_ONLY
        )
        yield FormField(
            "Resolution",
            "video.resolution",
            _choice(VideoResolution, "resolution"),
            types=VIDEO_TYPES,
        )
    with Horizontal(classes="field-row"):
        yield FormField("Loop", "video.loop", Switch(id="loop"), types=VIDEO_ONLY)
        yield FormField("HDR", "video.hdr", Switch(id="hdr"), types=HDR_TYPES)
        yield FormField("EXR export", "video.exr_export", Switch(id="exr"), types=HDR_TYPES)
    yield FormField(
        "Start frame",
        "video.start_frame",
        RefField("video.start_frame", id="start-frame"),
        types=VIDEO_ONLY,
    )
    yield FormField(
        "End frame",
        "video.end_frame",
        RefField("video.end_frame", id="end-frame"),
        types=VIDEO_ONLY,
    )
    yield FormField(
        "Keyframes (reference, frame)",
        "video.keyframes",
        RefList("video.keyframes", index_path="video.keyframe_indexes", id="keyframes"),
        types=VIDEO_ONLY,
        extra_paths=("video.keyframe_indexes",),
    )


def _edit_fields() -> ComposeResult:
    """A video edit: its strength, and automatic or per-signal controls."""
    with Horizontal(classes="field-row"):
        yield FormField(
            "Edit strength",
            "video.edit.strength",
            _choice(VideoEditStrength, "edit-strength"),
            types=EDIT_ONLY,
        )
        yield FormField(
            "Auto controls",
            "video.edit.auto_controls",
            Switch(id="auto-controls"),
            types=EDIT_ONLY,
        )
    controls = "video.edit.controls"
    rows = [
        (("Depth", "depth.enabled", _on_off("depth")), ("blur", "depth.blur", _unit("blur"))),
        (("Face", "face.enabled", _on_off("face")), None),
        (
            ("Normals", "normals.enabled", _on_off("normals")),
            ("augmentation", "normals.augmentation", _unit("augmentation")),
        ),
        (
            ("Pose", "pose.enabled", _on_off("pose")),
            ("strength", "pose.strength", _choice(PoseStrength, "pose-strength")),
        ),
        (
            ("Trajectory", "trajectory.enabled", _on_off("trajectory")),
            ("sparsity", "trajectory.sparsity", _unit("sparsity")),
        ),
    ]
    with Vertical(id="manual-controls"):
        for row in rows:
            with Horizontal(classes="field-row"):
                for part in row:
                    if part is None:
                        continue
                    label, path, control = part
                    yield FormField(
                        label, f"{controls}.{path}", control, types=EDIT_ONLY, manual_only=True
                    )
    yield FormField(
        "Edit keyframes (reference, source frame)",
        "video.edit.keyframes",
        RefList(
            "video.edit.keyframes", index_path="video.edit.keyframe_indexes", id="edit-keyframes"
        ),
        types=EDIT_ONLY,
        extra_paths=("video.edit.keyframe_indexes",),
    )
