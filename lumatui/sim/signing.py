"""Presigned-style output URLs: an HMAC signature over the path and an expiry time.

The secret lives in the state dir (mode 0600), so URLs handed out before a restart stay
valid until they expire. An expired or tampered URL is refused with 403 and an XML body in
the style of an object store (S3's AccessDenied / SignatureDoesNotMatch).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

if TYPE_CHECKING:
    from pathlib import Path


def load_secret(state_dir: Path) -> bytes:
    """The signing secret, made on first use and kept private in the state dir."""
    path = state_dir / "signing.key"
    if path.exists():
        return bytes.fromhex(path.read_text().strip())
    state_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret.hex())
    return secret


class UrlSigner:
    """Signs file paths with an expiry and checks signed requests."""

    def __init__(self, secret: bytes, ttl_s: int) -> None:
        self._secret = secret
        self.ttl_s = ttl_s

    def signature(self, path: str, expires: int, signed_header: str = "") -> str:
        """The hex HMAC-SHA256 of the path, expiry and any signed header value."""
        message = f"{path}\n{expires}" + (f"\n{signed_header}" if signed_header else "")
        return hmac.new(self._secret, message.encode(), hashlib.sha256).hexdigest()

    def sign(self, path: str, now: float) -> str:
        """The path with `expires` and `signature` query parameters, valid for ttl_s."""
        return self.sign_until(path, int(now) + self.ttl_s)

    def sign_until(self, path: str, expires: int, signed_header: str = "") -> str:
        """The path signed until `expires`; `signed_header` (a Content-Type) must come back."""
        return f"{path}?expires={expires}&signature={self.signature(path, expires, signed_header)}"

    def check(
        self,
        path: str,
        expires: str | None,
        signature: str | None,
        now: float,
        signed_header: str = "",
    ) -> str:
        """'' when the request is valid, else the S3-style code: 'expired' or 'signature'."""
        if not expires or not signature or not expires.isdigit():
            return "signature"
        expected = self.signature(path, int(expires), signed_header)
        if not hmac.compare_digest(expected, signature):
            return "signature"
        if now >= int(expires):
            return "expired"
        return ""


def access_denied_xml(problem: str, *, expires: str | None, now: float, request_id: str) -> str:
    """The body of a 403, worded as an object store words it."""
    server_time = _iso(now)
    if problem == "expired":
        expired_at = _iso(float(expires)) if expires and expires.isdigit() else ""
        inner = (
            "<Code>AccessDenied</Code><Message>Request has expired</Message>"
            f"<Expires>{expired_at}</Expires><ServerTime>{server_time}</ServerTime>"
        )
    else:
        inner = (
            "<Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated "
            "does not match the signature you provided.</Message>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error>{inner}<RequestId>{escape(request_id)}</RequestId></Error>"
    )


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
