"""Retries: GETs back off and retry; a POST is re-sent only when it provably created nothing."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from lumatui.api import errors
from lumatui.api.client import BACKOFF_CAP, AgentsClient
from lumatui.api.sending import SendProbe
from tests.api.client_host import (
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
    from collections.abc import AsyncIterator


class DroppedBody(httpx.AsyncByteStream):
    """A body that sends a few bytes and then loses the connection."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'{"id": "182bd5e5-'
        raise httpx.ReadError("connection reset by peer")


class Ceiling:
    """A stand-in for random.Random whose uniform(a, b) always returns b."""

    def uniform(self, low: float, high: float) -> float:
        return high


@pytest.fixture(autouse=True)
def key_never_logged(caplog: pytest.LogCaptureFixture) -> Any:
    """Every log line at DEBUG, checked for the key afterwards."""
    caplog.set_level(logging.DEBUG)
    yield
    assert KEY not in caplog.text


# --- GET ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("refused"),
        httpx.ConnectTimeout("slow connect"),
        httpx.ReadTimeout("slow reply"),
        httpx.ReadError("reset"),
        httpx.RemoteProtocolError("server disconnected"),
        httpx.Response(408),
        httpx.Response(429),
        httpx.Response(500),
        httpx.Response(502),
        httpx.Response(503),
        httpx.Response(504),
    ],
    ids=lambda f: type(f).__name__ if isinstance(f, Exception) else str(f.status_code),
)
async def test_get_retries_transient_failures(failure: httpx.Response | Exception) -> None:
    server = Server(failure, failure, reply())
    sleeps = Sleeps()
    async with make_client(server, sleeps) as client:
        got = await client.get(GID)
    assert got.id == GID
    assert len(server.requests) == 3
    assert len(sleeps.delays) == 2


async def test_get_retries_are_bounded() -> None:
    server = Server(httpx.Response(500))
    sleeps = Sleeps()
    async with make_client(server, sleeps, max_get_retries=4) as client:
        with pytest.raises(errors.ServerError):
            await client.get(GID)
    assert len(server.requests) == 5
    assert len(sleeps.delays) == 4
    for attempt, delay in enumerate(sleeps.delays, start=1):
        assert 0 <= delay <= min(BACKOFF_CAP, 0.5 * 2 ** (attempt - 1))


async def test_backoff_doubles_up_to_the_cap() -> None:
    server = Server(httpx.ConnectError("refused"))
    sleeps = Sleeps()
    client = make_client(server, sleeps, max_get_retries=6)
    client._random = Ceiling()  # type: ignore[assignment]
    async with client:
        with pytest.raises(errors.NetworkError):
            await client.get(GID)
    assert sleeps.delays == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(400),
        httpx.Response(401),
        httpx.Response(404),
        httpx.Response(418),
        httpx.Response(200, text="garbage"),
        httpx.Response(200, json=generation(state=None)),
    ],
)
async def test_get_does_not_retry_what_will_not_change(failure: httpx.Response) -> None:
    server = Server(failure, reply())
    sleeps = Sleeps()
    async with make_client(server, sleeps) as client:
        with pytest.raises(errors.ApiError):
            await client.get(GID)
    assert len(server.requests) == 1
    assert sleeps.delays == []


async def test_get_zero_retries_means_one_attempt() -> None:
    server = Server(httpx.ConnectError("refused"))
    async with make_client(server, max_get_retries=0) as client:
        with pytest.raises(errors.NetworkError) as caught:
            await client.get(GID)
    assert len(server.requests) == 1
    assert caught.value.request_id == server.requests[0].headers["x-request-id"]


async def test_each_attempt_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    server = Server(httpx.Response(503), reply())
    async with make_client(server) as client:
        await client.get(GID)
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    ours = [line for line in lines if line.startswith("GET /v1/generations/")]
    assert [line.rsplit(" ", 1)[-1] for line in ours] == ["1", "2"]
    assert "-> 503 " in ours[0]
    assert "-> 200 " in ours[1]


