"""Prompt alternatives: `a {red|blue} fox at {dawn|dusk}` is four prompts.

Only a brace pair whose own level holds a `|` is a set of alternatives, so `a sign reading
{OPEN}` stays as written. Alternatives nest (`{a {red|blue} fox|an owl}` is three), may be
empty (`a {big |}fox`), and combine left to right: the leftmost set varies slowest.
`\\{`, `\\}` and `\\|` write the character itself (any other backslash is kept as is).

A brace that closes nothing, or one never closed, is literal text in a prompt without
alternatives; in a prompt with alternatives (or an unclosed `{` followed by a `|`) it is an
error, reported as a `VariationProblem` that names its line and column, so a form can show
it under the prompt field and a command can print it. Pure functions: no I/O.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from lumatui.api.field_errors import FieldError

MAX_BATCH_JOBS = 64
"""At most this many jobs per batch (runs x combinations)."""

ESCAPABLE = frozenset("{}|")


@dataclass(frozen=True)
class VariationProblem:
    """Why a prompt cannot be expanded: where (0-based offset, 1-based line and column)."""

    message: str
    offset: int | None = None
    line: int | None = None
    column: int | None = None
    field: str = "prompt"

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"

    def as_field_error(self) -> FieldError:
        """The same problem as a FieldError, for the code that shows field errors."""
        from lumatui.api.field_errors import FieldError

        return FieldError(self.field, self.message)


class VariationError(ValueError):
    """A prompt's alternatives cannot be expanded; `problems` says where and why."""

    def __init__(self, problems: Sequence[VariationProblem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class _Char:
    text: str
    escaped: bool
    offset: int

    def is_(self, char: str) -> bool:
        return self.text == char and not self.escaped


@dataclass(frozen=True)
class Alternatives:
    """A `{a|b|...}` set: each option is itself a sequence of text and nested sets."""

    options: tuple[tuple[Part, ...], ...]


Part = str | Alternatives


@dataclass(frozen=True)
class Template:
    """A parsed prompt: literal text and sets of alternatives, in order."""

    parts: tuple[Part, ...]

    @property
    def has_alternatives(self) -> bool:
        """True when the prompt holds at least one set of alternatives."""
        return any(isinstance(p, Alternatives) for p in self.parts)

    @property
    def count(self) -> int:
        """How many prompts it expands to (computed without expanding)."""
        return _count(self.parts)

    def expand(self) -> list[str]:
        """Every prompt, leftmost set varying slowest."""
        return _expand(self.parts)


def parse_prompt(text: str) -> Template:
    """The template of `text`; VariationError when a brace is unbalanced among alternatives."""
    chars = _scan(text)
    strays: list[tuple[_Char, str]] = []
    parts = _parse(chars, 0, len(chars), strays)
    template = Template(parts)
    for char, why in strays:
        rest_has_bar = any(c.is_("|") for c in chars if c.offset > char.offset)
        if template.has_alternatives or (char.text == "{" and rest_has_bar):
            raise VariationError([_problem(text, char, why)])
    return template


def expand_prompt(text: str) -> list[str]:
    """Every prompt `text` stands for (one, unchanged but for escapes, without alternatives)."""
    prompts = parse_prompt(text).expand()
    if any(not p.strip() for p in prompts):
        raise VariationError([VariationProblem("an alternative leaves the prompt empty", 0, 1, 1)])
    return prompts


def batch_prompts(text: str, runs: int = 1, *, limit: int = MAX_BATCH_JOBS) -> list[str]:
    """The prompt of each job of a batch: every combination, each `runs` times in a row.

    Raises VariationError when `runs` is below 1 or the batch would exceed `limit` jobs
    (checked before anything is expanded, so `{a|b}` x 20 sets cannot blow up memory).
    """
    if runs < 1:
        raise VariationError([VariationProblem("runs must be at least 1", field="runs")])
    template = parse_prompt(text)
    combinations = template.count
    if combinations * runs > limit:
        made = f"{combinations} prompt(s) x {runs} run(s) = {combinations * runs} jobs"
        raise VariationError([VariationProblem(f"{made}; at most {limit} per batch", 0, 1, 1)])
    return [prompt for prompt in expand_prompt(text) for _ in range(runs)]


def _scan(text: str) -> list[_Char]:
    """Characters with escapes resolved: `\\{` is a literal `{` that never opens a set."""
    chars: list[_Char] = []
    i = 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in ESCAPABLE:
            chars.append(_Char(text[i + 1], True, i))
            i += 2
            continue
        chars.append(_Char(text[i], False, i))
        i += 1
    return chars


def _parse(
    chars: list[_Char], start: int, end: int, strays: list[tuple[_Char, str]]
) -> tuple[Part, ...]:
    parts: list[Part] = []
    text: list[str] = []
    i = start
    while i < end:
        char = chars[i]
        if char.is_("}"):
            strays.append((char, "closes nothing"))
        if not char.is_("{"):
            text.append(char.text)
            i += 1
            continue
        close = _matching(chars, i, end)
        if close is None:
            strays.append((char, "is never closed"))
            text.append("{")
            i += 1
            continue
        bars = _top_level_bars(chars, i + 1, close)
        if not bars:
            # Braces without a `|` of their own stay as written; what is inside may vary.
            inner = _parse(chars, i + 1, close, strays)
            parts.extend(_joined([*text, "{"]))
            text = []
            parts.extend(inner)
            text.append("}")
        else:
            parts.extend(_joined(text))
            text = []
            bounds = [i, *bars, close]
            options = tuple(_parse(chars, a + 1, b, strays) for a, b in itertools.pairwise(bounds))
            parts.append(Alternatives(options))
        i = close + 1
    parts.extend(_joined(text))
    return _merge(parts)


def _matching(chars: list[_Char], open_at: int, end: int) -> int | None:
    depth = 0
    for j in range(open_at, end):
        if chars[j].is_("{"):
            depth += 1
        elif chars[j].is_("}"):
            depth -= 1
            if depth == 0:
                return j
    return None


def _top_level_bars(chars: list[_Char], start: int, end: int) -> list[int]:
    depth = 0
    bars: list[int] = []
    for j in range(start, end):
        if chars[j].is_("{"):
            depth += 1
        elif chars[j].is_("}"):
            depth -= 1
        elif chars[j].is_("|") and depth == 0:
            bars.append(j)
    return bars


def _joined(text: list[str]) -> list[Part]:
    return ["".join(text)] if text else []


def _merge(parts: list[Part]) -> tuple[Part, ...]:
    """Adjacent text runs joined into one string."""
    merged: list[Part] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        else:
            merged.append(part)
    return tuple(merged)


def _count(parts: Sequence[Part]) -> int:
    total = 1
    for part in parts:
        if isinstance(part, Alternatives):
            total *= sum(_count(option) for option in part.options)
    return total


def _expand(parts: Sequence[Part]) -> list[str]:
    choices: list[list[str]] = []
    for part in parts:
        if isinstance(part, Alternatives):
            choices.append([text for option in part.options for text in _expand(option)])
        else:
            choices.append([part])
    return ["".join(combo) for combo in itertools.product(*choices)]


def _problem(text: str, char: _Char, why: str) -> VariationProblem:
    offset = char.offset
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    where = f"column {column}" if line == 1 else f"line {line}, column {column}"
    message = f"the `{char.text}` at {where} {why}; write `\\{char.text}` for a literal brace"
    return VariationProblem(message, offset, line, column)
