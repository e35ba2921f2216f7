"""The request and response of `POST /generations`, exactly as the reference defines them.

The same models validate in the composer form, the client and the simulator. Rules that
span several fields live in `lumatui.api.rules`; each failure carries its JSON path as the
`loc` of a pydantic error, and `lumatui.api.field_errors` turns it into `video.keyframes[2]`.
"""

from __future__ import annotations

import binascii
import json
from typing import Annotated, Any, Self
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    Strict,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from lumatui.api import rules
from lumatui.api.enums import (
    MAX_PROMPT_CHARS,
    MAX_USER_ID_CHARS,
    AlphaHint,
    AspectRatio,
    FailureCode,
    GenerationState,
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
from lumatui.api.field_errors import json_path as json_path_of
from lumatui.api.model_fields import put_at, split_fields

# Strict: the API types these as JSON numbers and booleans, so "12" and "true" are refused
# rather than coerced (a body that passes here must pass at the server).
Bool = Annotated[bool, Strict()]
UnitFloat = Annotated[float, Strict(), Field(ge=0, le=1)]
FrameIndex = Annotated[int, Strict(), Field(ge=0)]
NormFloat = Annotated[float, Strict()]


def parse_uuid(value: str) -> str:
    """Return `value` as a canonical lower-case UUID, or raise a readable error."""
    try:
        return str(UUID(value))
    except (ValueError, AttributeError, TypeError):
        raise PydanticCustomError(
            "uuid",
            "must be a generation id, a UUID like 182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e",
        ) from None


def parse_file_id(value: str) -> str:
    """Return a file id as a canonical lower-case UUID, or raise a readable error."""
    try:
        return str(UUID(value))
    except (ValueError, AttributeError, TypeError):
        raise PydanticCustomError(
            "uuid", "must be a file id from the Files API, a UUID (`lumatui files list`)"
        ) from None


def _not_null(value: object) -> object:
    """A field the API types as non-nullable: leave it out for the default, never send null."""
    if value is None:
        raise PydanticCustomError("not_null", "must not be null; leave it out for the default")
    return value


class _Request(BaseModel):
    """Base of every request model: unknown fields are mistakes, not data."""

    model_config = ConfigDict(extra="forbid")

    def to_json(self) -> dict[str, Any]:
        """The JSON body to send: only the fields that were set."""
        return self.model_dump(mode="json", exclude_unset=True, exclude_none=True)


class ImageRef(_Request):
    """A media reference: exactly one of url, inline base64 data, a generation id or a file id."""

    data: str | None = None
    file_id: str | None = None
    generation_id: str | None = None
    media_type: str | None = None
    url: str | None = None

    @field_validator("generation_id")
    @classmethod
    def _generation_id_is_uuid(cls, value: str | None) -> str | None:
        return None if value is None else parse_uuid(value)

    @field_validator("file_id")
    @classmethod
    def _file_id_is_uuid(cls, value: str | None) -> str | None:
        return None if value is None else parse_file_id(value)

    @field_validator("url")
    @classmethod
    def _url_is_http(cls, value: str | None) -> str | None:
        if value is None:
            return None
        scheme, _, rest = value.partition("://")
        if scheme.lower() not in ("http", "https") or not rest.split("/")[0]:
            raise PydanticCustomError(
                "url", "must be a public http(s) URL such as https://example.com/cat.png"
            )
        return value

    @field_validator("data")
    @classmethod
    def _data_is_base64(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if value.startswith("data:"):
            raise PydanticCustomError(
                "base64",
                "is plain base64, not a data: URL; put the MIME type in media_type",
            )
        try:
            binascii.a2b_base64(value.encode("ascii"), strict_mode=True)
        except (binascii.Error, UnicodeEncodeError):
            raise PydanticCustomError("base64", "is not valid base64") from None
        if not value:
            raise PydanticCustomError("base64", "is empty")
        return value

    @field_validator("media_type")
    @classmethod
    def _media_type_shape(cls, value: str | None) -> str | None:
        if value is None:
            return None
        kind, slash, subtype = value.partition("/")
        if not slash or not kind or not subtype or " " in value:
            raise PydanticCustomError(
                "media_type", "must be a MIME type such as image/png or video/mp4"
            )
        return value.lower()

    @model_validator(mode="after")
    def _exactly_one_origin(self) -> ImageRef:
        rules.raise_if(rules.image_ref_problems(self))
        return self

    @property
    def origin(self) -> str:
        """Which of url, data, generation_id or file_id this reference uses."""
        if self.generation_id is not None:
            return "generation_id"
        if self.file_id is not None:
            return "file_id"
        return "data" if self.data is not None else "url"


class DepthControl(_Request):
    """Depth / scene-geometry conditioning."""

    blur: UnitFloat | None = None
    enabled: Bool | None = None


class FaceControl(_Request):
    """Face-identity conditioning."""

    enabled: Bool | None = None


class NormalsControl(_Request):
    """Surface-normals conditioning."""

    augmentation: UnitFloat | None = None
    enabled: Bool | None = None


class PoseControl(_Request):
    """Pose / skeleton conditioning."""

    enabled: Bool | None = None
    strength: PoseStrength | None = None


class TrajectoryControl(_Request):
    """Motion-trajectory conditioning."""

    enabled: Bool | None = None
    sparsity: UnitFloat | None = None


class AdvancedControls(_Request):
    """Per-signal manual conditioning controls for video edits."""

    depth: DepthControl | None = None
    face: FaceControl | None = None
    normals: NormalsControl | None = None
    pose: PoseControl | None = None
    trajectory: TrajectoryControl | None = None


class VideoEditOptions(_Request):
    """Ray 3.2 video-to-video edit controls (type video_edit only)."""

    auto_controls: Bool | None = None
    controls: AdvancedControls | None = None
    keyframe_indexes: list[FrameIndex] | None = None
    keyframes: list[ImageRef] | None = None
    strength: VideoEditStrength | None = None


class SourcePosition(_Request):
    """Normalized source rectangle inside the output canvas (video_reframe)."""

    h_norm: Annotated[NormFloat, Field(gt=0, le=2)]
    w_norm: Annotated[NormFloat, Field(gt=0, le=2)]
    x_norm: Annotated[NormFloat, Field(ge=-2, le=2)]
    y_norm: Annotated[NormFloat, Field(ge=-2, le=2)]


class VideoOptions(_Request):
    """Ray 3.2 video request options."""

    duration: VideoDuration | None = None
    edit: VideoEditOptions | None = None
    end_frame: ImageRef | None = None
    exr_export: Bool | None = None
    hdr: Bool | None = None
    keyframe_indexes: list[FrameIndex] | None = None
    keyframes: list[ImageRef] | None = None
    loop: Bool | None = None
    resolution: VideoResolution | None = None
    source_position: SourcePosition | None = None
    start_frame: ImageRef | None = None

    @property
    def frame_count(self) -> int:
        """The last output-frame index of the duration x 24 fps grid."""
        return (self.duration or VideoDuration.S5).seconds * 24


class LayeringOptions(_Request):
    """Layer extraction (type layering, model uni-1): the resolution of every layer."""

    resolution: LayeringResolution | None = None

    _resolution_not_null = field_validator("resolution", mode="before")(_not_null)


class GenerationRequest(_Request):
    """The body of `POST /generations`, with every rule of the reference enforced.

    `type`, `model`, `style`, `image_ref` and `web_search` are non-nullable, as Luma's SDK
    types them: leaving one out means the default, `null` is refused. Fields this version
    does not know ride along only when a person allowed them (`with_unknown_fields`).
    """

    prompt: Annotated[str, Field(min_length=1, max_length=MAX_PROMPT_CHARS)]
    aspect_ratio: AspectRatio | None = None
    image_ref: list[ImageRef] | None = None
    layering: LayeringOptions | None = None
    model: Model | None = None
    output_format: OutputFormat | None = None
    source: ImageRef | None = None
    style: Style | None = None
    type: GenerationType | None = None
    user_id: Annotated[str, Field(max_length=MAX_USER_ID_CHARS)] | None = None
    video: VideoOptions | None = None
    web_search: Bool | None = None

    _unknown_fields: dict[str, tuple[tuple[str | int, ...], Any]] = PrivateAttr(
        default_factory=dict
    )

    _non_nullable = field_validator(
        "type", "model", "style", "image_ref", "web_search", mode="before"
    )(_not_null)

    @model_validator(mode="after")
    def _reference_rules(self) -> GenerationRequest:
        rules.raise_if(rules.request_problems(self))
        return self

    def with_unknown_fields(self, fields: list[tuple[tuple[str | int, ...], Any]]) -> Self:
        """A copy that also sends `fields` (loc, value) this version does not know, as given."""
        copy = self.model_copy()
        copy._unknown_fields = {json_path_of(loc): (loc, value) for loc, value in fields}
        return copy

    @classmethod
    def from_stored(cls, body: str | dict[str, Any]) -> Self:
        """A request as it was stored: fields unknown to this version were allowed then."""
        data = json.loads(body) if isinstance(body, str) else body
        if not isinstance(data, dict):
            return cls.model_validate(data)
        known, unknown = split_fields(data, cls)
        request = cls.model_validate(known)
        return request.with_unknown_fields(unknown) if unknown else request

    @property
    def unknown_fields(self) -> list[tuple[tuple[str | int, ...], Any]]:
        """The fields this version does not know that are sent as given (loc, value)."""
        return list(self._unknown_fields.values())

    def to_json(self) -> dict[str, Any]:
        """The JSON body to send: the fields that were set, and any allowed unknown ones."""
        body = super().to_json()
        for loc, value in self._unknown_fields.values():
            put_at(body, loc, value)
        return body

    @property
    def effective_type(self) -> GenerationType:
        """The type the server will run: `image` when none is given."""
        return self.type or GenerationType.IMAGE

    @property
    def effective_model(self) -> Model:
        """The model the server will use: the type's natural model when none is given."""
        return self.model or self.effective_type.natural_model


class _Response(BaseModel):
    """Base of response models: fields the server adds later are kept, not refused."""

    model_config = ConfigDict(extra="allow")


_KNOWN_FIRST = Field(union_mode="left_to_right")


class OutputLayer(_Response):
    """What one output of a layering job is: its place front to back and what it shows.

    `index` 0 is the front-most layer; the last is the opaque background. An `alpha_hint`
    this client does not know is kept as a plain string.
    """

    index: Annotated[int, Field(ge=0)]
    label: str = ""
    description: str = ""
    alpha_hint: Annotated[AlphaHint | str, _KNOWN_FIRST] = AlphaHint.NONE


class GenerationOutput(_Response):
    """One generated output: its media type, a presigned URL (1 hour) and, for layers, its layer."""

    type: str
    url: str
    layer: OutputLayer | None = None


class Generation(_Response):
    """Generation status and output, as returned by create and get.

    Enum fields keep values this client does not know yet (a new model or state) as
    plain strings, so a newer server never crashes an older client.
    """

    id: str
    created_at: str
    model: Annotated[Model | str, _KNOWN_FIRST]
    state: Annotated[GenerationState | str, _KNOWN_FIRST]
    type: Annotated[GenerationType | str, _KNOWN_FIRST]
    failure_code: Annotated[FailureCode | str | None, _KNOWN_FIRST] = None
    failure_reason: str | None = None
    output: list[GenerationOutput] | None = None

    @field_validator("id")
    @classmethod
    def _id_is_uuid(cls, value: str) -> str:
        return parse_uuid(value)

    @property
    def is_terminal(self) -> bool:
        """True once the state is completed or failed; an unknown state keeps being polled."""
        return isinstance(self.state, GenerationState) and self.state.is_terminal
