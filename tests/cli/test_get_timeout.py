"""`lumatui get --timeout`: an API that never answers cannot keep `get` waiting."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

from tests.cli.conftest import KEY, stored_jobs

if TYPE_CHECKING:
    from collections.abc import Callable

    import pytest

    from tests.cli.conftest import Ran


def test_get_gives_up_at_its_timeout_and_shows_what_is_stored(
    on_sim: Callable[..., Ran], cli: Callable[..., Ran], monkeypatch: pytest.MonkeyPatch
) -> None:
    submitted = on_sim("submit", "--prompt", "a fox at dawn")
    assert submitted.code == 0
    (job,) = stored_jobs()
    assert job.generation_id and job.state in ("queued", "processing")
    # A server that takes the connection and the request, then never says a word.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/v1"
        monkeypatch.setenv("LUMA_AGENTS_API_KEY", KEY)
        ran = cli("get", job.generation_id, "--base-url", url, "--timeout", "0.5")
    assert ran.code == 5
    assert "timed out after 0.5 s; showing what is stored" in ran.err
    assert "a fox at dawn" in ran.out and "Traceback" not in ran.err


def test_get_timeout_must_be_positive(cli: Callable[..., Ran]) -> None:
    for bad in ("0", "-1", "nan"):
        ran = cli("get", "2a31b73f", "--timeout", bad)
        assert ran.code == 2 and "--timeout" in ran.err
