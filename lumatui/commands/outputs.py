"""A job's outputs for the command line: their files, and what each was verified to be."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lumatui.engine.jobs import Job
    from lumatui.engine.store import JobStore


def output_paths(store: JobStore, job: Job) -> list[str]:
    """The local paths of a job's downloaded outputs, in order."""
    return [o.local_path for o in store.outputs(job.id) if o.is_downloaded and o.local_path]


def output_files(store: JobStore, job: Job) -> list[dict[str, Any]]:
    """Every output of a job: index, media type, local file, size, hash, error and layer,
    and what the downloader verified it to be (`mime`, `width`, `height`, `duration_s`,
    `frame_count`: null until it is downloaded, and for what an image does not have).

    `layer` is a layering job's metadata for that output (index 0 front-most, the last the
    background), null for other jobs.
    """
    return [
        {
            "index": o.index,
            "media_type": o.media_type,
            "local_path": o.local_path if o.is_downloaded else None,
            "size_bytes": o.size_bytes,
            "sha256": o.sha256,
            "mime": o.mime,
            "width": o.width,
            "height": o.height,
            "duration_s": o.duration_s,
            "frame_count": o.frame_count,
            "error": o.error,
            "layer": o.layer,
        }
        for o in store.outputs(job.id)
    ]


def facts_text(out: dict[str, Any]) -> str:
    """`image/png 2048×1152` or `video/mp4 256×144 5.0 s 120 frames`: what was verified."""
    if not out.get("mime"):
        return ""
    parts = [str(out["mime"])]
    if out.get("width") and out.get("height"):
        parts.append(f"{out['width']}×{out['height']}")
    if out.get("duration_s") is not None:
        parts.append(f"{out['duration_s']:.1f} s")
    if out.get("frame_count"):
        parts.append(f"{out['frame_count']} frames")
    return " ".join(parts)
