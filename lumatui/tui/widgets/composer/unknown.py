"""Fields of a loaded body that this version does not know: kept, shown, sent only if confirmed.

Luma's API grows faster than any client. A body loaded into the composer (`ctrl+l`: a file
or pasted JSON; a branched request that carried such fields; a restored draft) may hold a
field lumatui has no widget for. It is not dropped and not refused:

- the form takes the fields it knows; the others are kept here, in their places;
- a warning under the form names them: "not known to lumatui 0.1.0; sent as is: a, b";
- the JSON preview shows them where they will go, and the draft keeps them;
- ctrl+j on an otherwise valid form asks first (send with the unknown fields / cancel):
  cancel sends nothing.

A known field whose loaded value the form cannot hold (`"7s"` in a choice of 5s and 10s,
`"false"` for a switch) is not silently dropped or changed either: its usual error stands
under the field and stops ctrl+j until the person sets that field.

Unknown fields stay while the person edits the form, the type included (lumatui cannot know which
types a field it does not know applies to, and silently dropping what was pasted would
lose work). Loading another body replaces them, and the palette's "Drop the fields
lumatui does not know" removes them.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import ValidationError
from textual.widgets import Static

from lumatui import __version__
from lumatui.api.field_errors import FieldError, error_loc, humanize, json_path
from lumatui.api.schema import GenerationRequest
from lumatui.api.unknown_fields import put_at, split_unknown_fields
from lumatui.tui.screens.confirm import Choice, ConfirmScreen
from lumatui.tui.widgets.composer.ref_field import LOCAL_PATH_KEY

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from textual.widget import Widget

    from lumatui.api.model_fields import UnknownField
    from lumatui.tui.widgets.composer.form_check import Outcome

SEND_OR_CANCEL = (
    Choice("send", "Send with them (y)", "y"),
    Choice("cancel", "Cancel (n)", "n"),
)


def warning_text(paths: list[str]) -> str:
    """The warning for the unknown fields at `paths`, the same words as the command line's."""
    return f"not known to lumatui {__version__}; sent as is: {', '.join(paths)}"


class UnknownLine(Static):
    """The warning under the form (hidden while there is nothing to warn about)."""

    DEFAULT_CSS: ClassVar[str] = """
    UnknownLine { height: auto; color: $warning; padding: 0 1; }
    """


