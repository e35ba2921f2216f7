"""The history for the event loop: every write on one writer thread, reads on worker threads.

The engine and the workstation never touch SQLite on the event loop: a write can wait
seconds for another process's write lock, and a page of a large history takes a while to
read. `await store.write(lambda s: s.mark_local(...))` runs the write on the one writer
thread (so writes keep their order) and returns what the write returned, the rows it
wrote; `await store.read(...)` runs a read on a reader thread, never queued behind writes.
The synchronous `JobStore` stays available as `.sync` for one-shot commands and tests.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable
    from concurrent.futures import Future

    from lumatui.engine.store import JobStore

T = TypeVar("T")
READER_THREADS = 2


class AsyncJobStore:
    """An async face over one JobStore (see the module docstring)."""

    def __init__(self, store: JobStore) -> None:
        self.sync = store
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="lumatui-store-write")
        self._readers = ThreadPoolExecutor(READER_THREADS, thread_name_prefix="lumatui-store-read")
        self.writes = 0
        """Writes run so far (the benchmarks count them)."""

    @property
    def path(self) -> object:
        """The database file."""
        return self.sync.path

    async def write(self, operation: Callable[[JobStore], T]) -> T:
        """Run `operation(store)` on the writer thread; its result.

        If the caller is cancelled meanwhile, the write still runs to its end (a thread
        cannot be stopped half-way): writes queued after it see what it wrote.
        """
        self.writes += 1
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._writer, operation, self.sync)

    async def read(self, operation: Callable[[JobStore], T]) -> T:
        """Run `operation(store)` on a reader thread; its result."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers, operation, self.sync)

    def read_soon(self, operation: Callable[[JobStore], T]) -> Future[T]:
        """Start `operation(store)` on a reader thread now, also outside the event loop;
        `await asyncio.wrap_future(future)` gives its result."""
        return self._readers.submit(operation, self.sync)

    def drain(self) -> None:
        """Wait (blocking) until every queued write has run; later writes still work."""
        self._writer.submit(lambda: None).result()

    def close(self) -> None:
        """Finish the queued writes, stop the threads, close the database."""
        self._writer.shutdown(wait=True)
        self._readers.shutdown(wait=True, cancel_futures=True)
        self.sync.close()
