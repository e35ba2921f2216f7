"""The job list's filter line: free text plus `state:`, `type:`, `model:` and `star:` tokens.

`state:failed,uncertain type:video fox` keeps failed or uncertain videos whose prompt (or id,
or failure code) contains "fox". The same query goes to SQLite for paging, and `matches`
decides in Python whether a changed job belongs in the list, so both always agree.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from lumatui.engine.queries import SORTABLE, JobQuery

if TYPE_CHECKING:
    from lumatui.engine.jobs import Job

TOKEN_FIELDS = {"state": "states", "is": "states", "type": "types", "model": "models"}
STAR_VALUES = {"yes": True, "y": True, "true": True, "1": True}
STAR_VALUES.update({"no": False, "n": False, "false": False, "0": False})
"""`star:yes` keeps starred jobs, `star:no` the others."""
SORT_COLUMNS = tuple(SORTABLE)
"""The columns the list sorts by, in the order the sort key cycles through them."""


def parse_filter(text: str, base: JobQuery | None = None) -> JobQuery:
    """The query for the filter `text`, keeping `base`'s hide-finished flag and its order."""
    base = base or JobQuery()
    values: dict[str, set[str]] = {"states": set(), "types": set(), "models": set()}
    words: list[str] = []
    starred: bool | None = None
    for word in text.split():
        name, sep, rest = word.partition(":")
        if sep and name.lower() in ("star", "starred") and rest.lower() in STAR_VALUES:
            starred = STAR_VALUES[rest.lower()]
            continue
        field = TOKEN_FIELDS.get(name.lower()) if sep else None
        if field is None or not rest:
            words.append(word)
            continue
        values[field].update(v.strip().lower() for v in rest.split(",") if v.strip())
    return replace(
        base,
        text=" ".join(words),
        states=frozenset(values["states"]),
        types=frozenset(values["types"]),
        models=frozenset(values["models"]),
        starred=starred,
    )


def describe(query: JobQuery) -> str:
    """The query in the filter's own syntax (empty when it matches everything)."""
    parts = [
        f"{name}:{','.join(sorted(values))}"
        for name, values in (
            ("state", query.states),
            ("type", query.types),
            ("model", query.models),
        )
        if values
    ]
    if query.starred is not None:
        parts.append(f"star:{'yes' if query.starred else 'no'}")
    if query.text:
        parts.append(query.text)
    return " ".join(parts)


def matches(job: Job, query: JobQuery) -> bool:
    """True when `job` belongs in a list filtered by `query` (the store's WHERE, in Python)."""
    if query.states and job.state.value not in query.states:
        return False
    if query.types and job.type not in query.types:
        return False
    if query.models and job.model not in query.models:
        return False
    if query.hide_finished and job.state.is_finished:
        return False
    if query.starred is not None and job.starred is not query.starred:
        return False
    if query.text:
        needle = query.text.lower()
        haystacks = (job.prompt, job.generation_id or "", job.id, job.failure_code or "")
        # SQLite's LIKE is case-insensitive for ASCII only; lower() is close enough here.
        if not any(needle in h.lower() for h in haystacks):
            return False
    return True


def next_sort(query: JobQuery) -> JobQuery:
    """The same query sorted by the next column in `SORT_COLUMNS`."""
    index = SORT_COLUMNS.index(query.sort) if query.sort in SORT_COLUMNS else -1
    return replace(query, sort=SORT_COLUMNS[(index + 1) % len(SORT_COLUMNS)])
