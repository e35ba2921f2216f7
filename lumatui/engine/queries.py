"""Which jobs to show and in what order: the one job query.

The store pages through SQLite with `where_clause`; the workstation decides whether one
changed job belongs in its list with `matches`. Both come from `conditions`, where each test
is written once in its two forms, and text is folded by one Python function that SQLite
calls too, so the two can never disagree (not even on "É" and "é").
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lumatui.engine.jobs import FINISHED_STATES

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Callable

    from lumatui.engine.jobs import Job

SORTABLE = {
    "created": "seq",
    "state": "state",
    "type": "type",
    "model": "model",
    "elapsed": "COALESCE(finished_at, updated_at) - COALESCE(submitted_at, created_at)",
    "prompt": "prompt",
}


@dataclass(frozen=True)
class JobQuery:
    """A filter and an order for the job list; empty fields match everything."""

    text: str = ""
    states: frozenset[str] = field(default_factory=frozenset)
    types: frozenset[str] = field(default_factory=frozenset)
    models: frozenset[str] = field(default_factory=frozenset)
    hide_finished: bool = False
    starred: bool | None = None
    """True: only starred jobs (`star:yes`); False: only unstarred (`star:no`); None: both."""
    sort: str = "created"
    descending: bool = True

    def order_by(self) -> str:
        """The ORDER BY clause (newest first by default; ties broken by submission order)."""
        column = SORTABLE.get(self.sort, "seq")
        direction = "DESC" if self.descending else "ASC"
        return f"ORDER BY {column} {direction}, seq {direction}"


@dataclass(frozen=True)
class Condition:
    """One test of a job query, written once: as SQL for paging and as Python for one job."""

    sql: str
    params: tuple[Any, ...]
    test: Callable[[Job], bool]


def fold(text: str) -> str:
    """Text as the filter compares it: Unicode case folding ("Straße" and "STRASSE" agree)."""
    return text.casefold()


def text_matches(needle: str, *haystacks: str | None) -> bool:
    """True when the folded `needle` occurs in any haystack (folded); None is no text."""
    return any(needle in fold(h) for h in haystacks if h)


TEXT_FUNCTION = "lumatui_text_matches"
"""The SQL name of `text_matches`, registered on every history connection (`engine.db`)."""
TEXT_COLUMNS = ("prompt", "generation_id", "id", "failure_code")
"""The columns the filter's free text searches (the same as `Job` fields)."""
ID_COLUMNS = frozenset({"generation_id", "id"})


def register_functions(db: sqlite3.Connection) -> None:
    """Give a connection the functions `where_clause` uses."""
    db.create_function(TEXT_FUNCTION, 2, text_matches, deterministic=True)


def _text_sql(needle: str) -> tuple[str, tuple[Any, ...]]:
    """SQL that finds the folded `needle` in any text column, exactly as `text_matches` does.

    Calling Python for every row is slow, so SQLite's LIKE goes first: its case folding is
    ASCII's, the same as `str.casefold` on ASCII, and a folded needle it finds is also found
    by `text_matches` (folding is per character and idempotent). Only text holding anything
    but ASCII (é, ß, Σ: more bytes than characters) that LIKE missed goes to `text_matches`.
    Ids are canonical lower-case UUIDs (`api.schema.parse_uuid`, uuid4), already folded, so
    `instr` finds the folded needle in them exactly.
    """
    pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    parts, params = [], []
    for column in TEXT_COLUMNS:
        if column in ID_COLUMNS:
            parts.append(f"instr({column}, ?) > 0")
            params.append(needle)
            continue
        parts.append(
            f"({column} LIKE ? ESCAPE '\\' OR (length(CAST({column} AS BLOB)) > length({column})"
            f" AND {TEXT_FUNCTION}(?, {column})))"
        )
        params += [pattern, needle]
    return "(" + " OR ".join(parts) + ")", tuple(params)


@functools.lru_cache(maxsize=16)  # the job list asks once per changed job, with one query
def conditions(query: JobQuery) -> tuple[Condition, ...]:
    """The tests `query` makes, each with its SQL and its Python form side by side."""
    found: list[Condition] = []
    for column, values in (("state", query.states), ("type", query.types), ("model", query.models)):
        if values:
            found.append(
                Condition(
                    f"{column} IN ({','.join('?' * len(values))})",
                    tuple(sorted(values)),
                    _one_of(column, values),
                )
            )
    if query.hide_finished:
        found.append(
            Condition(
                f"state NOT IN ({','.join('?' * len(FINISHED_STATES))})",
                tuple(sorted(FINISHED_STATES)),
                lambda job: job.state not in FINISHED_STATES,
            )
        )
    if query.starred is not None:
        starred = query.starred
        found.append(Condition("starred = ?", (int(starred),), lambda job: job.starred == starred))
    if query.text:
        needle = fold(query.text)
        found.append(
            Condition(
                *_text_sql(needle),
                lambda job: text_matches(
                    needle, job.prompt, job.generation_id, job.id, job.failure_code
                ),
            )
        )
    return tuple(found)


def where_clause(query: JobQuery) -> tuple[str, tuple[Any, ...]]:
    """The WHERE clause and its parameters for `query` (an empty string matches all)."""
    found = conditions(query)
    if not found:
        return "", ()
    sql = "WHERE " + " AND ".join(c.sql for c in found)
    return sql, tuple(p for c in found for p in c.params)


def matches(job: Job, query: JobQuery) -> bool:
    """True when `job` belongs in a list filtered by `query`: the same tests as `where_clause`."""
    return all(c.test(job) for c in conditions(query))


def _one_of(column: str, values: frozenset[str]) -> Callable[[Job], bool]:
    """The Python form of `column IN (values)`."""
    return lambda job: str(getattr(job, column)) in values  # str(state) is its value
