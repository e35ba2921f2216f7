"""Drawing what the form check found: problem lines, the submit bar, the JSON preview.

Only what changed is touched: a line whose notes are the same is left alone (its reactive
does not fire), the bar's reactives repaint one line, and the preview is rebuilt only
while it is open. Problems of a field appear once the field was touched, or after ctrl+j;
an untouched fresh form shows no red count, and ctrl+j still says why it refuses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.widgets import Collapsible, Select

from lumatui.api.enums import GenerationType, Model
from lumatui.api.pricing import Price, price_of
from lumatui.tui.widgets.composer.batch import RUNS_PATH, RunsField, bar_price, batch_outcome
from lumatui.tui.widgets.composer.error_line import Severity
from lumatui.tui.widgets.composer.fields import model_options, ratio_options
from lumatui.tui.widgets.composer.notes import route_notes
from lumatui.tui.widgets.composer.request_preview import RequestPreview
from lumatui.tui.widgets.composer.submit_bar import SubmitBar
from lumatui.tui.widgets.composer.validation import under

if TYPE_CHECKING:
    from lumatui.api.batches import BatchPlan
    from lumatui.api.field_errors import FieldError
    from lumatui.api.schema import GenerationRequest
    from lumatui.tui.widgets.composer.composer import Composer
    from lumatui.tui.widgets.composer.form_check import Outcome


class FormView:
    """The drawing half of the Composer: it reads the composer's state and draws it."""

    def __init__(self, composer: Composer) -> None:
        self.composer = composer
        self._drawn: tuple[object, ...] | None = None
        self._priced: tuple[GenerationRequest | None, Price | None] = (None, None)
        self.wanted_ratio: Any = Select.NULL
        self._models: dict[bool, Any] = {}  # the model chosen per family (video or image)
        self._ratios_shown = ratio_options(Model.UNI_1)  # what compose_fields starts with
        # Composed by the composer; kept here so that drawing never searches the form.
        self.bar = SubmitBar(id="submit-bar")
        self.panel = Collapsible(title="Request JSON (ctrl+o)", id="preview-panel")
        self.preview = RequestPreview(id="preview")
        self.runs = RunsField(on_change=self._runs_changed)
        self.plan: BatchPlan | None = None
        """The batch the form makes as last drawn (alternatives x runs), when it can."""
        self.checked: Outcome | None = None
        """The outcome last drawn, the batch's problems included."""

    def show(self, outcome: Outcome | None = None, *, preview: bool = False) -> Price | None:
        """Draw `outcome` (by default the form as it stands); its price is returned.

        The JSON preview is rebuilt while it is open, or when `preview` asks for it (ctrl+j:
        the preview then holds exactly what was sent, open or not).
        """
        composer = self.composer
        if not composer.is_mounted:
            return None
        if outcome is None:
            outcome = composer.checker.outcome()
        outcome = composer.unknown.outcome(outcome)  # a loaded body's unknown fields
        outcome, self.plan = batch_outcome(outcome, self.runs.text, composer.price_overrides)
        self.checked = outcome
        shown = [error for error in outcome.errors if self.is_shown(error)]
        price = self.price_for(outcome.draft)
        bar = self.bar
        bar.problem_count = len(shown)
        bar.pending_count = len(outcome.errors) - len(shown)
        bar.warning_count = len(outcome.warnings)
        bar.price = bar_price(self.plan, price)
        self.place_notes(shown, outcome.warnings)
        if preview or not self.panel.collapsed:
            shown_json = self.preview
            shown_json.valid = outcome.request is not None
            shown_json.body = outcome.request.to_json() if outcome.request else outcome.body
        total = self.plan.total if self.plan is not None and self.plan.size > 1 else price
        drawn = (outcome.request is not None, tuple(outcome.errors), total)
        if drawn != self._drawn:
            self._drawn = drawn
            composer.post_message(composer.Changed(drawn[0], list(outcome.errors), price))
        return price

    def _runs_changed(self) -> None:
        self.composer.touched.add(RUNS_PATH)
        self.show()

    def toggle_preview(self) -> None:
        """Show or hide the JSON body."""
        panel = self.panel
        panel.collapsed = not panel.collapsed
        if not panel.collapsed:
            self.show()
            self.composer.call_after_refresh(panel.scroll_visible)

    def is_shown(self, error: FieldError) -> bool:
        """Whether a problem is drawn yet: after ctrl+j, or once its field was touched."""
        touched = self.composer.touched
        if self.composer.revealed:
            return True
        if not error.path:
            return bool(touched)
        return any(under(error.path, t) or under(t, error.path) for t in touched)

    def price_for(self, draft: GenerationRequest | None) -> Price | None:
        """The price of the draft (kept while the draft is the same object)."""
        if draft is None:
            return None
        if self._priced[0] is draft:
            return self._priced[1]
        try:
            price: Price | None = price_of(draft, self.composer.price_overrides)
        except (KeyError, ValueError):
            price = None
        self._priced = (draft, price)
        return price

    def place_notes(self, errors: list[FieldError], warnings: list[FieldError]) -> None:
        """Give every line the notes for its paths; the rest go to the general line."""
        form = self.composer.form
        general = form.general
        if general is None:
            return
        lines = form.lines()
        notes = route_notes(
            lines,
            general,
            [
                (Severity.ERROR, errors),
                (Severity.WARNING, warnings),
                (Severity.SERVER, self.composer.server_errors),
            ],
        )
        for line in [general, *lines]:
            line.notes = tuple(notes.get(line, ()))
        user_id = form.fields.get("user_id")
        if user_id is not None and user_id.errors.notes:
            form.advanced.collapsed = False  # a problem must never hide in a closed section

    def forget_choices(self) -> None:
        """A new body is loaded: the model and ratio chosen for the old one do not carry over."""
        self._models, self.wanted_ratio = {}, Select.NULL

    def apply_models(self, model: Select[Any], old: GenerationType, new: GenerationType) -> None:
        """The model list follows the family; each family's chosen model comes back."""
        if new.makes_video == old.makes_video:
            return
        self._models[old.makes_video] = model.value
        model.set_options(model_options(new))
        remembered = self._models.get(new.makes_video, Select.NULL)
        if remembered is not Select.NULL and remembered in dict(model_options(new)).values():
            model.value = remembered

    def apply_ratios(self, select: Select[Any], ratios: Select[Any], natural: Model) -> None:
        """Offer only the ratios the model makes, keeping the chosen one where it still applies."""
        model = natural if select.is_blank() else Model(str(select.value))
        options = ratio_options(model)
        if options == self._ratios_shown:
            return
        self._ratios_shown = options
        if not ratios.is_blank():
            self.wanted_ratio = ratios.value
        ratios.set_options(options)
        if any(value == self.wanted_ratio for _, value in options):
            ratios.value = self.wanted_ratio