# --- Retry-After --------------------------------------------------------------------------


async def test_retry_after_seconds_is_honoured() -> None:
    server = Server(httpx.Response(429, headers={"Retry-After": "7"}), reply())
    sleeps = Sleeps()
    async with make_client(server, sleeps) as client:
        await client.get(GID)
    assert sleeps.delays == [7.0]


async def test_retry_after_wins_over_backoff_on_503_too() -> None:
    server = Server(httpx.Response(503, headers={"Retry-After": "3"}), reply())
    sleeps = Sleeps()
    async with make_client(server, sleeps) as client:
        await client.get(GID)
    assert sleeps.delays == [3.0]


async def test_retry_after_http_date_is_honoured() -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    server = Server(httpx.Response(429, headers={"Retry-After": when}), reply())
    sleeps = Sleeps()
    async with make_client(server, sleeps) as client:
        await client.get(GID)
    [delay] = sleeps.delays
    assert 27.0 <= delay <= 30.0


async def test_retry_after_ms_is_honoured() -> None:
    server = Server(httpx.Response(429, headers={"retry-after-ms": "1500"}), reply())
    sleeps = Sleeps()
    async with make_client(server, sleeps) as client:
        await client.get(GID)
    assert sleeps.delays == [1.5]


@pytest.mark.parametrize("method", ["get", "create"])
async def test_long_retry_after_is_handed_to_the_caller(method: str) -> None:
    server = Server(httpx.Response(429, headers={"Retry-After": "120"}), reply())
    sleeps = Sleeps()
    async with make_client(server, sleeps, max_retry_after=60.0) as client:
        call = client.get(GID) if method == "get" else client.create(prompt_request())
        with pytest.raises(errors.RateLimited) as caught:
            await call
    assert caught.value.retry_after == 120.0
    assert len(server.requests) == 1
    assert sleeps.delays == []


async def test_rate_limited_after_retries_keeps_retry_after() -> None:
    server = Server(httpx.Response(429, headers={"Retry-After": "2"}))
    sleeps = Sleeps()
    async with make_client(server, sleeps, max_get_retries=2) as client:
        with pytest.raises(errors.RateLimited) as caught:
            await client.get(GID)
    assert caught.value.retry_after == 2.0
    assert sleeps.delays == [2.0, 2.0]
    assert len(server.requests) == 3


# --- POST: re-sent only when nothing was created ------------------------------------------


@pytest.mark.parametrize(
    ("refusal", "kind"),
    [
        (httpx.ConnectError("connection refused"), errors.NetworkError),
        (httpx.ConnectTimeout("connect timed out"), errors.RequestTimeout),
        (httpx.PoolTimeout("no connection"), errors.RequestTimeout),
        (httpx.Response(429, headers={"Retry-After": "1"}), errors.RateLimited),
        (httpx.Response(429), errors.RateLimited),
        (httpx.Response(402, json={"detail": "add funds"}), errors.InsufficientBalance),
        (httpx.Response(502), errors.UpstreamUnavailable),
        (httpx.Response(503), errors.UpstreamUnavailable),
    ],
    ids=lambda f: (
        (type(f).__name__ if isinstance(f, Exception) else str(f.status_code))
        if not isinstance(f, type)
        else f.__name__
    ),
)
async def test_a_refused_post_is_raised_at_once_never_slept_out(
    refusal: httpx.Response | Exception, kind: type[errors.ApiError]
) -> None:
    """One attempt: the caller's queue holds the job and sends it again (one retry policy)."""
    server = Server(refusal, reply(201))
    sleeps = Sleeps()
    async with make_client(server, sleeps) as client:
        with pytest.raises(kind) as caught:
            await client.create(prompt_request())
    assert not isinstance(caught.value, errors.OutcomeUncertain), "nothing was created"
    assert len(server.requests) == 1
    assert sleeps.delays == []


