"""The corpus of bad server replies: each one a `Case` with the message it must end as.

Three groups: replies to the hostile job's POST (`post`), to its GETs (`get`, in
`hostile_corpus_get`), and its output files (`download`). Each names its sink (where the
message must appear: the job's note, its failure, an output's error, a JobError or
Connectivity event, the queue's pause) and a fragment of that message.
"""

from __future__ import annotations

from tests.reliability.hostile_corpus_get import GET
from tests.reliability.hostile_replies import (
    HTML,
    MARKUP,
    MB,
    VIDEO,
    dropped_reply,
    fake_mp4,
    gzip_bomb,
    html,
    huge_length,
    json_bomb,
    png_bomb,
    redirect,
    retry_after,
    truncated_file,
)
from tests.reliability.hostile_server import (
    Case,
    constant,
    json_reply,
    raw_reply,
)

POST = [
    Case("post-html-500", "post", constant(lambda: html(500)), "note", "HTML page"),
    Case("post-html-200", "post", constant(lambda: html(200)), "note", "not JSON"),
    Case("post-json-list", "post", constant(lambda: json_reply(201, [])), "note", "JSON list"),
    Case("post-json-string", "post", constant(lambda: json_reply(201, "ok")), "note", "JSON str"),
    Case("post-json-number", "post", constant(lambda: json_reply(201, 42)), "note", "JSON int"),
    Case(
        "post-json-null", "post", constant(lambda: json_reply(201, None)), "note", "not an object"
    ),
    Case(
        "post-missing-id",
        "post",
        constant(lambda: json_reply(201, {"state": "queued", "model": "uni-1", "type": "image"})),
        "note",
        "missing 'id'",
    ),
    Case(
        "post-id-traversal",
        "post",
        constant(
            lambda: json_reply(
                201,
                {"id": "../../x", "created_at": "now", "model": "uni-1", "state": "queued"}
                | {"type": "image"},
            )
        ),
        "note",
        "invalid 'id'",
    ),
    Case(
        "post-400-escapes-and-markup",
        "post",
        constant(lambda: json_reply(400, {"detail": f"\x1b]52;c;ZXZpbA==\x07bad {MARKUP}"})),
        "note",
        MARKUP,
    ),
    Case(
        "post-422-thousand-field-errors",
        "post",
        constant(
            lambda: json_reply(
                422,
                {"detail": [{"loc": ["body", f"f{i}"], "msg": "\x1b[2Jbad"} for i in range(1000)]},
            )
        ),
        "note",
        "more",
    ),
    Case(
        "post-reset-after-create",
        "post",
        dropped_reply,
        "note",
        "may have been created",
        forward=True,
    ),
    Case(
        "post-10mb-body",
        "post",
        constant(lambda: json_reply(201, {"pad": "x" * 10 * MB})),
        "note",
        "too large",
    ),
    Case(
        "post-gzip-bomb-body",
        "post",
        constant(
            lambda: raw_reply(201, json_bomb(4 * MB), "application/json", content_encoding="gzip")
        ),
        "note",
        "too large",
    ),
    Case(
        "post-content-length-10gb",
        "post",
        constant(lambda: huge_length("application/json")),
        "note",
        "too large",
    ),
    Case(
        "post-redirect-elsewhere",
        "post",
        constant(lambda: redirect("https://evil.example/v1/generations")),
        "note",
        "HTTP 302",
    ),
    Case(
        "post-429-huge-retry-after",
        "post",
        constant(lambda: retry_after("999999999")),
        "note",
        "rate limit",
        times=1,
    ),
    Case(
        "post-429-negative-retry-after",
        "post",
        constant(lambda: retry_after("-5")),
        "note",
        "rate limit",
        times=4,
    ),
    Case(
        "post-402-html",
        "post",
        constant(lambda: raw_reply(402, HTML, "text/html")),
        "paused",
        "balance",
        times=1,
    ),
]


DOWNLOAD = [
    Case(
        "file-png-that-is-html",
        "download",
        constant(lambda: raw_reply(200, HTML, "image/png")),
        "output_error",
        "HTML",
    ),
    Case(
        "file-png-decompression-bomb",
        "download",
        constant(lambda: raw_reply(200, png_bomb(), "image/png")),
        "output_error",
        "too large",
    ),
    Case(
        "file-video-that-is-not-a-video",
        "download",
        constant(lambda: raw_reply(200, fake_mp4(), "video/mp4")),
        "output_error",
        "not a playable video",
        body=VIDEO,
    ),
    Case(
        "file-content-length-10gb",
        "download",
        constant(lambda: huge_length("image/png")),
        "output_error",
        "too large",
    ),
    Case(
        "file-gzip-bomb",
        "download",
        constant(lambda: raw_reply(200, gzip_bomb(8 * MB), "image/png", content_encoding="gzip")),
        "output_error",
        "too large",
    ),
    Case("file-truncated-every-time", "download", truncated_file, "output_error", "cut off"),
    Case(
        "file-redirect-to-another-host",
        "download",
        constant(lambda: redirect("https://evil.example/out.png")),
        "output_error",
        "another origin",
    ),
    Case(
        "file-expired-every-time",
        "download",
        constant(
            lambda: raw_reply(403, b"<Error><Code>AccessDenied</Code></Error>", "application/xml")
        ),
        "output_error",
        "expired",
    ),
    Case(
        "file-empty",
        "download",
        constant(lambda: raw_reply(200, b"", "image/png")),
        "output_error",
        "empty",
    ),
    Case(
        "file-svg-with-script",
        "download",
        constant(lambda: raw_reply(200, b"<svg onload='alert(1)'></svg>", "image/svg+xml")),
        "output_error",
        "SVG",
    ),
    Case(
        "file-404-xml",
        "download",
        constant(lambda: raw_reply(404, b"<Error>\x1b[2J</Error>", "application/xml")),
        "output_error",
        "HTTP 404",
    ),
]

CORPUS = [*POST, *GET, *DOWNLOAD]
