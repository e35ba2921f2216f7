"""Every field of the composer, in form order, with the generation types it applies to.

This table is the one place that says which field belongs to which type: the composer shows
exactly the active fields and sends exactly what they hold.

The fields come in groups. The common ones (type, model, prompt, aspect ratio, user id)
are composed with the form; the others are built and mounted the first time a type needs
them (`GROUPS_OF_TYPE`), into the slot that keeps their place in the form, and stay
mounted (hidden, values kept) when the type changes again. An image request, the form at
start, mounts about half of the widgets the five types need between them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual.containers import Horizontal, Vertical
from textual.widgets import Collapsible, Select, Switch

from lumatui.api.capabilities import aspect_ratios
from lumatui.api.enums import (
    IMAGE_MODELS,
    IMAGE_TYPES,
    MAX_USER_ID_CHARS,
    SOURCE_TYPES,
    VIDEO_TYPES,
    GenerationType,
    LayeringResolution,
    Model,
    OutputFormat,
    PoseStrength,
    Style,
    VideoDuration,
    VideoEditStrength,
    VideoResolution,
)
from lumatui.tui.widgets.composer.error_line import ErrorLine, InlineErrorLine
from lumatui.tui.widgets.composer.form_field import FormField
from lumatui.tui.widgets.composer.prompt_editor import PromptEditor
from lumatui.tui.widgets.composer.ref_field import RefField
from lumatui.tui.widgets.composer.ref_list import RefList
from lumatui.tui.widgets.composer.source_position import SourcePositionInput
from lumatui.tui.widgets.composer.visible import SafeInput

if TYPE_CHECKING:
    from collections.abc import Iterable

    from textual.app import ComposeResult
    from textual.widget import Widget

VIDEO_ONLY = frozenset({GenerationType.VIDEO})
HDR_TYPES = frozenset({GenerationType.VIDEO, GenerationType.VIDEO_EDIT})
EDIT_ONLY = frozenset({GenerationType.VIDEO_EDIT})
REFRAME_ONLY = frozenset({GenerationType.VIDEO_REFRAME})
LAYERING_ONLY = frozenset({GenerationType.LAYERING})
VIDEO_SOURCES = frozenset({GenerationType.VIDEO_EDIT, GenerationType.VIDEO_REFRAME})

GROUPS_OF_TYPE: dict[GenerationType, tuple[str, ...]] = {
    GenerationType.IMAGE: ("image",),
    GenerationType.IMAGE_EDIT: ("source", "image"),
    GenerationType.VIDEO: ("video",),
    GenerationType.VIDEO_EDIT: ("source", "video", "edit"),
    GenerationType.VIDEO_REFRAME: ("source", "video", "reframe"),
    GenerationType.LAYERING: ("source", "layering"),
}
"""The field groups a request type shows (mounted when first needed)."""


class FieldSlot(Vertical):
    """Where a group's widgets go in the form; empty until the group is first needed."""

    def __init__(self, slot: str, *children: Widget, row: bool = False) -> None:
        super().__init__(
            *children, id=f"slot-{slot}", classes="field-slot -row" if row else "field-slot"
        )
        self.slot = slot


@dataclass
class FieldGroup:
    """The widgets of one group, per slot, built (not yet mounted) with their fields listed."""

    name: str
    slots: dict[str, list[Widget]]
    fields: list[FormField] = field(default_factory=list)
    rows: list[tuple[FormField, ...]] = field(default_factory=list)
    """The fields side by side in each row (the last shown one loses its right margin)."""


def model_options(kind: GenerationType) -> list[tuple[str, str]]:
    """The models that make `kind`, as Select options."""
    models = [Model.RAY_3_2] if kind.makes_video else sorted(IMAGE_MODELS)
    if kind is GenerationType.LAYERING:
        models = [Model.UNI_1]  # layer extraction runs on uni-1 only
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


def _unit(id: str) -> SafeInput:
    """A number from 0 to 1."""
    return SafeInput(placeholder="0–1", type="number", compact=True, id=id)


def compose_fields(prefill: dict[str, list[Widget]] | None = None) -> ComposeResult:
    """The common fields and the slots of the others, top to bottom.

    `prefill` holds the widgets of the groups the first type shows, composed with the form
    (the others' slots start empty).
    """
    filled = prefill or {}
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
            classes="-row-end",  # as the layout will say: set now, no restyle after mounting
        )
    prompt = PromptEditor(id="prompt")
    prompt.problems = InlineErrorLine("prompt", classes="prompt-problems")
    yield FormField("Prompt", "prompt", prompt, errors=prompt.problems)
    yield FieldSlot("source", *filled.get("source", ()))
    with Horizontal(classes="field-row", id="ratio-row"):
        yield FormField(
            "Aspect ratio",
            "aspect_ratio",
            Select(ratio_options(Model.UNI_1), prompt="default", compact=True, id="aspect-ratio"),
        )
        yield FieldSlot("image-row", *filled.get("image-row", ()), row=True)
    yield FieldSlot("image", *filled.get("image", ()))
    yield FieldSlot("video", *filled.get("video", ()))
    yield FieldSlot("edit", *filled.get("edit", ()))
    yield FieldSlot("reframe", *filled.get("reframe", ()))
    yield FieldSlot("layering", *filled.get("layering", ()))
    with Collapsible(title="Advanced", id="advanced"):
        yield FormField(
            f"User id (your end-user's opaque id, at most {MAX_USER_ID_CHARS} characters)",
            "user_id",
            SafeInput(placeholder="optional", compact=True, id="user-id"),
        )


