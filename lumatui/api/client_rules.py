"""Rules the client adds on top of the API's schema, for requests a person types.

The schema (`lumatui.api.schema`) stays exactly as strict as the API, because the simulator
validates with it too. These rules refuse what the API would accept but nobody means to
pay for: a prompt of spaces only, or one holding NUL characters (a pasted binary, a broken
pipe). The composer and `lumatui submit` both apply them; nothing else does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lumatui.api.field_errors import FieldError

if TYPE_CHECKING:
    from lumatui.api.schema import GenerationRequest

NUL = "\x00"


def prompt_problems(prompt: str) -> list[str]:
    """What is wrong with a prompt the API would take but a person never means."""
    problems = []
    if NUL in prompt:
        count = prompt.count(NUL)
        problems.append(
            f"holds {count} NUL character{'s' if count > 1 else ''} (\\0): remove "
            f"{'them' if count > 1 else 'it'}; a pasted file or a broken pipe puts them there"
        )
    if prompt and not prompt.strip():
        problems.append("is only spaces or line breaks: say what to generate")
    return problems


def client_problems(request: GenerationRequest) -> list[FieldError]:
    """Every client-side problem of a valid request, at its JSON path."""
    return [FieldError("prompt", message) for message in prompt_problems(request.prompt)]
