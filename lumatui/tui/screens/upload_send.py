"""ctrl+j with local files to upload: each is uploaded first, then the request is sent.

A reference field holding a local file that must go through the Files API (a video, or
larger than the inline cap) sends a stand-in `file_id` while the form is checked; nothing
is read into memory. On ctrl+j each file is uploaded (progress in notifications; the same
bytes are not uploaded twice while their file lives), the stand-ins are replaced by the
real references, and only then is the request sent. An upload is not a paid job; if one
fails nothing is sent and the reason is shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lumatui.api.schema import GenerationRequest

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from textual.widget import Widget

    from lumatui.api.pricing import Price
    from lumatui.engine.uploads import LocalMedia, Uploader
    from lumatui.tui.widgets.composer import Composer

PROGRESS_STEP = 25
"""A notification each time this many more percent of a file is uploaded."""


def pending_uploads(composer: Composer) -> dict[str, LocalMedia]:
    """The stand-in file ids of the form's reference fields and the files to upload for them."""
    found: dict[str, LocalMedia] = {}
    for ref in composer.form.active_refs():
        pending = ref.pending_upload
        if pending is not None:
            found[pending[0]] = pending[1]
    return found


def replace_stand_ins(value: Any, references: dict[str, dict[str, Any]]) -> Any:
    """A copy of a JSON body with each `{"file_id": stand-in}` replaced by its reference."""
    if isinstance(value, dict):
        file_id = value.get("file_id")
        if len(value) == 1 and isinstance(file_id, str) and file_id in references:
            return dict(references[file_id])
        return {key: replace_stand_ins(item, references) for key, item in value.items()}
    if isinstance(value, list):
        return [replace_stand_ins(item, references) for item in value]
    return value


class UploadProgress:
    """Upload progress as a notification every PROGRESS_STEP percent, never a flood."""

    def __init__(self, node: Widget, name: str) -> None:
        self._node, self._name = node, name
        self._shown = -PROGRESS_STEP

    def __call__(self, sent: int, total: int) -> None:
        from lumatui.engine.uploads import size_text

        percent = 100 * sent // max(total, 1)
        if percent - self._shown >= PROGRESS_STEP or (percent == 100 > self._shown):
            self._shown = percent
            text = f"Uploading {self._name}: {percent}% of {size_text(total)}"
            self._node.notify(text, timeout=3, markup=False)


def app_uploader(node: Widget) -> Uploader:
    """An uploader on the app's backend (a LumaApp); its warnings are notifications."""
    from lumatui.backend import open_uploader

    app: Any = node.app

    def warn(text: str) -> None:
        node.notify(text, severity="warning", markup=False)

    return open_uploader(app.backend, app.paths, app.settings, warn=warn)


async def upload_all(
    node: Widget, pending: dict[str, LocalMedia]
) -> dict[str, dict[str, Any]] | None:
    """Upload every pending file; its reference by stand-in id, or None (the reason notified)
    when one fails: then nothing may be sent."""
    from lumatui.engine.media_kinds import one_line

    references: dict[str, dict[str, Any]] = {}
    if not pending:
        return references
    files = app_uploader(node)
    for stand_in, media in pending.items():
        name = media.path.name
        try:
            progress = UploadProgress(node, name)
            references[stand_in] = await files.reference_for(media, on_progress=progress)
        except Exception as exc:  # an upload failed: the paid request is not sent
            node.notify(
                f"Not sent: {name} could not be uploaded: {one_line(exc)}",
                severity="error",
                timeout=10,
                markup=False,
            )
            return None
    return references


def with_references(
    request: GenerationRequest, references: dict[str, dict[str, Any]]
) -> GenerationRequest:
    """The request with each stand-in file id replaced by its uploaded file's reference."""
    if not references:
        return request
    body = replace_stand_ins(request.to_json(), references)
    return GenerationRequest.from_stored(body)  # keeps unknown fields already allowed


async def upload_then_send(
    node: Widget,
    pending: dict[str, LocalMedia],
    request: GenerationRequest,
    price: Price | None,
    send: Callable[[GenerationRequest, Price | None], Awaitable[object]],
) -> bool:
    """Upload every pending file, then send the request with their references.

    False (nothing sent, the reason notified) when an upload fails.
    """
    references = await upload_all(node, pending)
    if references is None:
        return False
    await send(with_references(request, references), price)
    return True
