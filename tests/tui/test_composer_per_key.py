"""Per-key cost follows the field that changed, and what it keeps between keys is never wrong.

After every step the composer's kept outcome (updated field by field) must equal a full
check of every field read again; a key in the prompt must not search the form's widgets
nor check the rest of the request again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.dom import DOMNode

from lumatui.tui.widgets.composer import form_check
from lumatui.tui.widgets.composer.form_check import full_check
from tests.tui.composer_host import running
from tests.tui.keyboard import burst

if TYPE_CHECKING:
    import pytest

    from tests.tui.composer_host import Session

ID = "182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e"


def assert_kept_equals_full(s: Session, step: int = -1) -> None:
    composer = s.composer
    kept = composer.checker.outcome()
    full = full_check(composer._read_parts(), composer.kinds.known)
    assert sorted(map(str, kept.errors)) == sorted(map(str, full.errors)), step
    assert sorted(map(str, kept.warnings)) == sorted(map(str, full.warnings))
    assert kept.request == full.request
    if full.request is not None:
        assert kept.request is not None and kept.request.to_json() == full.request.to_json()


async def test_the_kept_outcome_always_equals_a_full_check() -> None:
    async with running() as s:
        steps: list[Any] = [
            lambda: s.prompt("a fox"),
            lambda: s.choose("type", "video"),
            lambda: s.choose("duration", "10s"),
            lambda: s.flip("loop"),
            lambda: s.rows("keyframes", ID, indexes=["0"]),
            lambda: s.flip("loop", False),
            lambda: s.prompt(""),
            lambda: s.prompt("  "),
            lambda: s.fill("user-id", "x" * 300),
            lambda: s.choose("type", "video_edit"),
            lambda: s.ref("source", ID),
            lambda: s.fill("blur", "2"),
            lambda: s.flip("auto-controls"),
            lambda: s.choose("type", "image_edit"),
            lambda: s.fill("user-id", "me"),
            lambda: s.prompt("snow"),
        ]
        for number, step in enumerate(steps):
            await step()
            assert_kept_equals_full(s, number)


async def test_a_key_in_the_prompt_neither_searches_the_form_nor_checks_the_rest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with running() as s:
        await s.choose("type", "video")
        await s.rows("keyframes", ID, indexes=["0"])
        s.app.set_focus(s.composer.prompt_editor.area)
        await burst(s.pilot, "a")
        searches: list[str] = []
        checks: list[int] = []
        composer = s.composer
        original_query, original_check = DOMNode.query, form_check.check_body  # type: ignore[attr-defined]

        def counting_query(node: DOMNode, *args: Any, **kwargs: Any) -> Any:
            if node is composer or composer in node.ancestors:
                searches.append(type(node).__name__)
            return original_query(node, *args, **kwargs)

        def counting_check(*args: Any, **kwargs: Any) -> Any:
            checks.append(1)
            return original_check(*args, **kwargs)

        monkeypatch.setattr(DOMNode, "query", counting_query)
        monkeypatch.setattr(form_check, "check_body", counting_check)
        await burst(s.pilot, *" lighthouse at dusk")
        assert composer.prompt_editor.area.text == "a lighthouse at dusk"
        assert searches == [] and checks == []
        assert_kept_equals_full(s)
