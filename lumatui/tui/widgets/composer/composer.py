"""The request composer: a form over `GenerationRequest`, checked as the person types."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Collapsible, Input, Select, Switch, TextArea

from lumatui.api.enums import GenerationType, Model
from lumatui.api.pricing import Price, price_of
from lumatui.tui.widgets.composer.error_line import ErrorLine, Severity
from lumatui.tui.widgets.composer.fields import (
    VIDEO_SOURCES,
    compose_fields,
    model_options,
    ratio_options,
)
from lumatui.tui.widgets.composer.form_field import FormField, write_control
from lumatui.tui.widgets.composer.notes import route_notes
from lumatui.tui.widgets.composer.prompt_editor import PromptEditor
from lumatui.tui.widgets.composer.ref_field import RefField
from lumatui.tui.widgets.composer.ref_list import RefList
from lumatui.tui.widgets.composer.request_preview import RequestPreview
from lumatui.tui.widgets.composer.submit_bar import SubmitBar, count_text, price_text
from lumatui.tui.widgets.composer.validation import Checked, check_body

if TYPE_CHECKING:
    from collections.abc import Mapping

    from textual.app import ComposeResult

    from lumatui.api.field_errors import FieldError
    from lumatui.api.schema import GenerationRequest
    from lumatui.tui.widgets.composer.body import Body


class Composer(Widget):
    """Type and model first, then only the fields that apply; ctrl+j asks the app to send.

    The pydantic model is the truth: the form builds a body, the client's own models check
    it, and each problem is shown under the field its JSON path names. Fields that do not
    apply to the chosen type are hidden, keep their values, and are never sent.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+j",
            "submit",
            "Submit",
            id="composer.submit",
            tooltip="Send the request (refused, with the reason, while the form has problems)",
        ),
        Binding(
            "ctrl+o",
            "toggle_preview",
            "JSON",
            id="composer.toggle_preview",
            tooltip="Show or hide the exact JSON body that will be sent",
        ),
    ]

    problems: reactive[list[FieldError]] = reactive(list, init=False)
    """What stops the request from being sent, each at its JSON path."""
    warnings: reactive[list[FieldError]] = reactive(list, init=False)
    """What the server is likely to refuse for this model (capabilities); does not block."""

    @dataclass
    class SubmitRequested(Message):
        """ctrl+j was pressed on a valid form; the app submits `request`."""

        request: GenerationRequest
        price: Price | None = None

    @dataclass
    class Changed(Message):
        """The request as it stands changed: None while invalid, with its problems and price."""

        request: GenerationRequest | None
        problems: list[FieldError] = field(default_factory=list)
        price: Price | None = None

    def __init__(
        self,
        *,
        price_overrides: Mapping[str, float | None] | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.price_overrides: dict[str, float | None] = dict(price_overrides or {})
        self._kind = GenerationType.IMAGE
        self._models: dict[bool, Any] = {}  # the model chosen per family (video or image)
        self._wanted_ratio: Any = Select.NULL
        self._ratios_shown = ratio_options(Model.UNI_1)  # what compose_fields starts with
        self._server_errors: list[FieldError] = []
        self._posted: tuple[object, ...] | None = None

    def compose(self) -> ComposeResult:
        """The scrolling form, the JSON preview, and the submit line."""
        with VerticalScroll(id="composer-form"):
            yield from compose_fields()
            with Collapsible(title="Request JSON (ctrl+o)", id="preview-panel"):
                yield RequestPreview(id="preview")
        yield SubmitBar(id="submit-bar")

    def on_mount(self) -> None:
        """Show the image fields and put the cursor in the prompt."""
        self._apply_type()
        self.focus_prompt()
        self._refresh()

    def focus_prompt(self) -> None:
        """Put the cursor in the prompt (where focus starts, and where `e` should land)."""
        self.query_one("#prompt-text", TextArea).focus()

    # -- the public interface -------------------------------------------------------------

    def to_request(self) -> GenerationRequest | None:
        """The request the form holds, or None while anything is invalid."""
        return self._check()[0].request

    def load(self, request: GenerationRequest) -> None:
        """Refill every field from `request` (branching from the lineage uses this)."""
        self.load_body({**request.to_json(), "type": str(request.effective_type)})

    def load_body(self, body: Mapping[str, Any]) -> None:
        """Refill every field from a JSON body that may be incomplete (e.g. an empty prompt)."""
        kind = str(body.get("type") or GenerationType.IMAGE)
        if kind not in set(GenerationType):
            kind = str(GenerationType.IMAGE)
        video = body.get("video")
        edit = video.get("edit") if isinstance(video, dict) else None
        self._models, self._wanted_ratio = {}, Select.NULL  # choices of the replaced form
        self._select("type").value = kind
        self._apply_type()
        write_control(self._select("model"), body.get("model"))
        self._apply_ratios()
        self.query_one("#auto-controls", Switch).value = bool(
            isinstance(edit, dict) and edit.get("auto_controls")
        )
        for form_field in self.query(FormField):
            if form_field.path not in ("type", "model"):
                form_field.load_json(dict(body))
        self._apply_visibility()
        if body.get("user_id"):
            self.query_one("#advanced", Collapsible).collapsed = False
        self._refresh()

    def use_selected(self, generation_id: str) -> None:
        """Put the selected job's id in the focused reference, else the source or a free one."""
        target = self._focused_ref()
        if target is None:
            source = self.query_one("#source", RefField)
            free = [r for r in self.query(RefField) if self._applies(r) and r.is_empty]
            if self._applies(source):
                target = source
            elif free:
                target = free[0]
            elif self._applies(refs := self.query_one("#image-refs", RefList)):
                target = refs.add_row(focus=False)
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
        self._server_errors = list(errors)
        self._place_notes()

    def remember(self, prompt: str) -> None:
        """Add a sent prompt to this session's history (up/down in the prompt recall it)."""
        self.query_one(PromptEditor).remember(prompt)

    # -- keys ---------------------------------------------------------------------------------

    def action_submit(self) -> None:
        """Ask the app to send the request, or say why it cannot be sent."""
        checked, _ = self._check()
        if checked.request is None:
            first = checked.errors[0] if checked.errors else "the form is not complete"
            self.notify(
                f"Not sent: {count_text(len(checked.errors), 'problem')}. First: {first}",
                severity="warning",
                markup=False,
            )
            return
        self.post_message(self.SubmitRequested(checked.request, self._price(checked)))

    def action_toggle_preview(self) -> None:
        """Show or hide the JSON body."""
        panel = self.query_one("#preview-panel", Collapsible)
        panel.collapsed = not panel.collapsed
        if not panel.collapsed:
            self.call_after_refresh(panel.scroll_visible)

    # -- changes --------------------------------------------------------------------------

    def on_select_changed(self, event: Select.Changed) -> None:
        """Type and model decide which fields and ratios apply."""
        if event.select.id == "type":
            self._apply_type()
        elif event.select.id == "model":
            self._apply_ratios()
        self._refresh()

    def on_switch_changed(self, event: Switch.Changed) -> None:
        """Auto controls hide the manual ones."""
        if event.switch.id == "auto-controls":
            self._apply_visibility()
        self._refresh()

    def on_input_changed(self, event: Input.Changed) -> None:
        """Any typed character: check again."""
        self._refresh()

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        """The prompt changed: check again."""
        self._refresh()

    def on_ref_field_loaded(self, event: RefField.Loaded) -> None:
        """A local file was read (or refused): check again."""
        self._refresh()

    def on_ref_list_rows_changed(self, event: RefList.RowsChanged) -> None:
        """A row was added or removed: check again."""
        self._refresh()

    def watch_problems(self) -> None:
        """Draw each problem under its field."""
        self._place_notes()

    def watch_warnings(self) -> None:
        """Draw each warning under its field."""
        self._place_notes()

    # -- inner workings ---------------------------------------------------------------------

    def _select(self, id: str) -> Select[Any]:
        return self.query_one(f"#{id}", Select)

    def _build(self) -> tuple[Body, list[FieldError]]:
        """The body of every field that applies, and the problems the fields found themselves."""
        body: Body = {}
        local: list[FieldError] = []
        for form_field in self.query(FormField):
            if form_field.active:
                form_field.contribute(body, local)
        return body, local

    def _check(self) -> tuple[Checked, Body]:
        body, local = self._build()
        return check_body(body, local), body

    def _price(self, checked: Checked) -> Price | None:
        """The price of the request, or of its draft while it has problems."""
        if checked.draft is None:
            return None
        try:
            return price_of(checked.draft, self.price_overrides)
        except (KeyError, ValueError):
            return None

    def _refresh(self) -> None:
        """Check the form and show the outcome: problems, preview, price; tell the app."""
        if not self.is_mounted:
            return
        checked, body = self._check()
        stale, self._server_errors = self._server_errors, []  # edited: the server's verdict
        self.problems = checked.errors
        self.warnings = checked.warnings
        if stale:
            self._place_notes()
        price = self._price(checked)
        bar = self.query_one(SubmitBar)
        bar.problem_count = len(checked.errors)
        bar.warning_count = len(checked.warnings)
        bar.price = price_text(price)
        preview = self.query_one(RequestPreview)
        preview.valid = checked.request is not None
        preview.body = checked.request.to_json() if checked.request else body
        posted = (preview.body if checked.request else None, tuple(checked.errors), price)
        if posted != self._posted:
            self._posted = posted
            self.post_message(self.Changed(checked.request, list(checked.errors), price))

    def _apply_type(self) -> None:
        """Show the fields of the chosen type; the model list follows the family."""
        kind = GenerationType(str(self._select("type").value))  # never blank
        model = self._select("model")
        if kind.makes_video != self._kind.makes_video:
            self._models[self._kind.makes_video] = model.value
            model.set_options(model_options(kind))
            remembered = self._models.get(kind.makes_video, Select.NULL)
            if remembered is not Select.NULL and remembered in dict(model_options(kind)).values():
                model.value = remembered
        self._kind = kind
        self.query_one("#source", RefField).want = "video" if kind in VIDEO_SOURCES else "image"
        self._apply_ratios()
        self._apply_visibility()

    def _apply_ratios(self) -> None:
        """Offer only the ratios the model makes, keeping the chosen one where it still applies."""
        select = self._select("model")
        model = self._kind.natural_model if select.is_blank() else Model(str(select.value))
        ratios = self._select("aspect-ratio")
        options = ratio_options(model)
        if options == self._ratios_shown:
            return
        self._ratios_shown = options
        if not ratios.is_blank():
            self._wanted_ratio = ratios.value
        ratios.set_options(options)
        if any(value == self._wanted_ratio for _, value in options):
            ratios.value = self._wanted_ratio

    def _apply_visibility(self) -> None:
        auto = self.query_one("#auto-controls", Switch).value
        for form_field in self.query(FormField):
            form_field.active = form_field.applies(self._kind, auto_controls=auto)
            form_field.display = form_field.active
        for row in self.query(".field-row"):
            shown = [child for child in row.children if child.display]
            for child in row.children:
                child.set_class(bool(shown) and child is shown[-1], "-row-end")
        self._place_notes()

    def _applies(self, widget: Widget) -> bool:
        """True when no FormField around `widget` is inactive (hidden for this type)."""
        node: Any = widget
        while node is not None and node is not self:
            if isinstance(node, FormField) and not node.active:
                return False
            node = node.parent
        return True

    def _focused_ref(self) -> RefField | None:
        node: Any = self.screen.focused if self.is_mounted else None
        while node is not None and node is not self:
            if isinstance(node, RefField):
                return node
            node = node.parent
        return None

    def _place_notes(self) -> None:
        """Give every ErrorLine the notes for its paths; the rest go to the general line."""
        if not self.is_mounted:
            return
        general = self.query_one("#general-problems", ErrorLine)
        shown = [line for line in self.query(ErrorLine) if line is not general]
        notes = route_notes(
            [line for line in shown if self._applies(line)],
            general,
            [
                (Severity.ERROR, self.problems),
                (Severity.WARNING, self.warnings),
                (Severity.SERVER, self._server_errors),
            ],
        )
        advanced = self.query_one("#advanced", Collapsible)
        for line in [general, *shown]:
            line.notes = tuple(notes.get(line, ()))
            if line.notes and advanced in line.ancestors:
                advanced.collapsed = False  # a problem must never hide in a closed section
