"""The request composer: a form over `GenerationRequest`, checked as the person types."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from textual.await_complete import AwaitComplete
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Select, Switch, TextArea
from textual.worker import Worker, WorkerState

from lumatui.api.enums import GenerationType
from lumatui.tui.screens.load_body import open_load_body
from lumatui.tui.widgets.composer.body import has_content
from lumatui.tui.widgets.composer.composer_keys import (
    COMPOSER_BINDINGS,
    cycle_focus,
    focus_in_view,
)
from lumatui.tui.widgets.composer.composer_view import FormView
from lumatui.tui.widgets.composer.fields import VIDEO_SOURCES, compose_fields
from lumatui.tui.widgets.composer.form_check import FormCheck, Part, full_check, merge
from lumatui.tui.widgets.composer.form_field import FormField, write_control
from lumatui.tui.widgets.composer.form_layout import FormLayout
from lumatui.tui.widgets.composer.ref_field import with_local_paths
from lumatui.tui.widgets.composer.ref_kinds import GROUP as REF_KINDS
from lumatui.tui.widgets.composer.ref_kinds import RefKinds
from lumatui.tui.widgets.composer.ref_list import RefList
from lumatui.tui.widgets.composer.submit_bar import count_text
from lumatui.tui.widgets.composer.unknown import UnknownFields

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

    from textual import events
    from textual.app import ComposeResult
    from textual.binding import BindingType

    from lumatui.api.batches import BatchPlan
    from lumatui.api.field_errors import FieldError
    from lumatui.api.pricing import Price
    from lumatui.api.schema import GenerationRequest
    from lumatui.tui.widgets.composer.body import Body
    from lumatui.tui.widgets.composer.prompt_editor import PromptEditor
    from lumatui.tui.widgets.composer.ref_field import RefField

_FORM_MESSAGES = (Select.Changed, Input.Changed, TextArea.Changed, Switch.Changed)
_LOAD_QUIET = (*_FORM_MESSAGES, RefList.RowsChanged)


class Composer(Widget):
    """Type and model first, then only the fields that apply; ctrl+j asks the app to send.

    The pydantic model is the truth: the form builds a body, the client's own models check
    it, and each problem is shown under the field its JSON path names, once that field was
    touched (or ctrl+j was pressed). Fields that do not apply to the chosen type are
    hidden, keep their values, and are never sent. A key re-reads only the field it
    changed (see `form_check`); ctrl+j reads every field again and sends what it checked.
    """

    BINDINGS: ClassVar[list[BindingType]] = COMPOSER_BINDINGS

    @dataclass
    class SubmitRequested(Message):
        """ctrl+j was pressed on a valid form; the app submits `request`."""

        request: GenerationRequest
        price: Price | None = None
        plan: BatchPlan | None = None  # the jobs it makes: alternatives x runs, priced

    @dataclass
    class Changed(Message):
        """Whether the form can be sent changed, or its problems or price did."""

        valid: bool
        problems: list[FieldError] = field(default_factory=list)
        price: Price | None = None

    def __init__(
        self,
        *,
        price_overrides: Mapping[str, float | None] | None = None,
        kind_lookup: Callable[[str], str | None] | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.price_overrides: dict[str, float | None] = dict(price_overrides or {})
        self.kinds = RefKinds(self, kind_lookup, on_learned=self._kinds_learned)
        self.form = FormLayout()
        self.checker = FormCheck(self.kinds.known)
        self.view = FormView(self)
        self.unknown = UnknownFields()  # a loaded body's fields this version does not know
        self._kind = GenerationType.IMAGE
        self.touched: set[str] = set()
        self.revealed = False
        self.server_errors: list[FieldError] = []
        self._loading = False
        self.revision = 0  # up with every change (the draft is saved again only when it moved)
        self._baseline: Body | None = {}  # what the form held when last loaded or sent

    def compose(self) -> ComposeResult:
        """The scrolling form (the first type's groups with it), the JSON preview, the bar."""
        with _Form(id="composer-form"):
            yield from compose_fields(self.form.prefill(self._kind))
            yield self.view.runs
            with self.view.panel:
                yield self.view.preview
        yield self.unknown.line
        yield self.view.bar

    def on_mount(self) -> None:
        """Register the fields, show the image ones, check the empty form (quietly)."""
        self.form.attach(self)
        self.prompt_editor.on_change = self._prompt_changed
        self.form.show_type(self._kind, auto_controls=False)
        self.checker.replace_all(self._read_parts())
        self.view.show()
        self.focus_prompt()

    # -- the public interface -------------------------------------------------------------

    @property
    def prompt_editor(self) -> PromptEditor:
        """The prompt field's editor."""
        return self.form.fields["prompt"].control  # type: ignore[return-value]

    def focus_prompt(self) -> None:
        """Put the cursor in the prompt now: the next key typed lands there."""
        focus_in_view(self.prompt_editor.area)

    def clear_prompt(self) -> None:
        """Empty the prompt (one undoable edit)."""
        self.prompt_editor.area.clear()

    def to_request(self) -> GenerationRequest | None:
        """The request the form holds at this instant, or None while anything is invalid."""
        return self.unknown.outcome(full_check(self._read_parts(), self.kinds.known)).request

    def draft_body(self) -> Body:
        """The form at this instant (valid request or draft), a local file as its path."""
        outcome = self.unknown.outcome(full_check(self._read_parts(), self.kinds.known))
        body = outcome.request.to_json() if outcome.request is not None else outcome.body
        return with_local_paths(body)  # type: ignore[no-any-return]

    def holds_unsent_draft(self) -> bool:
        """True when the form holds something typed or chosen that was neither sent nor
        loaded as it is (replacing it would lose the person's work)."""
        body = self.draft_body()
        return has_content(body) and body != self._baseline

    def mark_sent(self, request: GenerationRequest | None) -> None:
        """The request was sent: the form is no longer an unsent draft (None: it was not)."""
        self._baseline = None if request is None else with_local_paths(request.to_json())

    def load(self, request: GenerationRequest) -> Awaitable[None]:
        """Refill every field from `request` (branching from the lineage uses this)."""
        return self.load_body({**request.to_json(), "type": str(request.effective_type)})

    def load_body(self, body: Mapping[str, Any], *, as_draft: bool = False) -> Awaitable[None]:
        """Refill every field from a JSON body that may be incomplete (e.g. an empty prompt).

        Atomic as far as keys are concerned: every value is in place, and checked, when
        this returns; the change messages the controls would post are not sent (handled
        later, they used to undo what the person typed meanwhile). The result can be
        awaited until the fields of a newly needed group are mounted. `as_draft` loads an
        unsent draft (restored or unstashed): it still counts as the person's work.
        """
        body = self.unknown.take(body)  # the form gets the fields it knows
        kind = str(body.get("type") or GenerationType.IMAGE)
        if kind not in set(GenerationType):
            kind = str(GenerationType.IMAGE)
        with self.prevent(*_LOAD_QUIET):
            self._loading = True
            try:
                self.view.forget_choices()  # the old form's model and ratio
                self._select("type").value = kind
                mounts = self._apply_type()
                write_control(self._select("model"), body.get("model"))
                self._apply_ratios()
                for form_field in self.form.fields.values():
                    if form_field.path not in ("type", "model"):
                        form_field.load_json(dict(body))
                self._apply_visibility()
                if body.get("user_id"):
                    self.form.advanced.collapsed = False
            finally:
                self._loading = False
        parts = self._read_parts()
        self.checker.replace_all(parts)
        self.touched = {p for path, part in parts.items() if part.body for p in self._paths(path)}
        self.touched.update(self.unknown.check_taken(body, merge(parts.values())))
        self.revealed = False
        self.server_errors = []
        self.kinds.ask_parts(parts.values())
        self.revision += 1
        self.view.show()
        self._baseline = None if as_draft else self.draft_body()
        return AwaitComplete(*mounts)

    def know_reference(self, generation_id: str, kind: str) -> None:
        """Tell the form what a generation made ("image" or "video"), as the history knows."""
        self.kinds.learn(generation_id, kind)

    def use_selected(self, generation_id: str) -> None:
        """Put the selected job's id in the focused reference, else the source or a free one."""
        focused = self.screen.focused if self.is_mounted else None
        target = self.form.ref_of(focused, self) or self.form.reference_target()
        if target is None:
            self.notify(
                f"A {self._kind} request has no free reference: add a keyframe row first.",
                severity="warning",
                markup=False,
            )
            return
        target.set_text(generation_id)

    def show_server_errors(self, errors: list[FieldError]) -> None:
        """Show a 400/422's field errors under the fields they name (until the next edit)."""
        self.server_errors = list(errors)
        self.view.show()

    def remember(self, prompt: str) -> None:
        """Add a sent prompt to this session's history (up/down in the prompt recall it)."""
        self.prompt_editor.remember(prompt)

    # -- keys ---------------------------------------------------------------------------------

    async def action_submit(self) -> None:
        """Read and check every field now; send exactly that, or say why it cannot be sent."""
        for ref in self.form.active_refs():  # a file still being read is waited for
            await ref.settle()
        await self.kinds.settle(self._read_parts().values())
        parts = self._read_parts()
        outcome = full_check(parts, self.kinds.known)
        self.checker.replace_all(parts)
        self.revealed = True
        price = self.view.show(outcome, preview=True)
        outcome = self.view.checked or outcome  # with the batch's problems (alternatives, runs)
        if outcome.request is not None:
            message = self.SubmitRequested(outcome.request, price, self.view.plan)
            self.unknown.confirm(self, lambda: self.post_message(message))  # asks if any
            return
        first = outcome.errors[0] if outcome.errors else "the form is not complete"
        count = count_text(len(outcome.errors), "problem")
        self.notify(f"Not sent: {count}. First: {first}", severity="warning", markup=False)

    def action_load_body(self) -> None:
        """Load a request body from a JSON file or pasted JSON (ctrl+l)."""
        open_load_body(self)

    def action_toggle_preview(self) -> None:
        """Show or hide the JSON body."""
        self.view.toggle_preview()

    def action_cycle(self, step: int) -> None:
        """tab / shift+tab: the next or previous field, round inside the composer."""
        cycle_focus(self, step)

    # -- changes the person made -------------------------------------------------------------

    def _prompt_changed(self) -> None:
        """Called inside the prompt's key handling: count, prompt line and bar, this frame."""
        if self._loading or not self.is_mounted:
            return
        self._reread(self.form.fields["prompt"])

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        """The prompt was handled when it changed (see `_prompt_changed`)."""
        event.stop()

    async def on_select_changed(self, event: Select.Changed) -> None:
        """Type and model decide which fields and ratios apply."""
        event.stop()
        select = event.select
        if select.id == "type":
            with self.prevent(*_FORM_MESSAGES):
                mounts = self._apply_type()
            self.touched.add("type")
            self.checker.replace_all(self._read_parts())
            self.view.show()
            for mounted in mounts:  # the next key waits for these (see tui.key_order)
                await mounted
            return
        if select.id == "model":
            with self.prevent(*_FORM_MESSAGES):
                self._apply_ratios()
            self._reread(self.form.fields["aspect_ratio"], show=False)
        self._reread(self.form.field_of(select, self))

    def on_switch_changed(self, event: Switch.Changed) -> None:
        """Auto controls hide the manual ones."""
        event.stop()
        if event.switch.id == "auto-controls":
            self._apply_visibility()
            self.checker.replace_all(self._read_parts())
        self._reread(self.form.field_of(event.switch, self))

    def on_input_changed(self, event: Input.Changed) -> None:
        """A character typed in a box: read that field again."""
        event.stop()
        self._reread(self.form.field_of(event.input, self))

    def on_ref_field_loaded(self, event: RefField.Loaded) -> None:
        """A local file was read (or refused): read that field again."""
        self._reread(self.form.field_of(event.field, self))

    def on_ref_list_rows_changed(self, event: RefList.RowsChanged) -> None:
        """A row was added or removed: read that list again."""
        self._reread(self.form.field_of(event.ref_list, self))

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """The label of the field that has focus is highlighted (and only that label)."""
        self.form.highlight(self.form.field_of(event.widget, self))

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        """Focus left the composer: no label is highlighted."""
        focused = self.screen.focused
        if focused is None or self not in focused.ancestors:
            self.form.highlight(None)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A lookup of what a referenced generation made finished."""
        if event.worker.group != REF_KINDS:
            return
        event.stop()
        if event.state in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            self.kinds.finished(event.worker)

    def _kinds_learned(self) -> None:
        self.checker.forget_rest()
        self.view.show()

    # -- inner workings ---------------------------------------------------------------------

    def _select(self, path: str) -> Select[Any]:
        return self.form.fields[path].control  # type: ignore[return-value]

    def _paths(self, path: str) -> tuple[str, ...]:
        form_field = self.form.fields.get(path)
        return form_field.paths if form_field is not None else (path,)

    def _read_parts(self) -> dict[str, Part]:
        """Every active field's part, read from its widgets now."""
        return {f.path: f.part() for f in self.form.active()}

    def _reread(self, form_field: FormField | None, *, show: bool = True) -> None:
        """One field changed: read it again, check what it takes part in, show the outcome."""
        if form_field is None or self._loading:
            return
        if form_field.active:
            part = form_field.part()
            self.checker.put(form_field.path, part)
            if form_field.path != "prompt":
                self.kinds.ask_parts([part])
        self.touched.update(form_field.paths)
        self.unknown.edited(form_field.paths)
        self.revision += 1
        self.server_errors = []  # an edit makes the server's verdict stale
        if show:
            self.view.show()

    def _apply_type(self) -> list[Any]:
        """Show the fields of the chosen type; the model list follows the family."""
        kind = GenerationType(str(self._select("type").value))  # never blank
        self.view.apply_models(self._select("model"), self._kind, kind)
        self._kind = kind
        mounts = self.form.show_type(kind, auto_controls=self._auto_controls())
        source = self.form.fields.get("source")
        if source is not None:
            source.control.want = "video" if kind in VIDEO_SOURCES else "image"  # type: ignore[attr-defined]
        self._apply_ratios()
        return mounts

    def _apply_ratios(self) -> None:
        self.view.apply_ratios(
            self._select("model"), self._select("aspect_ratio"), self._kind.natural_model
        )

    def _auto_controls(self) -> bool:
        switch = self.form.fields.get("video.edit.auto_controls")
        return bool(switch is not None and switch.control.value)  # type: ignore[attr-defined]

    def _apply_visibility(self) -> None:
        self.form.apply(self._kind, auto_controls=self._auto_controls())


class _Form(VerticalScroll, can_focus=False):
    """The scrolling form: focus is always in a field (scrolling follows it), so tab never
    stops on the container itself."""
