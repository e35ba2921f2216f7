"""AgentsClient over httpx.MockTransport: requests, replies, errors, and the key kept secret.

Error statuses live in test_client_errors.py, retries in test_client_retries.py, downloads in
test_download.py; the helpers here are shared with them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from lumatui import __version__
from lumatui.api import errors
from lumatui.api.client import DEFAULT_BASE_URL, AgentsClient
from lumatui.api.enums import GenerationState, Model
from lumatui.api.schema import GenerationRequest
from tests.api.client_host import (
    BASE,
    GID,
    KEY,
    Server,
    Sleeps,
    generation,
    make_client,
    prompt_request,
    reply,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator


@pytest.fixture(autouse=True)
def key_never_logged(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Capture every log line at DEBUG and check the key is in none of them."""
    caplog.set_level(logging.DEBUG)
    yield
    assert KEY not in caplog.text
    for record in caplog.records:
        assert KEY not in record.getMessage()


# --- the request the client sends -------------------------------------------------------


async def test_create_sends_body_auth_and_headers() -> None:
    server = Server(reply(201))
    async with make_client(server) as client:
        created = await client.create(GenerationRequest(prompt="cat", model=Model.UNI_1_MAX))
    assert created.id == GID
    assert created.state is GenerationState.QUEUED
    [sent] = server.requests
    assert sent.method == "POST"
    assert str(sent.url) == f"{BASE}/generations"
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.headers["user-agent"] == f"lumatui/{__version__}"
    assert sent.headers["content-type"] == "application/json"
    assert uuid.UUID(sent.headers["x-request-id"]).version == 4
    assert json.loads(sent.content) == {"prompt": "cat", "model": "uni-1-max"}


async def test_every_call_has_its_own_request_id() -> None:
    server = Server(reply())
    async with make_client(server) as client:
        await client.get(GID)
        await client.get(GID)
        await client.create(prompt_request())
    ids = {r.headers["x-request-id"] for r in server.requests}
    assert len(ids) == 3


@pytest.mark.parametrize("status", [200, 201, 202])
async def test_create_accepts_any_2xx(status: int) -> None:
    async with make_client(Server(reply(status))) as client:
        assert (await client.create(prompt_request())).id == GID


async def test_get_uses_the_canonical_id_in_the_path() -> None:
    server = Server(reply())
    async with make_client(server) as client:
        await client.get(GID.upper())
    assert server.requests[0].method == "GET"
    assert server.requests[0].url.path == f"/v1/generations/{GID}"


@pytest.mark.parametrize("bad", ["../../x", "", "not-a-uuid", f"{GID}/../../admin", "%2e%2e"])
async def test_get_refuses_an_id_that_is_not_a_uuid(bad: str) -> None:
    server = Server(reply())
    async with make_client(server) as client:
        with pytest.raises(errors.InvalidGenerationId) as caught:
            await client.get(bad)
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, errors.ApiError)
    assert server.requests == []


# --- base URL and construction ------------------------------------------------------------


def test_base_url_trailing_slash_is_stripped() -> None:
    client = AgentsClient(KEY, "https://agents.test/v1/")
    assert client.base_url == "https://agents.test/v1"
    assert AgentsClient(KEY).base_url == DEFAULT_BASE_URL


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8765/v1",
        "http://127.9.9.9/v1",
        "http://localhost:1/v1",
        "http://[::1]:80/v1",
    ],
)
def test_plain_http_allowed_to_loopback(url: str) -> None:
    assert AgentsClient(KEY, url).base_url == url


