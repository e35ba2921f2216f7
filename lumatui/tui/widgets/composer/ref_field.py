"""One image reference: a URL, a local file, a generation id, or the job selected in the list."""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Input, Static
from textual.worker import Worker, WorkerState

from lumatui.api.field_errors import FieldError
from lumatui.api.files_client import DEFAULT_INLINE_CAP
from lumatui.engine.local_refs import (
    LocalRefError,
    RefKind,
    classify_ref_text,
    is_full_uuid,
    load_local_ref,
)
from lumatui.engine.uploads import LocalMedia, inspect_local_media
from lumatui.tui.widgets.composer.body import get_path, set_path, size_text
from lumatui.tui.widgets.composer.path_suggester import PathSuggester
from lumatui.tui.widgets.composer.visible import SafeInput

if TYPE_CHECKING:
    from textual.app import ComposeResult

    from lumatui.api.schema import ImageRef
    from lumatui.tui.widgets.composer.body import Body

_PLACEHOLDER = "URL, file path or generation id"
_STAND_INS: dict[str, str] = {}
"""Stand-in file id -> the path it stands for (this process): a body read back in this
process shows the path again, not an id no server knows."""
LOCAL_PATH_KEY = "lumatui_local_path"
"""In a draft, a reference to a local file uploaded on send: `{"lumatui_local_path": P}`.
Stand-in ids die with the process; the path survives a restart, is checked again when the
draft is restored, and ctrl+j uploads it (or reuses the file id remembered for its bytes).
Never sent: only drafts hold it."""


def with_local_paths(value: Any) -> Any:
    """A copy of a form body with each stand-in `{"file_id"}` written as its local path."""
    if isinstance(value, dict):
        file_id = value.get("file_id")
        if len(value) == 1 and isinstance(file_id, str) and file_id in _STAND_INS:
            return {LOCAL_PATH_KEY: _STAND_INS[file_id]}
        return {key: with_local_paths(item) for key, item in value.items()}
    if isinstance(value, list):
        return [with_local_paths(item) for item in value]
    return value


def _load(text: str, want: str, cap: int) -> tuple[str, str, ImageRef | LocalMedia | str]:
    """Thread worker: the file's reference, the file to upload (a video, or above the inline
    cap: never read into memory), or the sentence saying why it cannot be used."""
    try:
        media = inspect_local_media(text, want=want, inline_cap=cap)
        return text, want, media if media.upload else load_local_ref(text, want=want)
    except LocalRefError as exc:
        return text, want, str(exc)


