"""Rows marked for a bulk action: a small piece other views build on (compare, export...)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator


class JobMarks:
    """The marked jobs' local ids, in the order they were marked."""

    def __init__(self) -> None:
        self._ids: dict[str, None] = {}

    def toggle(self, job_id: str) -> bool:
        """Mark the job, or unmark it if it was marked; True when it is marked now."""
        if job_id in self._ids:
            del self._ids[job_id]
            return False
        self._ids[job_id] = None
        return True

    def discard(self, job_ids: Iterable[str]) -> list[str]:
        """Unmark these jobs (removed ones, say); the ones that were marked."""
        dropped = [job_id for job_id in job_ids if job_id in self._ids]
        for job_id in dropped:
            del self._ids[job_id]
        return dropped

    def clear(self) -> list[str]:
        """Unmark everything; the ids that were marked."""
        dropped = list(self._ids)
        self._ids.clear()
        return dropped

    @property
    def ids(self) -> list[str]:
        """The marked ids, first marked first."""
        return list(self._ids)

    def __contains__(self, job_id: object) -> bool:
        return job_id in self._ids

    def __len__(self) -> int:
        return len(self._ids)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._ids))
