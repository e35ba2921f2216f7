"""The async Agents API client: `create`, `get` and `download`.

A POST is a paid job and the API has no idempotency key, so `create` is re-sent only when
it provably created nothing (the connection never opened, or a documented refusal: 429,
502, 503). Anything that may have reached the server raises OutcomeUncertain instead. GETs
are retried with exponential backoff and full jitter; Retry-After always wins when given.
The key is sent in one header and appears in no log line, message or repr.
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
    InvalidGenerationId,
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
from lumatui.api.hosts import is_loopback
from lumatui.api.limiter import SlidingWindowLimiter, limited_transports
from lumatui.api.replies import clean_generation, read_capped
from lumatui.api.schema import Generation
from lumatui.api.text import clean_text

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path
    from types import TracebackType

    from lumatui.api.schema import GenerationRequest

log = logging.getLogger("lumatui.api")

DEFAULT_BASE_URL = "https://agents.lumalabs.ai/v1"
USER_AGENT = f"lumatui/{__version__}"
MAX_REPLY_BYTES = 2 * 1024 * 1024
MAX_ERROR_BODY_BYTES = 64 * 1024
BACKOFF_BASE = 0.5
BACKOFF_CAP = 8.0
# Statuses Luma documents as refusals of a POST: nothing was created, so it may be re-sent.
POST_REFUSALS = frozenset({429, 502, 503})
# Transport failures that happen before a single byte of the request leaves this machine.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def normalise_base_url(base_url: str, *, allow_insecure_http: bool = False) -> str:
    """The base URL without a trailing slash; ValueError if the key would be unsafe there."""
    text = base_url.strip().rstrip("/")
    try:
        url = httpx.URL(text)
    except httpx.InvalidURL:
        raise ValueError("the base URL is not a valid URL") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError("the base URL must be an http(s) URL such as " + DEFAULT_BASE_URL)
    if url.userinfo or url.query or url.fragment:
        raise ValueError("the base URL must not carry credentials, a query or a fragment")
    if url.scheme == "http" and not is_loopback(url.host):
        host = clean_text(url.host, 100)
        if not allow_insecure_http:
            raise ValueError(
                f"refusing plain http to {host}: the API key would travel unencrypted "
                "(use https, or allow insecure http explicitly)"
            )
        log.warning("plain http to %s: the API key travels unencrypted", host)
    return text


def checked_generation_id(generation_id: str) -> str:
    """The id as a canonical UUID, or InvalidGenerationId before it reaches any URL."""
    try:
        return str(uuid.UUID(generation_id.strip()))
    except (ValueError, AttributeError, TypeError):
        shown = clean_text(str(generation_id), 60)
        raise InvalidGenerationId(f"not a generation id: {shown!r} (expected a UUID)") from None


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
        max_post_retries: int = 3,
        transport: httpx.AsyncBaseTransport | None = None,
        download_transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        max_retry_after: float = 60.0,
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
        self._max_post_retries = max(0, max_post_retries)
        self._max_retry_after = max_retry_after
        self._sleep = sleep
        self._random = random.Random()
        self._timeout = httpx.Timeout(read_timeout, connect=connect_timeout)
        self._transports = (transport, download_transport)
        self.get_limiter = SlidingWindowLimiter()  # caps GETs on the wire once configured
        # Made on first use: each builds a TLS context, which would slow start-up.
        self._pools: dict[str, httpx.AsyncClient] = {}

    @property
    def _http(self) -> httpx.AsyncClient:
        """The API connection pool: every transport it may use sits behind the GET limiter."""
        if "api" not in self._pools:
            transport, mounts = limited_transports(self._transports[0], self.get_limiter)
            return self._pool("api", transport, {"Accept": "application/json"}, mounts)
        return self._pools["api"]

    @property
    def _downloads(self) -> httpx.AsyncClient:
        """Output URLs are another origin: this pool never carries the key or API headers."""
        return self._pool("downloads", self._transports[1], {})

    def _pool(
        self,
        name: str,
        transport: httpx.AsyncBaseTransport | None,
        headers: dict[str, str],
        mounts: dict[str, httpx.AsyncBaseTransport | None] | None = None,
    ) -> httpx.AsyncClient:
        if name not in self._pools:
            self._pools[name] = httpx.AsyncClient(
                transport=transport,
                mounts=mounts,
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
        await self.get_limiter.aclose()
        for pool in self._pools.values():
            await pool.aclose()

    async def create(self, request: GenerationRequest) -> Generation:
        """POST /generations; re-sent only when provably nothing was created."""
        return await self._call("POST", "/generations", request.to_json())

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
        retries = self._max_post_retries if post else self._max_get_retries
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
        ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1))
        return self._random.uniform(0, ceiling)

    async def _attempt(
        self,
        method: str,
        url: str,
        body: dict[str, Any] | None,
        attempt: int,
        expect_id: str | None,
    ) -> Generation:
        post = method == "POST"
        request_id = str(uuid.uuid4())
        headers = {"Authorization": f"Bearer {self._api_key}", "X-Request-Id": request_id}
        request = self._http.build_request(method, url, json=body, headers=headers)
        started = time.perf_counter()
        outcome = "-"
        try:
            try:
                response = await self._http.send(request, stream=True)
            except httpx.RequestError as exc:
                outcome = type(exc).__name__
                raise self._transport_error(exc, request_id, post=post) from exc
            outcome = str(response.status_code)
            request_id = clean_text(response.headers.get("x-request-id", ""), 100) or request_id
            try:
                return await self._read_reply(response, request_id, post=post, expect_id=expect_id)
            finally:
                await response.aclose()
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
