"""Logging to a file (the terminal belongs to the TUI), the API key redacted from every line."""

from __future__ import annotations

import logging
import os
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from lumatui.config import AppPaths, Settings

REDACTED = "[redacted]"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Anything that looks like a bearer token or a Luma key, whichever key it is.
TOKEN_PATTERNS = (
    re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(r"luma-api-[A-Za-z0-9._~+/=-]+"),
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with each secret, bearer token and `luma-api-…` key replaced by [redacted]."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    text = TOKEN_PATTERNS[0].sub(rf"\g<1>{REDACTED}", text)
    return TOKEN_PATTERNS[1].sub(REDACTED, text)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message, arguments and traceback text with secrets redacted."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if s)

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the record in place; never drops one."""
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not hide the rest of the line
            message = f"{record.msg!r} {record.args!r}"
        record.msg = redact(message, self.secrets)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.secrets)
        return True


class LumatuiFileHandler(logging.FileHandler):
    """The file handler `configure_logging` installs on the root logger (one at a time)."""


def configure_logging(settings: Settings, paths: AppPaths) -> logging.Handler:
    """Log to `paths.log_file` at `settings.log_level` (LUMATUI_LOG), else warnings only.

    Replaces the handler an earlier call installed, so calling it again is harmless.
    """
    level = getattr(logging, (settings.log_level or "warning").upper())
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, LumatuiFileHandler)]:
        root.removeHandler(old)
        old.close()
    log_file = paths.log_file
    log_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not log_file.exists():
        os.close(os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
    handler = LumatuiFileHandler(log_file, encoding="utf-8", delay=True)
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    key = settings.api_key.get_secret_value() if settings.api_key else ""
    handler.addFilter(RedactingFilter([key]))
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs whole URLs at INFO, and an output URL carries its presigned signature.
    for noisy in ("httpx", "httpcore", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    return handler
