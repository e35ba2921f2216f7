"""Make hostile text safe to show: the one cleaner every layer uses for server text.

A server (or a proxy in front of it) can put anything in an error body, a failure reason or
a header: terminal escape sequences that retitle the window or move the cursor, control
characters, bidi overrides that reorder what a person reads, megabytes of text. The cleaner
turns all of it into one short line of plain text. Escaping Rich markup is the UI's job.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

# ESC-introduced sequences (7-bit) and their 8-bit C1 equivalents, longest forms first.
# A string sequence without its terminator loses only its introducer (the rest is text).
_ESCAPE_SEQUENCE = re.compile(
    r"""
      (?:\x1b\[|\x9b) [\x30-\x3f]* [\x20-\x2f]* [\x40-\x7e]?       # CSI ... final byte
    | (?:\x1b\]|\x9d) [^\x07\x1b\x9c]* (?:\x07|\x1b\\|\x9c)      # OSC ... BEL or ST
    | (?:\x1b[PX^_]|[\x90\x98\x9e\x9f]) [^\x1b\x9c]* (?:\x1b\\|\x9c)   # DCS SOS PM APC
    | \x1b [\x20-\x2f]* [\x30-\x7e]?                              # any other escape
    """,
    re.VERBOSE,
)

# C0 and C1 controls, DEL, line/paragraph separators, and the bidi formatting characters
# (Trojan Source) become spaces; whitespace is collapsed afterwards.
_CONTROL = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
# What JSON leaves raw but a terminal acts on (DEL, C1 such as the 8-bit CSI U+009B) or
# that reorders what a person reads (bidi controls): escaped as \uXXXX, the data unchanged.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")

ELLIPSIS = "…"
MIN_SECRET_LENGTH = 8
REDACTED = "[redacted]"


def clean_text(text: str, limit: int = 300, *, hide: Iterable[str] = ()) -> str:
    """One line of plain text: escapes and controls removed, whitespace collapsed, truncated.

    Every string in `hide` (an API key, say) of at least 8 characters is replaced by
    "[redacted]", before and after cleaning, so a server echoing a secret cannot leak it.
    """
    secrets = [s for s in hide if len(s) >= MIN_SECRET_LENGTH]
    text = _redact(text, secrets)
    text = _ESCAPE_SEQUENCE.sub("", text)
    text = _CONTROL.sub(" ", text)
    # Again: an escape sequence or a newline placed inside a secret must not un-hide it.
    text = _redact(" ".join(text.split()), secrets)
    limit = max(limit, 1)
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + ELLIPSIS
    return text


def _redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text


def terminal_safe_json(text: str) -> str:
    """JSON text (from json.dumps) with DEL, C1 and bidi controls written as \\uXXXX escapes.

    json.dumps escapes C0 controls but, with ensure_ascii=False, leaves these raw; inside a
    JSON string the escape means the same character, so the data is unchanged.
    """
    return _JSON_UNSAFE.sub(lambda found: f"\\u{ord(found.group()):04x}", text)