@pytest.mark.parametrize(
    ("failure", "cause"),
    [
        (httpx.ReadTimeout("no reply"), errors.RequestTimeout),
        (httpx.WriteTimeout("stalled"), errors.RequestTimeout),
        (httpx.WriteError("broken pipe"), errors.NetworkError),
        (httpx.ReadError("reset"), errors.NetworkError),
        (httpx.RemoteProtocolError("server disconnected"), errors.NetworkError),
        (httpx.Response(500, json={"detail": "boom"}), errors.ServerError),
        (httpx.Response(504), errors.ServerError),
        (httpx.Response(501), errors.ServerError),
        (httpx.Response(201, text="not json at all"), errors.ResponseInvalid),
        (httpx.Response(201, json=generation(state=None)), errors.ResponseInvalid),
        (httpx.Response(201, json=generation(id="../../x")), errors.ResponseInvalid),
        (httpx.Response(201, stream=DroppedBody()), errors.NetworkError),
    ],
    ids=lambda f: (
        (type(f).__name__ if isinstance(f, Exception) else str(f.status_code))
        if not isinstance(f, type)
        else f.__name__
    ),
)
async def test_post_never_resent_when_it_may_have_created_a_job(
    failure: httpx.Response | Exception, cause: type[errors.ApiError]
) -> None:
    server = Server(failure, reply(201))
    sleeps = Sleeps()
    async with make_client(server, sleeps) as client:
        with pytest.raises(errors.OutcomeUncertain) as caught:
            await client.create(prompt_request())
    assert len(server.requests) == 1
    assert sleeps.delays == []
    err = caught.value
    assert isinstance(err.cause, cause)
    assert "may have been created" in str(err)
    assert "not re-sent" in str(err)
    assert err.request_id == server.requests[0].headers["x-request-id"]


async def test_post_not_retried_on_client_errors_or_408() -> None:
    for status in (400, 402, 408, 413, 422):
        server = Server(httpx.Response(status), reply(201))
        sleeps = Sleeps()
        async with make_client(server, sleeps) as client:
            with pytest.raises(errors.ApiError) as caught:
                await client.create(prompt_request())
        assert not isinstance(caught.value, errors.OutcomeUncertain)
        assert len(server.requests) == 1
        assert sleeps.delays == []


class TracingTransport(httpx.AsyncBaseTransport):
    """Like httpcore: reports when request headers start to go out, then fails as told."""

    reports_trace = True

    def __init__(self, *, headers_leave: bool, failure: httpx.RequestError) -> None:
        self.headers_leave = headers_leave
        self.failure = failure
        self.requests = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        trace = request.extensions.get("trace")
        assert trace is not None, "the client asks for httpcore's trace on a POST"
        await trace("connection.connect_tcp.started", {})
        if self.headers_leave:
            await trace("http11.send_request_headers.started", {"request": request})
        raise type(self.failure)(str(self.failure), request=request)


@pytest.mark.parametrize("headers_leave", [False, True])
async def test_the_send_probe_tells_unsent_from_maybe_sent(headers_leave: bool) -> None:
    """A POST that failed before a byte of it left created nothing; after, it may have."""
    transport = TracingTransport(headers_leave=headers_leave, failure=httpx.WriteError("pipe"))
    probe = SendProbe()
    async with AgentsClient(KEY, "https://api.example/v1", transport=transport) as client:
        with pytest.raises(errors.ApiError) as caught:
            await client.create(prompt_request(), probe=probe)
    assert transport.requests == 1
    assert probe.handed_over and probe.headers_started is headers_leave
    assert probe.may_have_sent is headers_leave
    assert isinstance(caught.value, errors.OutcomeUncertain) is headers_leave


async def test_a_transport_without_trace_counts_every_handed_request_as_maybe_sent() -> None:
    server = Server(httpx.WriteError("pipe"))
    probe = SendProbe()
    async with make_client(server) as client:
        with pytest.raises(errors.OutcomeUncertain):
            await client.create(prompt_request(), probe=probe)
    assert probe.may_have_sent and not probe.traced