class UnknownFields:
    """The unknown fields the composer holds, and the line that names them."""

    def __init__(self) -> None:
        self.fields: list[UnknownField] = []
        self.placed: list[UnknownField] = []
        """The fields with a place in the request as the form was last drawn."""
        self.rejected: list[FieldError] = []
        """Loaded values the form could not hold: errors until their field is set."""
        self.line = UnknownLine("", id="unknown-fields", markup=False)
        self.line.display = False
        self._shown = ""

    def take(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Keep the unknown fields of `body` (replacing any held); the known part is returned.

        A draft's local file references (`LOCAL_PATH_KEY`) belong to the form, not here.
        """
        known, unknown = split_unknown_fields(dict(body))
        self.fields, self.placed = [], []
        for loc, value in unknown:
            if loc[-1] == LOCAL_PATH_KEY and isinstance(value, str) and len(loc) > 1:
                put_at(known, loc, value)
            else:
                self.fields.append((loc, value))
        self.show()
        return known

    def check_taken(self, loaded: Mapping[str, Any], held: Mapping[str, Any]) -> list[str]:
        """After a load: each invalid loaded value the form does not hold (`held`) becomes an
        error at its path; those paths are returned (to show their errors at once)."""
        self.rejected = []
        try:
            GenerationRequest.model_validate(dict(loaded))
        except ValidationError as exc:
            for detail in exc.errors():
                loc = error_loc(detail)
                given = _value_at(loaded, loc)
                if loc and given is not _MISSING and _value_at(held, loc) != given:
                    error = FieldError(json_path(loc), f"{humanize(detail)} (as loaded)")
                    if error not in self.rejected:
                        self.rejected.append(error)
        return [error.path for error in self.rejected]

    def edited(self, paths: tuple[str, ...]) -> None:
        """The person set a field: a loaded value it could not hold is no longer in the way."""
        self.rejected = [e for e in self.rejected if not any(_within(e.path, p) for p in paths)]

    def drop(self) -> bool:
        """Forget every unknown field; False when there was none."""
        had = bool(self.fields)
        self.fields, self.placed = [], []
        self.show()
        return had

    @property
    def paths(self) -> list[str]:
        """The JSON paths of the unknown fields, in the body's order."""
        return [json_path(loc) for loc, _ in self.fields]

    @property
    def sent_paths(self) -> list[str]:
        """The paths of the unknown fields the request holds as the form was last drawn."""
        return [json_path(loc) for loc, _ in self.placed]

    def sent_warning(self) -> str:
        """The warning for the unknown fields the request sends ("" when none)."""
        return warning_text(self.sent_paths) if self.placed else ""

    def show(self) -> None:
        """Draw the warning (or hide it): the fields sent as is, and those with no place in
        the request as it stands (their object is not part of this type, say)."""
        self.line.display = bool(self.fields)
        sent = self.sent_paths
        text = warning_text(sent) if sent else ""
        unplaced = [path for path in self.paths if path not in sent]
        if unplaced:
            text += ("; " if text else "") + (
                f"kept, not sent (no place for them in this request): {', '.join(unplaced)}"
            )
        if self._shown != text:  # drawn on every key: touch the line only when it changes
            self._shown = text
            self.line.update(text)

    def request(self, request: GenerationRequest) -> GenerationRequest:
        """`request` carrying the unknown fields that have a place in it (sent as given)."""
        return request.with_unknown_fields(self.placed) if self.placed else request

    def body(self, body: dict[str, Any]) -> dict[str, Any]:
        """A copy of a form body with the unknown fields put in their places."""
        if not self.placed:
            return body
        body = copy.deepcopy(body)
        for loc, value in self.placed:
            put_at(body, loc, copy.deepcopy(value))
        return body

    def outcome(self, outcome: Outcome) -> Outcome:
        """The form's outcome with the unknown fields in its request and its body, and the
        loaded values it could not hold as errors."""
        if self.rejected:
            errors = [*outcome.errors, *(e for e in self.rejected if e not in outcome.errors)]
            outcome = replace(outcome, request=None, errors=errors)
        # A field goes where its object is; a type without that object has no place for it.
        self.placed = [f for f in self.fields if _value_at(outcome.body, f[0][:-1]) is not _MISSING]
        self.show()
        if not self.placed:
            return outcome
        request = None if outcome.request is None else self.request(outcome.request)
        return replace(outcome, request=request, body=self.body(outcome.body))

    def confirm(self, node: Widget, send: Callable[[], object]) -> None:
        """`send` now when no unknown field is sent; else ask, and `send` only on yes."""
        if not self.placed:
            send()
            return
        count = len(self.placed)
        question = (
            f"This request holds {count} field{'s' if count != 1 else ''} lumatui "
            f"{__version__} does not know: {', '.join(self.sent_paths)}. They are sent exactly as "
            "given, and the API may refuse them or charge for what they do. Send?"
        )

        def answered(answer: str | None) -> None:
            if answer == "send":
                send()
            else:
                node.notify("Not sent: nothing was charged.", markup=False)

        node.app.push_screen(
            ConfirmScreen("Fields lumatui does not know", question, SEND_OR_CANCEL),
            callback=answered,
        )


_MISSING = object()


def _value_at(body: Any, loc: tuple[str | int, ...]) -> Any:
    """The value at `loc` in a JSON body, or `_MISSING`."""
    node = body
    for part in loc:
        if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            continue
        if not isinstance(node, dict) or part not in node:
            return _MISSING
        node = node[part]
    return node


def _within(path: str, field: str) -> bool:
    """True when `path` is the field's own path or lies inside it."""
    return path == field or path.startswith((f"{field}.", f"{field}["))
