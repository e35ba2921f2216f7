"""httpx's own command-line client (click, pygments) is never imported by lumatui.

`lumatui/__init__.py` marks `httpx._main` absent, so httpx takes its fallback: importing
it costs about half as much, and the client works as before.
"""

from __future__ import annotations

import subprocess
import sys

import httpx

CHECK = """
import sys
import lumatui.api.client
import httpx
print(sorted(name for name in ("click", "pygments.lexers", "rich.syntax") if name in sys.modules))
print(callable(httpx.main), callable(httpx.AsyncClient))
"""


def test_importing_the_client_leaves_httpx_cli_unloaded() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split("\n")[:2] == ["[]", "True True"]


def test_httpx_works_without_its_cli() -> None:
    def reply(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"path": request.url.path})

    with httpx.Client(transport=httpx.MockTransport(reply)) as client:
        assert client.get("https://example.invalid/v1/x").json() == {"path": "/v1/x"}
