"""Work for a Textual worker, made into a coroutine only when the worker awaits it.

`run_worker(self._read(token))` makes the coroutine at once; when the app is closing the
worker never starts and Python warns that the coroutine was never awaited. `deferred`
hands Textual an awaitable that makes the coroutine when it is awaited.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine, Generator

P = ParamSpec("P")
T = TypeVar("T")


class Deferred(Generic[T]):
    """An awaitable that calls `work(*args, **kwargs)` when it is awaited."""

    def __init__(self, work: Callable[[], Coroutine[Any, Any, T]]) -> None:
        self._work = work

    def __await__(self) -> Generator[Any, None, T]:
        return self._work().__await__()


def deferred(
    work: Callable[P, Coroutine[Any, Any, T]], *args: P.args, **kwargs: P.kwargs
) -> Deferred[T]:
    """`work(*args, **kwargs)`, started only when a worker awaits it."""
    return Deferred(lambda: work(*args, **kwargs))
