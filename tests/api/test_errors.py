"""The error taxonomy: status mapping, error bodies, Retry-After, messages."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from lumatui.api import errors
from lumatui.api.errors import (
    AccessDenied,
    ApiError,
    AuthenticationFailed,
    DownloadExpired,
    DownloadFailed,
    DownloadRefused,
    DownloadTooLarge,
    DownloadTruncated,
    InsufficientBalance,
    InvalidRequest,
    MediaTooLarge,
    NetworkError,
    NotFound,
    OutcomeUncertain,
    RateLimited,
    RejectedCombination,
    RequestTimeout,
    ServerError,
    UnexpectedStatus,
    UpstreamUnavailable,
    describe_body,
    error_from_response,
    parse_retry_after,
)
from lumatui.api.field_errors import FieldError


@pytest.mark.parametrize(
    ("status", "cls", "retryable"),
    [
        (400, InvalidRequest, False),
        (401, AuthenticationFailed, False),
        (402, InsufficientBalance, False),
        (403, AccessDenied, False),
        (404, NotFound, False),
        (408, RequestTimeout, True),
        (413, MediaTooLarge, False),
        (422, RejectedCombination, False),
        (429, RateLimited, True),
        (500, ServerError, True),
        (502, UpstreamUnavailable, True),
        (503, UpstreamUnavailable, True),
        (504, ServerError, True),
        (599, ServerError, True),
        (418, UnexpectedStatus, False),
        (302, UnexpectedStatus, False),
    ],
)
def test_status_maps_to_its_class(status: int, cls: type[ApiError], retryable: bool) -> None:
    err = error_from_response(status, b"", request_id="rid-1")
    assert type(err) is cls
    assert err.status == status
    assert err.retryable is retryable
    assert f"HTTP {status}" in err.message
    assert str(err) == f"{err.message} (request id rid-1)"


def test_unknown_status_is_a_server_error() -> None:
    assert isinstance(error_from_response(418, b""), ServerError)


def test_detail_string() -> None:
    body = json.dumps({"detail": "Insufficient balance"}).encode()
    err = error_from_response(402, body, content_type="application/json")
    assert err.message == (
        "insufficient balance; add funds in the Luma dashboard (HTTP 402): Insufficient balance"
    )
    assert err.field_errors == []


def test_detail_list_of_field_errors() -> None:
    detail = [
        {"loc": ["body", "video", "keyframe_indexes", 2], "msg": "must be unique"},
        {"loc": ["body", "prompt"], "msg": "Field required", "type": "missing"},
    ]
    err = error_from_response(422, json.dumps({"detail": detail}).encode())
    assert isinstance(err, RejectedCombination)
    assert err.field_errors == [
        FieldError("video.keyframe_indexes[2]", "must be unique"),
        FieldError("prompt", "Field required"),
    ]
    assert "video.keyframe_indexes[2]: must be unique" in err.message
    assert "prompt: Field required" in err.message


def test_many_field_errors_are_summarised() -> None:
    detail = [{"loc": ["body", f"f{i}"], "msg": "bad"} for i in range(10)]
    err = error_from_response(400, json.dumps({"detail": detail}).encode())
    assert len(err.field_errors) == 10
    assert "(and 7 more)" in err.message


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"message": "slow down"}, "slow down"),
        ({"error": {"message": "nested reason"}}, "nested reason"),
        ({"detail": {"msg": "detail object"}}, "detail object"),
        ({"detail": ["plain", "strings"]}, "plain; strings"),
        ({"unexpected": [1, 2, 3]}, ""),
        ([1, 2, 3], ""),
        ("just a JSON string", "just a JSON string"),
        (42, ""),
        (None, ""),
    ],
)
def test_other_json_shapes_are_tolerated(body: object, expected: str) -> None:
    detail, fields = describe_body(400, json.dumps(body).encode(), "application/json")
    assert detail == expected
    assert fields == []


def test_html_page_is_summarised_not_quoted() -> None:
    page = (
        b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
        b"<body><h1>502 Bad Gateway</h1><script>alert(1)</script>" + b"x" * 5000 + b"</body></html>"
    )
    err = error_from_response(502, page, content_type="text/html; charset=utf-8")
    assert "HTTP 502 with an HTML page (502 Bad Gateway)" in err.message
    assert "<" not in err.message
    assert "script" not in err.message
    # Without a content type, an HTML page is still recognised.
    detail, _ = describe_body(503, b"  <html><body>down</body></html>")
    assert detail == "HTTP 503 with an HTML page"


def test_plain_text_and_empty_bodies() -> None:
    assert describe_body(500, b"upstream \x1b[31mconnect\x1b[0m error\n")[0] == (
        "upstream connect error"
    )
    assert describe_body(500, b"")[0] == ""
    assert describe_body(500, b"   \n")[0] == ""
    assert describe_body(400, b"{not json", "application/json")[0] == "{not json"
    assert describe_body(400, b"\xff\xfe binary")[0].endswith("binary")
    err = error_from_response(404, b"")
    assert err.message == "not found (HTTP 404)"


def test_long_hostile_detail_is_cleaned_and_bounded() -> None:
    detail = "\x1b]0;owned\x07" + "A" * 10_000 + "\n"
    err = error_from_response(400, json.dumps({"detail": detail}).encode())
    assert "\x1b" not in err.message
    assert "owned" not in err.message
    assert len(err.message) <= 500
    assert err.message.endswith("…")


def test_hidden_secret_never_reaches_the_message() -> None:
    key = "luma-api-verysecret-000111"
    body = json.dumps({"detail": f"invalid key {key}"}).encode()
    err = error_from_response(401, body, hide=[key])
    assert key not in str(err)
    assert "[redacted]" in err.message


def test_rate_limited_carries_retry_after() -> None:
    err = error_from_response(429, b'{"detail": "too many"}', retry_after=12.0)
    assert isinstance(err, RateLimited)
    assert err.retry_after == 12.0
    assert "retry after 12 s" in err.message


def test_outcome_uncertain_wraps_its_cause() -> None:
    cause = error_from_response(504, b"gateway timeout", request_id="rid-9")
    err = OutcomeUncertain(cause)
    assert err.cause is cause
    assert err.status == 504
    assert err.request_id == "rid-9"
    assert "may have been created" in err.message
    assert "not re-sent" in err.message
    assert "gateway timeout" in err.message
    assert not err.retryable


def test_request_id_from_a_hostile_header_is_cleaned() -> None:
    err = ApiError("boom", request_id="\x1b[2Jabc\ndef")
    assert err.request_id == "abc def"
    assert ApiError("boom", request_id="").request_id is None
    assert str(ApiError("boom")) == "boom"


def test_repr_is_informative() -> None:
    err = NetworkError("could not reach the server", request_id="r1")
    assert repr(err) == (
        "NetworkError(message='could not reach the server', status=None, request_id='r1')"
    )


def test_download_errors() -> None:
    assert issubclass(DownloadTooLarge, DownloadRefused)
    assert DownloadTruncated.retryable
    assert not DownloadExpired.retryable
    assert "expired" in DownloadExpired(status=403).message
    assert DownloadFailed(status=500).retryable
    assert DownloadFailed().retryable
    assert not DownloadFailed(status=404).retryable
    assert all(
        issubclass(c, errors.DownloadError)
        for c in (DownloadRefused, DownloadExpired, DownloadTruncated, DownloadFailed)
    )


NOW = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5", 5.0),
        (" 2.5 ", 2.5),
        ("0", 0.0),
        ("Fri, 27 Nov 2026 12:00:30 GMT", 30.0),
        ("Fri, 27 Nov 2026 11:59:00 GMT", 0.0),
        ("-3", None),
        ("nan", None),
        ("inf", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == expected