class RefField(Widget):
    """Holds one reference; local files are read, sniffed and encoded in a thread worker.

    The field is the truth for its value even before it is mounted, so `Composer.load` can
    refill list rows and read them back at once.
    """

    @dataclass
    class Loaded(Message):
        """A local file finished loading, or failed to (the form should check again)."""

        field: RefField

    want: reactive[str] = reactive("image", init=False)
    """The media family this position takes: "image", or "video" for video sources."""

    def __init__(
        self,
        path: str,
        *,
        value: dict[str, Any] | None = None,
        want: str = "image",
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.path = path
        self.set_reactive(RefField.want, want)
        self._text = SafeInput(
            placeholder=_PLACEHOLDER,
            suggester=PathSuggester(),
            compact=True,
            classes="ref-text",
        )
        self._media = SafeInput(
            placeholder="media type, e.g. video/mp4", compact=True, classes="ref-media"
        )
        self._status = Static("", classes="ref-status", markup=False)
        self._inline: tuple[str, ImageRef] | None = None  # (text it answers, loaded reference)
        self._failure: tuple[str, str] | None = None  # (text it answers, why)
        self._upload: tuple[str, LocalMedia, str] | None = None  # (text, file, stand-in id)
        self._loading: Worker[Any] | None = None
        self._loading_text: tuple[str, str] | None = None  # what `_loading` checks
        if value:
            self._show_json(value)

    def compose(self) -> ComposeResult:
        """The reference text, its media type (URL sources of a video edit) and a status line."""
        yield self._text
        yield self._media
        yield self._status

    def on_mount(self) -> None:
        """Show the media type box where it applies and start loading a path given at creation."""
        self._refresh_parts()
        if self.kind is RefKind.PATH and self._inline is None:
            self._start_load()

    @property
    def text(self) -> str:
        """What the person typed."""
        return self._text.value

    @property
    def kind(self) -> RefKind:
        """What the typed text names."""
        return classify_ref_text(self.text)

    @property
    def is_empty(self) -> bool:
        """True when nothing is typed."""
        return self.kind is RefKind.EMPTY

    def set_text(self, text: str) -> None:
        """Replace the reference (the selected job's id, say) as if it had been typed."""
        self._text.value = text
        self._text.cursor_position = len(text)

    def focus_text(self) -> None:
        """Put the cursor in the reference box now (the next key typed lands there)."""
        if self._text.is_attached:
            self._text.screen.set_focus(self._text)

    def watch_want(self) -> None:
        """A loaded file may be the wrong kind now: load it again."""
        self._inline = self._failure = self._upload = None
        self._refresh_parts()
        if self.kind is RefKind.PATH and self.is_attached:
            self._start_load()

    def on_input_changed(self, event: Input.Changed) -> None:
        """Start loading a local path; URLs and ids need nothing more."""
        if event.input is self._text:
            self._refresh_parts()
            if self.kind is RefKind.PATH and not self._checking_current_text():
                self._start_load()

    def _checking_current_text(self) -> bool:
        """A file loaded for, or a check under way of, exactly what is typed now.

        A failure does not count: the file may have appeared since, so it is read again.
        """
        loaded = self._answers(self._inline) or self._answers(self._upload)
        running = self._loading is not None and not self._loading.is_finished
        return loaded or (running and self._loading_text == (self.text, self.want))

    def _answers(self, pair: tuple[str, object] | tuple[str, object, str] | None) -> bool:
        return pair is not None and pair[0] == self.text

    def _start_load(self) -> None:
        self._failure = None
        self._show_status("reading the file…")
        settings = getattr(self.app, "settings", None)  # the workstation's inline cap
        cap = getattr(settings, "inline_cap_bytes", DEFAULT_INLINE_CAP)
        self._loading_text = (self.text, self.want)
        self._loading = self.run_worker(
            partial(_load, self.text, self.want, cap),
            thread=True,
            exclusive=True,
            group="ref-load",
            exit_on_error=False,
        )

    async def settle(self) -> None:
        """Wait for the file check of what is typed now (ctrl+j reads the form after).

        The text's change message may not have been handled yet (a path pasted, then ctrl+j
        at once): then the check starts here, so no path is ever read as unchecked.
        """
        if self.kind is RefKind.PATH and not self._checking_current_text():
            self._start_load()
        worker = self._loading
        if worker is None or (worker.is_finished and worker.state is not WorkerState.SUCCESS):
            return
        with contextlib.suppress(Exception):
            await worker.wait()
        self._keep(worker, announce=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Keep the result when it still answers what is typed, then ask for a new check."""
        event.stop()
        if event.state is WorkerState.SUCCESS:
            self._keep(event.worker, announce=True)

    def _keep(self, worker: Worker[Any], *, announce: bool) -> None:
        outcome = worker.result
        if worker.state is not WorkerState.SUCCESS or not isinstance(outcome, tuple):
            return
        text, want, result = outcome  # see _load
        if text != self.text or want != self.want:
            return  # typed on meanwhile; a newer load is on its way
        if isinstance(result, str):
            self._failure = (text, result)
        elif isinstance(result, LocalMedia):
            stand_in = next((k for k, v in _STAND_INS.items() if v == text), str(uuid.uuid4()))
            _STAND_INS[stand_in] = text
            self._upload = (text, result, stand_in)
        else:
            self._inline = (text, result)
        self._refresh_parts()
        if announce:
            self.post_message(self.Loaded(self))

    def _refresh_parts(self) -> None:
        """The media type box (video sources by URL) and the status line."""
        url = self.kind is RefKind.URL
        self._media.display = url and (self.want == "video" or bool(self._media.value))
        status = ""
        if self._answers(self._inline) and self._inline is not None:
            ref = self._inline[1]
            size = len((ref.data or "").rstrip("=")) * 3 // 4
            status = f"{ref.media_type}, {size_text(size)} inline"
        elif self._answers(self._upload) and self._upload is not None:
            status = f"{self._upload[1].mime_type}, {self._upload[1].describe()}"
        self._show_status(status)

    def _show_status(self, status: str) -> None:
        self._status.update(status)
        self._status.display = bool(status)

    def contribute(self, body: Body, problems: list[FieldError]) -> None:
        """Write the reference at this field's path (nothing when empty)."""
        ref = self.ref_json(problems)
        if ref is not None:
            set_path(body, self.path, ref)

    def ref_json(self, problems: list[FieldError]) -> dict[str, Any] | None:
        """The reference as JSON (None when empty); a local problem is added to `problems`."""
        text = self.text.strip()
        kind = self.kind
        if kind is RefKind.EMPTY:
            return None
        if kind is RefKind.URL:
            media = self._media.value.strip()
            return {"url": text, **({"media_type": media} if media else {})}
        if kind is RefKind.GENERATION_ID:
            if not is_full_uuid(text):
                problems.append(
                    FieldError(
                        self.path,
                        f"{text} is a short id: give the whole generation id, or select the job",
                    )
                )
            return {"generation_id": text}
        if kind is RefKind.FILE:
            file_id = text.removeprefix("file:").strip()
            if not is_full_uuid(file_id):
                problems.append(FieldError(self.path, f"{text} is not file:<the file's whole id>"))
            return {"file_id": file_id}
        if self._answers(self._inline) and self._inline is not None:
            return self._inline[1].to_json()
        if self._answers(self._upload) and self._upload is not None:
            return {"file_id": self._upload[2]}  # a stand-in, replaced once it is uploaded
        if self._answers(self._failure) and self._failure is not None:
            problems.append(FieldError(self.path, self._failure[1]))
        else:
            problems.append(FieldError(self.path, "is still being read from disk"))
        return {}

    @property
    def pending_upload(self) -> tuple[str, LocalMedia] | None:
        """The stand-in file id this field sends and the local file to upload in its place."""
        if self.kind is RefKind.PATH and self._answers(self._upload) and self._upload:
            return self._upload[2], self._upload[1]
        return None

    def load_json(self, body: Body) -> None:
        """Show the reference `body` holds at this field's path."""
        self._show_json(get_path(body, self.path))

    def _show_json(self, ref: Any) -> None:
        self._inline = self._failure = self._upload = None
        self._media.value = ""
        if not isinstance(ref, dict):
            self._text.value = ""
        elif ref.get("data") is not None:
            from lumatui.api.schema import ImageRef

            # Inline data cannot be shown; a label stands for it and keeps answering for it.
            # It came from a request that was valid, so it is not decoded again here.
            loaded = ImageRef.model_construct(**ref)
            label = f"(inline {loaded.media_type}, {size_text(len(ref['data']) * 3 // 4)})"
            self._inline = (label, loaded)
            self._text.value = label
        elif ref.get("file_id") in _STAND_INS or isinstance(ref.get(LOCAL_PATH_KEY), str):
            path = _STAND_INS.get(str(ref.get("file_id")), ref.get(LOCAL_PATH_KEY))
            self._text.value = str(path or "")
            if self.is_mounted:
                self._start_load()  # checked again (the form's load sends no Changed)
        elif ref.get("file_id"):
            self._text.value = f"file:{ref['file_id']}"
        else:
            self._text.value = str(ref.get("url") or ref.get("generation_id") or "")
            self._media.value = str(ref.get("media_type") or "")
        self._refresh_parts()