@pytest.mark.parametrize(
    "url",
    [
        DEFAULT_BASE_URL.replace("https:", "http:"),
        "http://10.0.0.5/v1",
        "http://localhost.evil.test/v1",
    ],
)
def test_plain_http_refused_elsewhere(url: str, caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(ValueError, match="plain http"):
        AgentsClient(KEY, url)
    client = AgentsClient(KEY, url, allow_insecure_http=True)
    assert client.base_url == url
    assert any(r.levelno == logging.WARNING and "unencrypted" in r.message for r in caplog.records)


@pytest.mark.parametrize(
    "url", ["ftp://agents.test/v1", "agents.test/v1", "https://user:pw@agents.test/v1", "https://"]
)
def test_bad_base_urls_refused(url: str) -> None:
    with pytest.raises(ValueError):
        AgentsClient(KEY, url)


@pytest.mark.parametrize("key", ["", "   ", "bad key", "line\nbreak", "ключ-не-ascii"])
def test_bad_keys_refused_without_echoing_them(key: str) -> None:
    with pytest.raises(ValueError) as caught:
        AgentsClient(key)
    if key.strip():
        assert key not in str(caught.value)


async def test_timeouts_default_and_configurable() -> None:
    seen: list[dict[str, float | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return reply()

    async with make_client(Server(handler)) as client:
        await client.get(GID)
    async with make_client(Server(handler), connect_timeout=1.5, read_timeout=9.0) as client:
        await client.get(GID)
    assert seen[0]["connect"] == 5.0
    assert seen[0]["read"] == 60.0
    assert seen[1]["connect"] == 1.5
    assert seen[1]["read"] == 9.0


# --- replies ------------------------------------------------------------------------------


async def test_unknown_enum_values_and_extra_fields_are_kept() -> None:
    body = generation(
        model="uni-2", state="thinking", type="hologram", failure_code="new_code", eta=12
    )
    async with make_client(Server(reply(body=body))) as client:
        got = await client.get(GID)
    assert got.model == "uni-2"
    assert got.state == "thinking"
    assert got.type == "hologram"
    assert got.failure_code == "new_code"
    assert got.model_extra == {"eta": 12}
    assert not got.is_terminal


async def test_completed_generation_with_outputs() -> None:
    out = [{"type": "image", "url": "https://cdn.test/a.png?sig=1"}]
    body = generation(state="completed", output=out)
    async with make_client(Server(reply(body=body))) as client:
        got = await client.get(GID)
    assert got.is_terminal
    assert got.output is not None
    assert got.output[0].url == "https://cdn.test/a.png?sig=1"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (generation(state=None), "missing 'state'"),
        (generation(id=None), "missing 'id'"),
        (generation(id="../../x"), "invalid 'id'"),
        (generation(output=[{"type": "image"}]), "missing 'output[0].url'"),
        (generation(created_at=5), "invalid 'created_at'"),
        ([generation()], "JSON list, not an object"),
        ("queued", "JSON str, not an object"),
    ],
)
async def test_invalid_replies_name_the_problem(body: object, fragment: str) -> None:
    async with make_client(Server(reply(body=body))) as client:
        with pytest.raises(errors.ResponseInvalid) as caught:
            await client.get(GID)
    assert fragment in caught.value.message


async def test_reply_that_is_not_json() -> None:
    page = httpx.Response(200, text="<html><title>Login</title></html>")
    server = Server(page)
    async with make_client(server) as client:
        with pytest.raises(errors.ResponseInvalid, match="not JSON") as caught:
            await client.get(GID)
    assert "<" not in caught.value.message
    assert len(server.requests) == 1


async def test_reply_for_another_generation_is_refused() -> None:
    other = str(uuid.uuid4())
    async with make_client(Server(reply(body=generation(id=other)))) as client:
        with pytest.raises(errors.ResponseInvalid, match="another generation"):
            await client.get(GID)


async def test_oversized_reply_is_refused() -> None:
    huge = generation(failure_reason="x" * (3 * 1024 * 1024))
    async with make_client(Server(reply(body=huge))) as client:
        with pytest.raises(errors.ResponseInvalid, match="too large"):
            await client.get(GID)


async def test_oversized_reply_without_content_length_is_refused() -> None:
    async def chunks() -> Any:
        yield b'{"id": "'
        for _ in range(300):
            yield b"x" * 10_000

    class Stream(httpx.AsyncByteStream):
        def __aiter__(self) -> Any:
            return chunks()

    async with make_client(Server(httpx.Response(200, stream=Stream()))) as client:
        with pytest.raises(errors.ResponseInvalid, match="too large"):
            await client.get(GID)


async def test_deeply_nested_json_is_invalid_not_a_crash() -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    async with make_client(Server(httpx.Response(200, content=body))) as client:
        with pytest.raises(errors.ResponseInvalid, match="not JSON"):
            await client.get(GID)


# --- hostile text the server echoes ------------------------------------------------------


async def test_created_at_is_cleaned_of_controls_bidi_and_the_key() -> None:
    hostile = f"2026-11-27\x9b31m\u202eT12:00\x1b]0;x\x07Z {KEY}"
    async with make_client(Server(reply(body=generation(created_at=hostile)))) as client:
        got = await client.get(GID)
    assert KEY not in got.created_at and "[redacted]" in got.created_at
    assert not any(c in got.created_at for c in "\x9b\u202e\x1b\x07")
    assert got.created_at.startswith("2026-11-27")


async def test_a_key_echoed_in_x_request_id_never_reaches_an_error() -> None:
    refused = httpx.Response(401, json={"detail": "no"}, headers={"X-Request-Id": f"id-{KEY}"})
    async with make_client(Server(refused)) as client:
        with pytest.raises(errors.ApiError) as caught:
            await client.get(GID)
    assert KEY not in str(caught.value) and KEY not in repr(caught.value)
    assert caught.value.request_id is not None and "[redacted]" in caught.value.request_id


@pytest.mark.parametrize("form", [KEY, KEY.replace("-", "%2D")])
async def test_a_key_echoed_in_an_output_url_is_redacted_before_it_is_kept(form: str) -> None:
    out = [{"type": "image", "url": f"https://cdn.test/a.png?sig=1&leak={form}"}]
    async with make_client(Server(reply(body=generation(state="completed", output=out)))) as c:
        got = await c.get(GID)
    assert got.output is not None
    assert KEY not in got.output[0].url and "%2D" not in got.output[0].url
    assert got.output[0].url == "https://cdn.test/a.png?sig=1&leak=REDACTED"


# --- overall deadlines ---------------------------------------------------------------------


class Drip(httpx.AsyncByteStream):
    """A reply body that sends one byte, then nothing more, ever (and never closes)."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b"{"
        await asyncio.Event().wait()


class Unanswered(httpx.AsyncBaseTransport):
    """A transport that never gets as far as sending: the connection hangs while opening."""

    reports_trace = True  # it would report sending; it never gets that far

    def __init__(self) -> None:
        self.attempts = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.attempts += 1
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


def dripping() -> httpx.Response:
    return httpx.Response(200, stream=Drip(), headers={"Content-Type": "application/json"})


async def test_a_dripping_get_reply_ends_at_the_deadline_with_a_clear_error() -> None:
    server = Server(dripping())
    async with make_client(server, call_deadline=0.1, max_get_retries=0) as client:
        with pytest.raises(errors.RequestTimeout, match=r"no complete reply within 0\.1 s"):
            await client.get(GID)


async def test_a_post_cut_by_the_deadline_after_sending_is_uncertain_and_not_resent() -> None:
    server = Server(dripping())
    async with make_client(server, call_deadline=0.1) as client:
        with pytest.raises(errors.OutcomeUncertain):
            await client.create(prompt_request())
    assert len(server.requests) == 1  # the money rule: never sent twice


async def test_a_post_that_never_left_is_a_plain_timeout_at_the_deadline() -> None:
    hanging = Unanswered()
    client = AgentsClient(KEY, BASE, transport=hanging, sleep=Sleeps(), call_deadline=0.1)
    async with client:
        with pytest.raises(errors.RequestTimeout) as caught:
            await client.create(prompt_request())
    # Provably nothing was sent: not uncertain, so the submitter may send it again later.
    assert not isinstance(caught.value, errors.OutcomeUncertain)
    assert hanging.attempts == 1  # create itself never retries or sleeps


def test_the_default_deadline_covers_connect_read_and_sending() -> None:
    client = AgentsClient(KEY, BASE, connect_timeout=5.0, read_timeout=60.0)
    assert client.call_deadline == 90.0
