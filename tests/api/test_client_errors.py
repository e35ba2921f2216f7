"""AgentsClient error statuses and bodies, request ids, logging, and the key kept secret."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from lumatui.api import errors
from tests.api.client_host import GID, KEY, Server, Sleeps, make_client, prompt_request, reply


@pytest.fixture(autouse=True)
def key_never_logged(caplog: pytest.LogCaptureFixture) -> Any:
    """Every log line at DEBUG, checked for the key afterwards."""
    caplog.set_level(logging.DEBUG)
    yield
    assert KEY not in caplog.text


# --- error statuses -----------------------------------------------------------------------

STATUS_CLASSES: list[tuple[int, type[errors.ApiError]]] = [
    (400, errors.InvalidRequest),
    (401, errors.AuthenticationFailed),
    (402, errors.InsufficientBalance),
    (403, errors.AccessDenied),
    (404, errors.NotFound),
    (413, errors.MediaTooLarge),
    (418, errors.ServerError),
    (422, errors.RejectedCombination),
]


@pytest.mark.parametrize(("status", "cls"), STATUS_CLASSES)
async def test_status_raises_its_class_without_retry(
    status: int, cls: type[errors.ApiError]
) -> None:
    server = Server(reply(status, {"detail": "nope"}, **{"X-Request-Id": "srv-123"}))
    sleeps = Sleeps()
    async with make_client(server, sleeps) as client:
        with pytest.raises(cls) as get_err:
            await client.get(GID)
        with pytest.raises(cls) as create_err:
            await client.create(prompt_request())
    for caught in (get_err, create_err):
        assert caught.value.status == status
        assert caught.value.request_id == "srv-123"
        assert "nope" in caught.value.message
        assert "(request id srv-123)" in str(caught.value)
    assert len(server.requests) == 2
    assert sleeps.delays == []


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (429, errors.RateLimited),
        (500, errors.ServerError),
        (502, errors.UpstreamUnavailable),
        (503, errors.UpstreamUnavailable),
        (504, errors.ServerError),
    ],
)
async def test_transient_status_raises_its_class_once_retries_run_out(
    status: int, cls: type[errors.ApiError]
) -> None:
    server = Server(reply(status, {"detail": "busy"}))
    async with make_client(server, max_get_retries=0) as client:
        with pytest.raises(cls) as caught:
            await client.get(GID)
    assert caught.value.status == status
    assert len(server.requests) == 1


async def test_field_errors_from_a_422_body() -> None:
    detail = [{"loc": ["body", "video", "keyframe_indexes", 2], "msg": "out of range"}]
    async with make_client(Server(reply(422, {"detail": detail}))) as client:
        with pytest.raises(errors.RejectedCombination) as caught:
            await client.create(prompt_request())
    [field] = caught.value.field_errors
    assert field.path == "video.keyframe_indexes[2]"
    assert field.message == "out of range"


@pytest.mark.parametrize(
    ("response", "fragment"),
    [
        (httpx.Response(400, json={"detail": "prompt is empty"}), "prompt is empty"),
        (httpx.Response(400, json={"weird": True}), "(HTTP 400)"),
        (httpx.Response(400, text="<html><body>bad</body></html>"), "with an HTML page"),
        (httpx.Response(400, text="plain words"), "plain words"),
        (httpx.Response(400), "the server refused the request (HTTP 400)"),
    ],
)
async def test_error_bodies_of_every_shape(response: httpx.Response, fragment: str) -> None:
    async with make_client(Server(response)) as client:
        with pytest.raises(errors.InvalidRequest) as caught:
            await client.create(prompt_request())
    assert fragment in caught.value.message


async def test_request_id_falls_back_to_the_one_sent() -> None:
    server = Server(httpx.Response(404))
    async with make_client(server) as client:
        with pytest.raises(errors.NotFound) as caught:
            await client.get(GID)
    assert caught.value.request_id == server.requests[0].headers["x-request-id"]


async def test_debug_log_line_per_call(caplog: pytest.LogCaptureFixture) -> None:
    server = Server(reply())
    async with make_client(server) as client:
        await client.get(GID)
    [line] = [r.getMessage() for r in caplog.records if r.name == "lumatui.api"]
    rid = server.requests[0].headers["x-request-id"]
    assert line.startswith(f"GET /v1/generations/{GID} -> 200 request_id={rid} ")
    assert line.endswith("attempt 1")


# --- the key stays secret -----------------------------------------------------------------


async def test_key_absent_from_every_error_log_and_repr(caplog: pytest.LogCaptureFixture) -> None:
    echo = {"detail": f"key {KEY} is not valid", "auth": f"Bearer {KEY}"}
    scripts: list[httpx.Response | Exception] = [
        httpx.Response(401, json=echo),
        httpx.Response(400, json={"detail": [{"loc": ["body", KEY], "msg": KEY}]}),
        httpx.Response(500, text=f"crash with {KEY}"),
        httpx.Response(502, text=f"<html><title>{KEY}</title></html>"),
        httpx.Response(200, text=f"not json {KEY}"),
        httpx.ConnectError(f"refused {KEY}"),
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError(f"reset {KEY}"),
    ]
    raised: list[errors.ApiError] = []
    for step in scripts:
        async with make_client(Server(step), max_get_retries=0) as client:
            for call in (client.get(GID), client.create(prompt_request())):
                with pytest.raises(errors.ApiError) as caught:
                    await call
                raised.append(caught.value)
            assert KEY not in repr(client)
            assert KEY not in str(client)
    assert len(raised) == 2 * len(scripts)
    for err in raised:
        cause = getattr(err, "cause", None)
        for text in (str(err), repr(err), err.message, str(cause), repr(cause)):
            assert KEY not in text
        assert all(KEY not in str(f) for f in err.field_errors)
    assert KEY not in caplog.text
