"""A stored request as something runnable: a curl command, the JSON body, or a Python script.

The body is the request exactly as it was sent (the stored JSON, re-indented for reading);
the key is never in it: the curl command reads `$LUMA_AGENTS_API_KEY` from the shell, the
script reads `os.environ["LUMA_AGENTS_API_KEY"]`. The CLI's `lumatui export` and the TUI's
"copy as curl" both use `export_job`, with the configured base URL (never the built-in
simulator's temporary port): a job made on the simulator is exported for Luma's own URL,
with a first line saying it was simulated (running it is a real, paid request).
"""

from __future__ import annotations

import json
import pprint
import re
import shlex
from typing import TYPE_CHECKING, Any

from lumatui.api.urls import DEFAULT_BASE_URL

if TYPE_CHECKING:
    from lumatui.engine.jobs import Job

EXPORT_FORMATS = ("curl", "json", "python")
KEY_VARIABLE = "LUMA_AGENTS_API_KEY"
HEREDOC_END = "JSON"

# Characters that are valid inside a JSON string but would mislead a reader of the exported
# text in a terminal or an editor: DEL and C1 controls, line/paragraph separators, and the
# bidi formatting characters. JSON escapes C0 controls itself; these become \uXXXX too.
_MISLEADING = re.compile("[\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


SIMULATED_NOTE = (
    "# This job was made on lumatui's built-in simulator. This command sends it to Luma's "
    "API: a real, paid generation."
)


def export_job(job: Job, base_url: str, as_: str) -> str:
    """A stored job's request as `export_request` makes it, for the configured `base_url`;
    a simulated job for Luma's default URL, saying so (curl and python; json has no
    comments, so the CLI says it on stderr)."""
    if not job.simulated:
        return export_request(job.request_json, base_url, as_)
    text = export_request(job.request_json, DEFAULT_BASE_URL, as_)
    return text if as_ == "json" else f"{SIMULATED_NOTE}\n{text}"


def export_request(request_json: str, base_url: str, as_: str) -> str:
    """The request `request_json` (a JSON object) as `curl`, `json` or `python` text.

    Raises ValueError for an unknown format or a body that is not a JSON object.
    """
    body = json.loads(request_json)
    if not isinstance(body, dict):
        raise ValueError("the stored request is not a JSON object")
    url = base_url.rstrip("/") + "/generations"
    if as_ == "json":
        return readable_json(body) + "\n"
    if as_ == "curl":
        return curl_command(body, url)
    if as_ == "python":
        return python_script(body, url)
    raise ValueError(f"unknown export format {as_!r}; choose one of {', '.join(EXPORT_FORMATS)}")


def readable_json(body: Any) -> str:
    """JSON indented by two spaces, non-ASCII text kept but misleading characters escaped."""
    text = json.dumps(body, indent=2, ensure_ascii=False)
    return _MISLEADING.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def curl_command(body: dict[str, Any], url: str) -> str:
    """A curl command POSTing `body` to `url`, the key taken from the shell's environment.

    The body goes through a quoted heredoc, so the shell expands nothing inside it; JSON
    text can never contain a line that is exactly the terminator.
    """
    lines = [
        f"curl -sS -X POST {shlex.quote(url)} \\",
        f'  -H "Authorization: Bearer ${KEY_VARIABLE}" \\',
        "  -H 'Content-Type: application/json' \\",
        f"  --data-binary @- <<'{HEREDOC_END}'",
        readable_json(body),
        HEREDOC_END,
    ]
    return "\n".join(lines) + "\n"


def python_script(body: dict[str, Any], url: str) -> str:
    """A Python script POSTing `body` to `url` with httpx, the key read from the environment."""
    # repr() escapes every non-printable character, so the literal is safe to show.
    literal = pprint.pformat(body, indent=1, width=88, sort_dicts=False)
    return "\n".join(
        [
            '"""POST a generation to Luma\'s Agents API (exported by lumatui)."""',
            "",
            "import os",
            "",
            "import httpx",
            "",
            f"URL = {url!r}",
            f"BODY = {literal}",
            "",
            "response = httpx.post(",
            "    URL,",
            f'    headers={{"Authorization": "Bearer " + os.environ["{KEY_VARIABLE}"]}},',
            "    json=BODY,",
            "    timeout=60,",
            ")",
            "response.raise_for_status()",
            "print(response.json())",
            "",
        ]
    )
