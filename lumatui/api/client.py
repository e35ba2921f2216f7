"""The async Agents API client: `create`, `get` and `download`.

A POST is a paid job without an idempotency key: `create` makes one attempt, never sleeps,
and raises a refusal that provably created nothing (no byte left, 429, 402, 502, 503) at once
for the caller's queue to hold (`engine/submitter.py`); one that may have reached the server
is OutcomeUncertain. GETs retry with backoff and full jitter (`api/retry.py`), Retry-After
first. The key is sent in one header and appears in no log line, message or repr.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
import uuid
from typing import TYPE_CHECKING, Any, Self

import httpx
from pydantic import ValidationError

from lumatui import __version__
from lumatui.api import download as downloads
from lumatui.api.errors import (
    ApiError,
    NetworkError,
    OutcomeUncertain,
    RateLimited,
    RequestTimeout,
    ResponseInvalid,
    UpstreamUnavailable,
    describe_body,
    error_from_response,
    parse_retry_after,
)
from lumatui.api.field_errors import field_errors
from lumatui.api.replies import clean_generation, read_capped
from lumatui.api.retry import backoff_delay
from lumatui.api.schema import Generation
from lumatui.api.sending import SendProbe, reports_trace
from lumatui.api.text import clean_text
from lumatui.api.urls import DEFAULT_BASE_URL as DEFAULT_BASE_URL
from lumatui.api.urls import checked_generation_id as checked_generation_id
from lumatui.api.urls import normalise_base_url as normalise_base_url

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path
    from types import TracebackType

    from lumatui.api.schema import GenerationRequest

log = logging.getLogger("lumatui.api")

USER_AGENT = f"lumatui/{__version__}"
MAX_REPLY_BYTES = 2 * 1024 * 1024
MAX_ERROR_BODY_BYTES = 64 * 1024
BACKOFF_BASE = 0.5
BACKOFF_CAP = 8.0
# httpx's timeouts apply per read: a reply dripping a byte a second would never time out.
# Each attempt also has an overall deadline, by default the connect and read timeouts plus
# this margin for sending the body.
DEADLINE_MARGIN = 25.0
# Statuses Luma documents as refusals of a POST: nothing was created, so it may be re-sent.
POST_REFUSALS = frozenset({429, 502, 503})
# Transport failures that happen before a single byte of the request leaves this machine.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class AgentsClient:
    """One async client for the Agents API on one httpx.AsyncClient (plus one for downloads)."""

    def __init__(
        self,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 60.0,
        allow_insecure_http: bool = False,
        max_get_retries: int = 4,
        transport: httpx.AsyncBaseTransport | None = None,
        download_transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        max_retry_after: float = 60.0,
        call_deadline: float | None = None,
        download_deadline: float | None = None,
    ) -> None:
        key = api_key.strip() if isinstance(api_key, str) else ""
        if not key:
            raise ValueError("an API key is required (set LUMA_AGENTS_API_KEY)")
        if not key.isascii() or not key.isprintable() or " " in key:
            raise ValueError("the API key contains characters a header cannot carry")
        self._api_key = key
        self._base_url = normalise_base_url(base_url, allow_insecure_http=allow_insecure_http)
        self._allow_insecure_http = allow_insecure_http
        self._max_get_retries = max(0, max_get_retries)
        self._max_retry_after = max_retry_after
        self._sleep = sleep
        self._random = random.Random()
        self._timeout = httpx.Timeout(read_timeout, connect=connect_timeout)
        self.call_deadline = call_deadline or connect_timeout + read_timeout + DEADLINE_MARGIN
        """Seconds one attempt of an API call may take from start to its last byte."""
        self.download_deadline = download_deadline
        """Seconds one download may take; None: scaled to its size cap (see api.download)."""
        self._transports = (transport, download_transport)
        self._traced = reports_trace(transport)
        # Made on first use: each builds a TLS context, which would slow start-up.
        self._pools: dict[str, httpx.AsyncClient] = {}

    @property
    def _http(self) -> httpx.AsyncClient:
        """The API connection pool."""
        return self._pool("api", self._transports[0], {"Accept": "application/json"})

    @property
    def _downloads(self) -> httpx.AsyncClient:
        """Output URLs are another origin: this pool never carries the key or API headers."""
        return self._pool("downloads", self._transports[1], {})

    def _pool(
        self, name: str, transport: httpx.AsyncBaseTransport | None, headers: dict[str, str]
    ) -> httpx.AsyncClient:
        if name not in self._pools:
            self._pools[name] = httpx.AsyncClient(
                transport=transport,
                timeout=self._timeout,
                follow_redirects=False,
                headers={"User-Agent": USER_AGENT, **headers},
            )
        return self._pools[name]

    @property
    def base_url(self) -> str:
        """The API base URL, such as https://agents.lumalabs.ai/v1 (no trailing slash)."""
        return self._base_url

    def __repr__(self) -> str:
        return f"AgentsClient(base_url={self._base_url!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pools."""
        for pool in self._pools.values():
            await pool.aclose()

    async def create(
        self, request: GenerationRequest, *, probe: SendProbe | None = None
    ) -> Generation:
        """POST /generations once; a refusal is raised, never slept out (`probe`: bytes left?)."""
        probe = probe if probe is not None else SendProbe()
        probe.traced = self._traced
        url = self._base_url + "/generations"
        return await self._attempt("POST", url, request.to_json(), 1, None, probe=probe)

    async def get(self, generation_id: str) -> Generation:
        """GET /generations/{id}, retried with backoff on transient failures."""
        gid = checked_generation_id(generation_id)
        return await self._call("GET", f"/generations/{gid}", None, expect_id=gid)

    async def download(
        self,
        url: str,
        dest: Path,
        *,
        max_bytes: int = downloads.DEFAULT_MAX_BYTES,
        on_progress: Callable[[int, int | None], None] | None = None,
    ) -> int:
        """Stream an output URL into `dest` (no API headers); return the bytes written."""
        return await downloads.download(
            self._downloads,
            url,
            dest,
            max_bytes=max_bytes,
            on_progress=on_progress,
            allow_insecure_http=self._allow_insecure_http,
            deadline=self.download_deadline,
        )

    async def _call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        *,
        expect_id: str | None = None,
    ) -> Generation:
        post = method == "POST"
        retries = 0 if post else self._max_get_retries
        url = self._base_url + path
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._attempt(method, url, body, attempt, expect_id)
            except ApiError as err:
                if isinstance(err, OutcomeUncertain):
                    log.warning("%s %s: outcome uncertain, not re-sent: %s", method, path, err)
                delay = self._retry_delay(err, post=post, attempt=attempt, retries=retries)
                if delay is None:
                    raise
                log.info(
                    "retrying %s %s in %.2f s (attempt %d failed: %s)",
                    method,
                    httpx.URL(url).path,
                    delay,
                    attempt,
                    type(err).__name__,
                )
                await self._sleep(delay)

    def _retry_delay(
        self, err: ApiError, *, post: bool, attempt: int, retries: int
    ) -> float | None:
        """Seconds to wait before the next attempt, or None to give up and raise."""
        if attempt > retries or isinstance(err, OutcomeUncertain):
            return None
        if post:
            # Only failures that provably created nothing reach here unwrapped.
            eligible = isinstance(err, RateLimited | UpstreamUnavailable) or (
                isinstance(err, NetworkError | RequestTimeout) and err.status is None
            )
        else:
            eligible = err.retryable
        if not eligible:
            return None
        if err.retry_after is not None:
            return err.retry_after if err.retry_after <= self._max_retry_after else None
        ceiling = backoff_delay(attempt, base=BACKOFF_BASE, cap=BACKOFF_CAP)
        return self._random.uniform(0, ceiling)

    async def _attempt(
        self,
        method: str,
        url: str,
        body: dict[str, Any] | None,
        attempt: int,
        expect_id: str | None,
        *,
        probe: SendProbe | None = None,
    ) -> Generation:
        post = method == "POST"
        request_id = str(uuid.uuid4())
        headers = {"Authorization": f"Bearer {self._api_key}", "X-Request-Id": request_id}
        request = self._http.build_request(method, url, json=body, headers=headers)
        probe = probe if probe is not None else SendProbe(traced=self._traced)
        probe.follow(request)
        started = time.perf_counter()
        outcome = "-"
        try:
            try:
                async with asyncio.timeout(self.call_deadline):
                    try:
                        response = await self._http.send(request, stream=True)
                    except httpx.RequestError as exc:
                        outcome = type(exc).__name__
                        sent = post and probe.may_have_sent  # no byte left: provably unsent
                        raise self._transport_error(exc, request_id, post=sent) from exc
                    outcome = str(response.status_code)
                    echoed = response.headers.get("x-request-id", "")
                    request_id = clean_text(echoed, 100, hide=[self._api_key]) or request_id
                    try:
                        return await self._read_reply(
                            response, request_id, post=post, expect_id=expect_id
                        )
                    finally:
                        await response.aclose()
            except TimeoutError:
                outcome = "deadline"
                sent = probe.may_have_sent
                raise self._deadline_error(request_id, post=post, sent=sent) from None
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            log.debug(
                "%s %s -> %s request_id=%s %.0f ms attempt %d",
                method,
                request.url.path,
                outcome,
                request_id,
                elapsed,
                attempt,
            )

    def _deadline_error(self, request_id: str, *, post: bool, sent: bool) -> ApiError:
        """The attempt's overall deadline passed; a POST whose bytes left is uncertain."""
        err = RequestTimeout(
            f"{RequestTimeout.summary} (no complete reply within {self.call_deadline:g} s)"
        )
        err.request_id = request_id
        # Before the first byte of the request left, nothing can have been created.
        return OutcomeUncertain(err) if post and sent else err

    def _transport_error(self, exc: httpx.RequestError, request_id: str, *, post: bool) -> ApiError:
        """NetworkError or RequestTimeout; for a POST that may have been sent, uncertain."""
        reason = clean_text(str(exc), 160, hide=[self._api_key]) or type(exc).__name__
        err: ApiError
        if isinstance(exc, httpx.TimeoutException):
            err = RequestTimeout(f"{RequestTimeout.summary} ({_timeout_phase(exc)})")
        else:
            err = NetworkError(f"{NetworkError.summary}: {reason}")
        err.request_id = request_id
        if post and not isinstance(exc, _NOT_SENT):
            return OutcomeUncertain(err)
        return err

    async def _read_reply(
        self, response: httpx.Response, request_id: str, *, post: bool, expect_id: str | None
    ) -> Generation:
        status = response.status_code
        if not 200 <= status < 300:
            raise await self._status_error(response, request_id, post=post)
        try:
            raw = await read_capped(response, MAX_REPLY_BYTES, request_id)
            generation = self._parse(raw, status, request_id)
        except httpx.RequestError as exc:
            raise self._transport_error(exc, request_id, post=post) from exc
        except ResponseInvalid as err:
            raise OutcomeUncertain(err) if post else err from None
        if expect_id is not None and generation.id != expect_id:
            raise ResponseInvalid(
                "server reply is for another generation", status=status, request_id=request_id
            )
        return generation

    async def _status_error(
        self, response: httpx.Response, request_id: str, *, post: bool
    ) -> ApiError:
        status = response.status_code
        try:
            raw = await read_capped(response, MAX_ERROR_BODY_BYTES, request_id, truncate=True)
        except httpx.RequestError:
            raw = b""
        headers = response.headers
        retry_after = parse_retry_after(headers.get("retry-after"))
        retry_ms = parse_retry_after(headers.get("retry-after-ms"))
        if retry_after is None and retry_ms is not None:
            retry_after = retry_ms / 1000
        err = error_from_response(
            status,
            raw,
            content_type=headers.get("content-type"),
            request_id=request_id,
            retry_after=retry_after,
            hide=[self._api_key],
        )
        if post and status >= 500 and status not in POST_REFUSALS:
            return OutcomeUncertain(err)
        return err

    def _parse(self, raw: bytes, status: int, request_id: str) -> Generation:
        """A Generation from a 2xx body, or ResponseInvalid naming what is wrong."""
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            shown, _ = describe_body(status, raw[:4096], hide=[self._api_key])
            message = "server reply is not JSON" + (f": {clean_text(shown, 80)}" if shown else "")
            raise ResponseInvalid(message, status=status, request_id=request_id) from None
        if not isinstance(data, dict):
            kind = "list" if isinstance(data, list) else type(data).__name__
            raise ResponseInvalid(
                f"server reply is a JSON {kind}, not an object",
                status=status,
                request_id=request_id,
            )
        try:
            return clean_generation(Generation.model_validate(data), hide=[self._api_key])
        except ValidationError as exc:
            fields = field_errors(exc)
            first, kind = fields[0], exc.errors()[0]["type"]
            if kind == "missing":
                message = f"server reply is missing '{first.path}'"
            else:
                message = f"server reply has an invalid '{first.path}': {first.message}"
            raise ResponseInvalid(
                message, status=status, request_id=request_id, field_errors=fields
            ) from None


def _timeout_phase(exc: httpx.TimeoutException) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return "could not connect in time"
    if isinstance(exc, httpx.PoolTimeout):
        return "no free connection in time"
    if isinstance(exc, httpx.WriteTimeout):
        return "the request could not be sent in time"
    return "no reply in time"
