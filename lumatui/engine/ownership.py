"""This process among the others on the history: its owner id, its role, and adoption.

Roles: the **primary** (one workstation or `lumatui wait --all` at a time, whoever holds
the primary lock) adopts every job whose owner is gone and then sends, polls and downloads
it; a **viewer** (another workstation, or a second `wait --all`) works only on its own
jobs and takes the primary role when it falls free; a **one-shot** command never leads and
never adopts what it did not ask for. Every process sends, polls and downloads only the
jobs it owns (see `claims.py`).
"""

from __future__ import annotations

import asyncio
import os
import time
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from lumatui.engine.claims import ProcessRow
from lumatui.engine.owners import (
    HOST,
    HeldLock,
    new_owner_id,
    owner_alive,
    primary_lock_path,
    process_alive,
    take_owner_lock,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from lumatui.engine.astore import AsyncJobStore
    from lumatui.engine.jobs import Job
    from lumatui.engine.store import JobStore

HEARTBEAT_S = 10.0


class Role(StrEnum):
    """What this process does for the history."""

    PRIMARY = "primary"
    VIEWER = "viewer"
    ONE_SHOT = "one-shot"


def dead_owners(store: JobStore, database: Path, me: str, now: float) -> list[str]:
    """Owners (registered processes, and owners named by jobs) that are no longer alive."""
    dead: list[str] = []
    known: set[str] = set()
    for row in store.processes():
        known.add(row.owner)
        if row.owner != me and not process_alive(database, row, now):
            dead.append(row.owner)
    for owner in store.job_owners():
        if owner not in known and owner != me and not owner_alive(database, owner):
            dead.append(owner)
    return dead


def live_primary(store: JobStore, database: Path, now: float) -> ProcessRow | None:
    """The registered primary, if it is alive."""
    for row in store.processes():
        if row.role == Role.PRIMARY and process_alive(database, row, now):
            return row
    return None


class Ownership:
    """Registers this process, keeps its heartbeat, takes the primary role, adopts."""

    def __init__(
        self,
        store: AsyncJobStore,
        *,
        kind: str,
        may_lead: bool,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self.database = Path(str(store.path))
        self.owner = new_owner_id()
        self.kind = kind
        self.may_lead = may_lead
        self.role = Role.VIEWER if may_lead else Role.ONE_SHOT
        self._clock = clock
        self._lock: HeldLock | None = None
        self._primary_lock: HeldLock | None = None
        self._last_beat = 0.0
        self.started_at = clock()
        self._start_due = False
        self._start_failed = False
        self._registered = asyncio.Event()

    @property
    def is_primary(self) -> bool:
        """True while this process holds the primary lock."""
        return self.role is Role.PRIMARY

    def start_soon(self) -> None:
        """Say `start` follows shortly (the workstation starts after its first frame):
        from now on `registered` waits for it."""
        self._start_due = True

    async def registered(self) -> None:
        """Return once this process is registered, when its start is due or under way.

        A job recorded under an owner no live process has registered looks orphaned to the
        other processes on the history, and one of them could send it too: every write
        recording jobs owned here awaits this first.
        """
        if self._start_due:
            await self._registered.wait()
            if self._start_failed:
                raise RuntimeError("this process could not register in the history")

    async def start(self) -> None:
        """Take the liveness lock, maybe the primary lock, and register."""
        self._start_due = True
        try:
            self._lock = take_owner_lock(self.database, self.owner)
            self._try_lead()
            now = self._clock()
            row = ProcessRow(
                self.owner, os.getpid(), HOST, self.started_at, self.kind, self.role, now
            )
            await self._store.write(lambda s: s.register_process(row))
            self._last_beat = now
        except BaseException:
            self._start_failed = True
            raise
        finally:
            self._registered.set()

    async def tick(self) -> bool:
        """Heartbeat, and take the primary role if it fell free; True when the role changed."""
        changed = self._try_lead()
        now = self._clock()
        if changed or now - self._last_beat >= HEARTBEAT_S:
            self._last_beat = now
            owner, role = self.owner, str(self.role)
            await self._store.write(lambda s: s.heartbeat(owner, role=role, now=now))
        return changed

    async def dead(self) -> list[str]:
        """Owners that have died (checked off the event loop)."""
        database, me, now = self.database, self.owner, self._clock()
        return await self._store.read(lambda s: dead_owners(s, database, me, now))

    async def adopt(self, job_ids: Sequence[str] | None = None) -> list[Job]:
        """Take the jobs (all, or these) whose owner is gone; returns every job that changed."""
        dead = await self.dead()
        owner = self.owner
        wanted = None if job_ids is None else list(job_ids)
        if not await self._store.read(lambda s: s.has_orphans(dead, job_ids=wanted)):
            if dead:  # forget the dead processes' rows all the same
                await self._store.write(lambda s: s.adopt(owner, dead, job_ids=[]))
            return []
        return await self._store.write(lambda s: s.adopt(owner, dead, job_ids=wanted))

    async def primary(self) -> ProcessRow | None:
        """The live primary (this process, or another)."""
        database, now = self.database, self._clock()
        return await self._store.read(lambda s: live_primary(s, database, now))

    async def stop(self, cancel_note: str | None = None) -> list[Job]:
        """Give back every job this process holds, unregister, let go of the locks."""
        owner = self.owner
        try:
            released = await self._store.write(lambda s: s.release(owner, cancel_note=cancel_note))
        finally:
            if self._primary_lock is not None:
                self._primary_lock.release()
                self._primary_lock = None
            if self._lock is not None:
                self._lock.release(unlink=True)
                self._lock = None
        return released

    def _try_lead(self) -> bool:
        """Take the primary lock if this process may lead and it is free."""
        if not self.may_lead or self._primary_lock is not None:
            return False
        self._primary_lock = HeldLock.try_take(primary_lock_path(self.database))
        if self._primary_lock is None:
            return False
        self.role = Role.PRIMARY
        return True
