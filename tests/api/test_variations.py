"""Prompt alternatives: expansion, nesting, escapes, limits and errors a form can place."""

from __future__ import annotations

import pytest

from lumatui.api.field_errors import FieldError
from lumatui.api.variations import (
    MAX_BATCH_JOBS,
    VariationError,
    batch_prompts,
    expand_prompt,
    parse_prompt,
)


@pytest.mark.parametrize(
    ("template", "prompts"),
    [
        (
            "a {red|blue} fox at {dawn|dusk}",
            ["a red fox at dawn", "a red fox at dusk", "a blue fox at dawn", "a blue fox at dusk"],
        ),
        ("a sign reading {OPEN}", ["a sign reading {OPEN}"]),
        ("no braces | at all", ["no braces | at all"]),
        ("a {red|green|blue} door", ["a red door", "a green door", "a blue door"]),
        (
            "{a {red|blue} fox|an owl} at night",
            ["a red fox at night", "a blue fox at night", "an owl at night"],
        ),
        ("{x {b|c}}", ["{x b}", "{x c}"]),
        ("a {big |}fox", ["a big fox", "a fox"]),
        (r"a \{red|blue\} fox", ["a {red|blue} fox"]),
        (r"a {red\|pink|blue} fox", ["a red|pink fox", "a blue fox"]),
        (r"a {\{x\}|y}", ["a {x}", "a y"]),
        (r"C:\path {a|b}", [r"C:\path a", r"C:\path b"]),
        ("a :} smile", ["a :} smile"]),
        ("a {OPEN sign", ["a {OPEN sign"]),
        ("line one\n{a|b} two", ["line one\na two", "line one\nb two"]),
    ],
)
def test_expansion(template: str, prompts: list[str]) -> None:
    assert expand_prompt(template) == prompts
    assert parse_prompt(template).count == len(prompts)


@pytest.mark.parametrize(
    ("template", "line", "column", "words"),
    [
        ("a {red|blue fox", 1, 3, "`{` at column 3 is never closed"),
        ("a {red|blue} fox}", 1, 17, "`}` at column 17 closes nothing"),
        ("{a|{b|c}", 1, 1, "`{` at column 1 is never closed"),
        ("one\n  {a|b} }", 2, 9, "`}` at line 2, column 9 closes nothing"),
        ("a {OPEN | b", 1, 3, "never closed"),
    ],
)
def test_an_unbalanced_brace_among_alternatives_is_a_field_error_naming_the_column(
    template: str, line: int, column: int, words: str
) -> None:
    with pytest.raises(VariationError) as caught:
        expand_prompt(template)
    (problem,) = caught.value.problems
    assert (problem.field, problem.line, problem.column) == ("prompt", line, column)
    assert words in problem.message
    assert "write `\\" in problem.message  # says how to write a literal brace
    assert problem.offset is not None and template[problem.offset] in "{}"
    assert problem.as_field_error() == FieldError("prompt", problem.message)


def test_an_alternative_that_leaves_the_prompt_empty_is_an_error() -> None:
    with pytest.raises(VariationError, match="empty"):
        expand_prompt("{|}")


def test_runs_repeat_each_prompt_in_a_row() -> None:
    assert batch_prompts("a {red|blue} fox", 2) == [
        "a red fox",
        "a red fox",
        "a blue fox",
        "a blue fox",
    ]
    assert batch_prompts("plain", 3) == ["plain"] * 3


def test_at_most_64_jobs_per_batch_counted_before_expanding() -> None:
    assert len(batch_prompts("{a|b}" * 6, 1)) == MAX_BATCH_JOBS
    assert len(batch_prompts("{a|b}" * 5, 2)) == MAX_BATCH_JOBS
    with pytest.raises(VariationError, match="2 run\\(s\\) = 128 jobs; at most 64"):
        batch_prompts("{a|b}" * 6, 2)
    # 2**200 prompts are refused by counting, without expanding any of them.
    with pytest.raises(VariationError, match="at most 64 per batch"):
        batch_prompts("{a|b}" * 200)
    with pytest.raises(VariationError) as caught:
        batch_prompts("x", 0)
    assert caught.value.problems[0].field == "runs"
