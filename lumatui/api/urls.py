"""The API's base URL and generation ids, checked before either reaches a request."""

from __future__ import annotations

import ipaddress
import logging
import re
import uuid

from lumatui.api.errors import InvalidGenerationId
from lumatui.api.hosts import is_loopback
from lumatui.api.text import clean_text

log = logging.getLogger("lumatui.api")

DEFAULT_BASE_URL = "https://agents.lumalabs.ai/v1"
_HOST_NAME = re.compile(rb"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?$")


def normalise_base_url(base_url: str, *, allow_insecure_http: bool = False) -> str:
    """The base URL without a trailing slash; ValueError if the key would be unsafe there."""
    text = base_url.strip().rstrip("/")
    if text == DEFAULT_BASE_URL:  # Luma's own, the usual case: nothing to check (and
        return text  # the settings are read before anything else needs httpx)
    import httpx

    try:
        url = httpx.URL(text)
        port = url.port
    except (httpx.InvalidURL, ValueError, UnicodeError):  # IDNAError is a UnicodeError
        raise ValueError("the base URL is not a valid URL") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError("the base URL must be an http(s) URL such as " + DEFAULT_BASE_URL)
    if not _usable_host(url.raw_host):
        raise ValueError("the base URL's host name is not valid")
    if port is not None and not 0 < port < 65536:
        raise ValueError("the base URL's port must be from 1 to 65535")
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


def _usable_host(raw_host: bytes) -> bool:
    """A DNS name (IDNA-encoded), an IPv4 or a bracketed IPv6 address; nothing else."""
    if b":" in raw_host:
        try:
            ipaddress.IPv6Address(raw_host.decode("ascii").split("%")[0])
        except ValueError:
            return False
        return True
    return len(raw_host) <= 253 and _HOST_NAME.match(raw_host) is not None


def checked_generation_id(generation_id: str) -> str:
    """The id as a canonical UUID, or InvalidGenerationId before it reaches any URL."""
    try:
        return str(uuid.UUID(generation_id.strip()))
    except (ValueError, AttributeError, TypeError):
        shown = clean_text(str(generation_id), 60)
        raise InvalidGenerationId(f"not a generation id: {shown!r} (expected a UUID)") from None