def build_group(name: str) -> FieldGroup:
    """The widgets of the group `name`, ready to mount into their slots."""
    builders = {
        "source": _source_group,
        "image": _image_group,
        "video": _video_group,
        "edit": _edit_group,
        "reframe": _reframe_group,
        "layering": _layering_group,
    }
    return builders[name]()


def _row(group: FieldGroup, *fields: FormField) -> Horizontal:
    group.fields.extend(fields)
    group.rows.append(fields)
    return Horizontal(*fields, classes="field-row")


def _single(group: FieldGroup, form_field: FormField) -> FormField:
    group.fields.append(form_field)
    return form_field


def _source_group() -> FieldGroup:
    group = FieldGroup("source", {})
    source = FormField("Source", "source", RefField("source", id="source"), types=SOURCE_TYPES)
    group.slots["source"] = [_single(group, source)]
    return group


def _image_group() -> FieldGroup:
    group = FieldGroup("image", {})
    style = FormField("Style", "style", _choice(Style, "style"), types=IMAGE_TYPES)
    output = FormField(
        "Format",
        "output_format",
        _choice(OutputFormat, "output-format"),
        types=IMAGE_TYPES,
        classes="-row-end",
    )
    web = FormField(
        "Web search (look up references first)",
        "web_search",
        Switch(id="web-search"),
        types=IMAGE_TYPES,
    )
    refs = FormField(
        "Reference images", "image_ref", RefList("image_ref", id="image-refs"), types=IMAGE_TYPES
    )
    group.fields += [style, output]
    group.slots["image-row"] = [style, output]
    group.slots["image"] = [_single(group, web), _single(group, refs)]
    return group


def _video_group() -> FieldGroup:
    """Output settings of the video types, and the frames that guide a video."""
    group = FieldGroup("video", {})
    group.slots["video"] = [
        _row(
            group,
            FormField(
                "Duration", "video.duration", _choice(VideoDuration, "duration"), types=VIDEO_ONLY
            ),
            FormField(
                "Resolution",
                "video.resolution",
                _choice(VideoResolution, "resolution"),
                types=VIDEO_TYPES,
            ),
        ),
        _row(
            group,
            FormField("Loop", "video.loop", Switch(id="loop"), types=VIDEO_ONLY),
            FormField("HDR", "video.hdr", Switch(id="hdr"), types=HDR_TYPES),
            FormField("EXR export", "video.exr_export", Switch(id="exr"), types=HDR_TYPES),
        ),
        _single(
            group,
            FormField(
                "Start frame",
                "video.start_frame",
                RefField("video.start_frame", id="start-frame"),
                types=VIDEO_ONLY,
            ),
        ),
        _single(
            group,
            FormField(
                "End frame",
                "video.end_frame",
                RefField("video.end_frame", id="end-frame"),
                types=VIDEO_ONLY,
            ),
        ),
        _single(
            group,
            FormField(
                "Keyframes (reference, frame)",
                "video.keyframes",
                RefList("video.keyframes", index_path="video.keyframe_indexes", id="keyframes"),
                types=VIDEO_ONLY,
                extra_paths=("video.keyframe_indexes",),
            ),
        ),
    ]
    return group


def _edit_group() -> FieldGroup:
    """A video edit: its strength, and automatic or per-signal controls."""
    group = FieldGroup("edit", {})
    top = _row(
        group,
        FormField(
            "Edit strength",
            "video.edit.strength",
            _choice(VideoEditStrength, "edit-strength"),
            types=EDIT_ONLY,
        ),
        FormField(
            "Auto controls", "video.edit.auto_controls", Switch(id="auto-controls"), types=EDIT_ONLY
        ),
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
    manual_rows = [
        _row(
            group,
            *(
                FormField(label, f"{controls}.{path}", control, types=EDIT_ONLY, manual_only=True)
                for label, path, control in (part for part in row if part is not None)
            ),
        )
        for row in rows
    ]
    keyframes = FormField(
        "Edit keyframes (reference, source frame)",
        "video.edit.keyframes",
        RefList(
            "video.edit.keyframes", index_path="video.edit.keyframe_indexes", id="edit-keyframes"
        ),
        types=EDIT_ONLY,
        extra_paths=("video.edit.keyframe_indexes",),
    )
    group.slots["edit"] = [
        top,
        Vertical(*manual_rows, id="manual-controls"),
        _single(group, keyframes),
    ]
    return group


def _reframe_group() -> FieldGroup:
    group = FieldGroup("reframe", {})
    position = FormField(
        "Source position (x, y, w, h)",
        "video.source_position",
        SourcePositionInput(id="source-position"),
        types=REFRAME_ONLY,
    )
    group.slots["reframe"] = [_single(group, position)]
    return group


def _layering_group() -> FieldGroup:
    """Layer extraction: the resolution of every layer (the image to split is the source)."""
    group = FieldGroup("layering", {})
    resolution = FormField(
        "Layer resolution",
        "layering.resolution",
        _choice(LayeringResolution, "layering-resolution"),
        types=LAYERING_ONLY,
    )
    group.slots["layering"] = [_single(group, resolution)]
    return group
