"""Which jobs to show and in what order: a query the store turns into indexed SQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lumatui.engine.jobs import FINISHED_STATES

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


def where_clause(query: JobQuery) -> tuple[str, tuple[Any, ...]]:
    """The WHERE clause and its parameters for `query` (an empty string matches all)."""
    parts: list[str] = []
    params: list[Any] = []
    for column, values in (("state", query.states), ("type", query.types), ("model", query.models)):
        if values:
            parts.append(f"{column} IN ({','.join('?' * len(values))})")
            params.extend(sorted(values))
    if query.hide_finished:
        parts.append(f"state NOT IN ({','.join('?' * len(FINISHED_STATES))})")
        params.extend(sorted(FINISHED_STATES))
    if query.starred is not None:
        parts.append("starred = ?")
        params.append(int(query.starred))
    if query.text:
        pattern = (
            "%" + query.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
        parts.append(
            "(prompt LIKE ? ESCAPE '\\' OR generation_id LIKE ? ESCAPE '\\'"
            " OR id LIKE ? ESCAPE '\\' OR failure_code LIKE ? ESCAPE '\\')"
        )
        params.extend([pattern] * 4)
    return ("WHERE " + " AND ".join(parts) if parts else ""), tuple(params)
