"""clean_text: hostile server text becomes one short line of plain text."""

from __future__ import annotations

import pytest

from lumatui.api.text import clean_text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("plain words", "plain words"),
        ("\x1b[31mred\x1b[0m text", "red text"),
        ("\x1b[2J\x1b[Hcleared", "cleared"),
        ("\x1b]0;pwned title\x07after", "after"),
        ("\x1b]8;;https://evil.test\x1b\\link\x1b]8;;\x1b\\", "link"),
        ("\x1bPq#0;2;0;0;0\x1b\\sixel gone", "sixel gone"),
        ("\x9b31m8-bit csi", "8-bit csi"),
        ("\x9d0;title\x9cc1 osc", "c1 osc"),
        ("bell\x07 and\x00nul", "bell and nul"),
        ("line one\nline two\r\n\tindented", "line one line two indented"),
        ("many     spaces", "many spaces"),
        ("del\x7fchar", "del char"),
        ("c1\x85next line", "c1 next line"),
        ("bidi \u202egnp.exe\u202c ok", "bidi gnp.exe ok"),
        ("sep\u2028arator", "sep arator"),
        ("\x1bc reset", "reset"),
        ("unterminated \x1b]0;title", "unterminated 0;title"),
        ("", ""),
        ("café ✓ 日本", "café ✓ 日本"),
    ],
)
def test_escapes_and_controls_are_removed(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


def test_result_is_one_printable_line() -> None:
    hostile = "".join(chr(c) for c in range(0x00, 0xA0)) + "end"
    cleaned = clean_text(hostile, limit=1000)
    assert cleaned.isprintable()
    assert "\x1b" not in cleaned
    assert cleaned.endswith("end")


def test_truncates_with_ellipsis() -> None:
    assert clean_text("a" * 500, limit=10) == "a" * 9 + "…"
    assert len(clean_text("word " * 200)) == 300
    assert clean_text("short", limit=10) == "short"
    assert clean_text("exactly10!", limit=10) == "exactly10!"


def test_hidden_secret_is_redacted_even_when_split_by_escapes() -> None:
    key = "luma-api-0123456789abcdef"
    assert clean_text(f"bad key {key}", hide=[key]) == "bad key [redacted]"
    split = "bad key luma-api-01234\x1b[0m56789abcdef"
    assert key not in clean_text(split, hide=[key])
    assert clean_text("short secret ab", hide=["ab"]) == "short secret ab"
