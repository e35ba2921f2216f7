"""The enumerations of the Agents API reference, value for value."""

from __future__ import annotations

from enum import StrEnum


class Model(StrEnum):
    """Model identifier."""

    UNI_1 = "uni-1"
    UNI_1_MAX = "uni-1-max"
    RAY_3_2 = "ray-3.2"


class GenerationType(StrEnum):
    """The kind of generation to perform."""

    IMAGE = "image"
    IMAGE_EDIT = "image_edit"
    VIDEO = "video"
    VIDEO_EDIT = "video_edit"
    VIDEO_REFRAME = "video_reframe"
    LAYERING = "layering"

    @property
    def makes_video(self) -> bool:
        """True for the ray-3.2 types, whose output is an MP4."""
        return self in VIDEO_TYPES

    @property
    def natural_model(self) -> Model:
        """The model used when a request names none."""
        return Model.RAY_3_2 if self.makes_video else Model.UNI_1

    @property
    def needs_source(self) -> bool:
        """True for the types that transform an existing image or video."""
        return self in SOURCE_TYPES


VIDEO_TYPES = frozenset(
    {GenerationType.VIDEO, GenerationType.VIDEO_EDIT, GenerationType.VIDEO_REFRAME}
)
IMAGE_TYPES = frozenset({GenerationType.IMAGE, GenerationType.IMAGE_EDIT})
SOURCE_TYPES = frozenset(
    {
        GenerationType.IMAGE_EDIT,
        GenerationType.VIDEO_EDIT,
        GenerationType.VIDEO_REFRAME,
        GenerationType.LAYERING,
    }
)
IMAGE_MODELS = frozenset({Model.UNI_1, Model.UNI_1_MAX})


class GenerationState(StrEnum):
    """Current state of a generation, as the API reports it."""

    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"

    @property
    def is_terminal(self) -> bool:
        """True once the generation will never change again."""
        return self in (GenerationState.COMPLETED, GenerationState.FAILED)


class AspectRatio(StrEnum):
    """Output aspect ratio; the server checks the model-specific subset."""

    R_3_1 = "3:1"
    R_2_1 = "2:1"
    R_21_9 = "21:9"
    R_16_9 = "16:9"
    R_4_3 = "4:3"
    R_3_2 = "3:2"
    R_1_1 = "1:1"
    R_3_4 = "3:4"
    R_2_3 = "2:3"
    R_9_16 = "9:16"
    R_1_2 = "1:2"
    R_1_3 = "1:3"

    @property
    def ratio(self) -> float:
        """Width divided by height."""
        width, height = self.value.split(":")
        return int(width) / int(height)


class Style(StrEnum):
    """Image style preset."""

    AUTO = "auto"
    MANGA = "manga"


class OutputFormat(StrEnum):
    """Output image format."""

    PNG = "png"
    JPEG = "jpeg"


class VideoDuration(StrEnum):
    """Video duration."""

    S5 = "5s"
    S10 = "10s"

    @property
    def seconds(self) -> int:
        """The duration in whole seconds."""
        return int(self.value.removesuffix("s"))


class VideoResolution(StrEnum):
    """Ray 3.2 output resolution."""

    P360 = "360p"
    P540 = "540p"
    P720 = "720p"
    P1080 = "1080p"


class VideoEditStrength(StrEnum):
    """How much a video edit preserves or reimagines its source."""

    ADHERE_1 = "adhere_1"
    ADHERE_2 = "adhere_2"
    ADHERE_3 = "adhere_3"
    FLEX_1 = "flex_1"
    FLEX_2 = "flex_2"
    FLEX_3 = "flex_3"
    REIMAGINE_1 = "reimagine_1"
    REIMAGINE_2 = "reimagine_2"
    REIMAGINE_3 = "reimagine_3"


class PoseStrength(StrEnum):
    """Pose-conditioning strength."""

    PRECISE = "precise"
    COARSE = "coarse"


class LayeringResolution(StrEnum):
    """Resolution of every layer a layering job extracts (1k faster and cheaper)."""

    K1 = "1k"
    K2 = "2k"


class AlphaHint(StrEnum):
    """How a layer's transparency edges look: soft (hair, glass), hard, none (background)."""

    SOFT = "soft"
    HARD = "hard"
    NONE = "none"


class FileState(StrEnum):
    """Lifecycle of an uploaded file: pending until ingested, then ready or failed."""

    PENDING = "pending"
    READY = "ready"
    FAILED = "failed"
    DELETED = "deleted"

    @property
    def is_settled(self) -> bool:
        """True once the file will not change state by itself."""
        return self is not FileState.PENDING


class FilePurpose(StrEnum):
    """What an uploaded file is for: `input` is the subject, `reference` guidance."""

    INPUT = "input"
    REFERENCE = "reference"


class FailureCode(StrEnum):
    """Machine-readable reason a generation failed."""

    CONTENT_MODERATED = "content_moderated"
    GENERATION_FAILED = "generation_failed"
    BUDGET_EXHAUSTED = "budget_exhausted"
    OUTPUT_NOT_FOUND = "output_not_found"
    IMAGE_TOO_LARGE = "image_too_large"
    UNSUPPORTED_FORMAT = "unsupported_format"
    CORRUPT_INPUT = "corrupt_input"
    INVALID_REQUEST = "invalid_request"
    RATE_LIMITED = "rate_limited"


FRAMES_PER_SECOND = 24
MAX_PROMPT_CHARS = 6000
MAX_USER_ID_CHARS = 256
MAX_KEYFRAMES = 64
MAX_IMAGE_REFS = {GenerationType.IMAGE: 9, GenerationType.IMAGE_EDIT: 8}
MAX_LAYERING_PROMPT_CHARS = 500
MAX_FILE_BYTES = 5 * 1024**3
"""The Files API's ceiling for one file (the object store's single-PUT limit)."""
