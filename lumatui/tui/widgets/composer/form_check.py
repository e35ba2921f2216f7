"""What the composer knows between keys: each field's part of the body and what is wrong.

A key changes one field. The field's part of the body is read again, and only what that
part takes part in is checked again:

- the prompt and the user id take part in no rule of the request but the type's limit on
  the prompt (`api.rules.prompt_rule_problems`), so each is checked alone (its schema
  constraints, the client's own rules, that limit): a key in the prompt costs a few
  microseconds, whatever the rest of the form holds;
- every other field takes part in the request's cross-field rules, so a change there
  checks the rest of the request again (with a stand-in prompt), and that result is kept
  until another such field changes.

`full_check` is the other way: every part as given, checked in one go. ctrl+j uses it on
parts read from the widgets at that instant, so nothing kept between keys can make it
refuse a valid form or send an outdated one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import TypeAdapter, ValidationError

from lumatui.api.client_rules import prompt_problems
from lumatui.api.enums import GenerationType
from lumatui.api.field_errors import FieldError, humanize
from lumatui.api.rules import prompt_rule_problems
from lumatui.api.schema import GenerationRequest
from lumatui.tui.widgets.composer.validation import Checked, check_body, under

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from lumatui.tui.widgets.composer.body import Body

ISOLATED = ("prompt", "user_id")
"""Fields no cross-field rule reads: each is checked on its own."""
STAND_IN_PROMPT = "placeholder"


@dataclass(frozen=True)
class Part:
    """One field's contribution: its piece of the body and the problems it found itself."""

    body: Body
    problems: tuple[FieldError, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """The form as it stands: the body, the request when valid, its problems and warnings."""

    body: Body
    request: GenerationRequest | None
    errors: list[FieldError] = field(default_factory=list)
    warnings: list[FieldError] = field(default_factory=list)
    draft: GenerationRequest | None = None
    """Good enough to price (broken parts stood in for), never to send."""


@cache
def _isolated_adapter(name: str) -> TypeAdapter[Any]:
    info = GenerationRequest.model_fields[name]
    return TypeAdapter(Annotated[info.annotation, info])  # type: ignore[arg-type]


def isolated_problems(name: str, value: object, kind: object = None) -> list[FieldError]:
    """The problems of the prompt (for a request of type `kind`) or the user id on its own
    (None: not given)."""
    found: list[FieldError] = []
    if value is None and name == "user_id":
        return found
    try:
        _isolated_adapter(name).validate_python(value)
    except ValidationError as exc:
        found += [FieldError(name, humanize(detail)) for detail in exc.errors()]
    if name == "prompt" and isinstance(value, str):
        found += [FieldError(name, message) for message in prompt_problems(value)]
        if kind in set(GenerationType):
            rules = prompt_rule_problems(value, GenerationType(str(kind)))
            found += [FieldError(name, message) for message in rules]
    return found


def merge(parts: Iterable[Part]) -> Body:
    """One body from the parts (objects such as `video` are merged, not replaced)."""
    body: Body = {}
    for part in parts:
        _merge_into(body, part.body)
    return body


def _merge_into(target: Body, piece: Body) -> None:
    # Objects are copied, never shared: merging the next part into a shared `video` would
    # write into the part it came from, and a field cleared later would live on there.
    for key, value in piece.items():
        if isinstance(value, dict):
            node = target.get(key)
            if not isinstance(node, dict):
                node = target[key] = {}
            _merge_into(node, value)
        else:
            target[key] = value


def full_check(parts: Mapping[str, Part], kind_of: Callable[[str], str | None]) -> Outcome:
    """Every part as given, checked in one go (what ctrl+j sends is decided by this)."""
    body = merge(parts.values())
    local = [problem for part in parts.values() for problem in part.problems]
    checked = check_body(body, local, kind_of=kind_of)
    prompt = body.get("prompt")
    client = [
        FieldError("prompt", m) for m in prompt_problems(prompt if isinstance(prompt, str) else "")
    ]
    errors = [*checked.errors, *(e for e in client if e not in checked.errors)]
    return Outcome(
        body, None if errors else checked.request, errors, checked.warnings, checked.draft
    )


class FormCheck:
    """The parts of the form and their problems, checked again only where a part changed."""

    def __init__(self, kind_of: Callable[[str], str | None]) -> None:
        self.kind_of = kind_of
        self.parts: dict[str, Part] = {}
        self._own: dict[str, list[FieldError]] = {}
        self._rest: Checked | None = None

    def put(self, path: str, part: Part) -> None:
        """A field's part, as read now."""
        if self.parts.get(path) == part:
            return
        self.parts[path] = part
        if path in ISOLATED:
            value = part.body.get(path)
            self._own[path] = isolated_problems(path, value, self._kind())
        else:
            self._rest = None
            if path == "type" and "prompt" in self.parts:  # the type's limit on the prompt
                prompt = self.parts["prompt"].body.get("prompt")
                self._own["prompt"] = isolated_problems("prompt", prompt, self._kind())

    def _kind(self) -> object:
        type_part = self.parts.get("type")
        return None if type_part is None else type_part.body.get("type")

    def drop(self, path: str) -> None:
        """A field no longer applies (hidden for this type)."""
        if self.parts.pop(path, None) is not None and path not in ISOLATED:
            self._rest = None
        self._own.pop(path, None)

    def replace_all(self, parts: Mapping[str, Part]) -> None:
        """Every part at once (a body was loaded, or the type changed)."""
        self.parts = {}
        self._own = {}
        self._rest = None
        for path, part in parts.items():
            self.put(path, part)

    def forget_rest(self) -> None:
        """Check the cross-field rules again (what the history knows about an id changed)."""
        self._rest = None

    def outcome(self) -> Outcome:
        """The form as it stands, from the kept results and the parts checked since."""
        body = merge(self.parts.values())
        rest = self._rest_checked()
        errors = [*self._own.get("prompt", ()), *rest.errors, *self._own.get("user_id", ())]
        request = None
        if not errors and rest.request is not None:
            update = {name: body[name] for name in ISOLATED if body.get(name) is not None}
            request = rest.request.model_copy(update=update)
        return Outcome(body, request, errors, rest.warnings, rest.draft)

    def _rest_checked(self) -> Checked:
        if self._rest is None:
            others = [part for path, part in self.parts.items() if path not in ISOLATED]
            body = merge(others)
            body["prompt"] = STAND_IN_PROMPT
            local = [problem for part in others for problem in part.problems]
            checked = check_body(body, local, kind_of=self.kind_of)
            errors = [e for e in checked.errors if not any(under(e.path, n) for n in ISOLATED)]
            self._rest = Checked(checked.request, errors, checked.warnings, checked.draft)
        return self._rest
