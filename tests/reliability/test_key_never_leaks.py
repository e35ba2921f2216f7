"""The API key stays in the environment: after a full session it is in no file and no output.

A distinctive fake key is set the way a user sets it (LUMA_AGENTS_API_KEY), with debug
logging on. An in-process engine session (submit, poll, download on the simulator, with a
server that echoes the key back in an error body and a failure reason, output files on
another loopback host, a redirect to a third one) and the CLI subcommands run; then every
file under LUMATUI_HOME (config, data with the database, its WAL, the log and the
simulator's state, cache) and every captured stdout, stderr and log record is searched,
byte by byte, for the key. The output hosts record every header they receive: no
Authorization ever reaches them, and the cross-origin redirect is never followed.
"""

from __future__ import annotations

import base64
import contextlib
import http.server
import io
import logging
import os
import re
import subprocess
import sys
import threading
from typing import TYPE_CHECKING, Any, ClassVar

import httpx
import pytest

from lumatui.api.client import AgentsClient
from lumatui.cli import build_parser
from lumatui.config import app_paths, load_settings
from lumatui.engine.jobs import JobState
from lumatui.engine.service import Engine, EngineOptions
from lumatui.engine.store import JobStore
from lumatui.engine.thumbnails import ThumbnailCache
from lumatui.logs import configure_logging
from lumatui.sim import SimSettings, start_in_background
from tests.reliability.conftest import SPEED, EventLog, request, scaled_sleep
from tests.reliability.hostile_replies import output_url
from tests.reliability.hostile_server import HOSTILE, Case, HostileApi, failed_with, json_reply

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

KEY = "luma-api-SECRET-canary-123456"
KEY_OPTION = re.compile(r"^--key$|api[-_]?key|secret|token|bearer|auth|password")
NEEDLES = (KEY.encode(), base64.b64encode(KEY.encode()), KEY.encode("utf-16-le"))


class Recorder(http.server.BaseHTTPRequestHandler):
    """Serves a PNG at any path (or a redirect at /hop) and records the headers it got."""

    seen: ClassVar[list[tuple[str, str, dict[str, str]]]] = []
    png: ClassVar[bytes] = b""
    redirect_to: ClassVar[str] = ""

    def do_GET(self) -> None:
        """Record, then answer."""
        address = self.server.server_address
        host = str(address[0]) if isinstance(address, tuple) else ""
        self.seen.append((host, self.path, {k.lower(): v for k, v in self.headers.items()}))
        if self.path.startswith("/hop"):
            self.send_response(302)
            self.send_header("Location", self.redirect_to)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(self.png)))
        self.end_headers()
        self.wfile.write(self.png)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@contextlib.contextmanager
def serving(host: str) -> Iterator[str]:
    """A recording file server on `host` (loopback) and a free port; yields its origin."""
    server = http.server.ThreadingHTTPServer((host, 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def png() -> bytes:
    """A real 8 x 8 PNG."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 200, 10)).save(out, format="PNG")
    return out.getvalue()


def leaks(data: bytes) -> bool:
    """True when the key (plain, base64 or UTF-16) is in `data`."""
    return any(needle in data for needle in NEEDLES)


@pytest.fixture
def keyed_home(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """LUMATUI_HOME with the canary key in the environment and debug logging."""
    monkeypatch.setenv("LUMA_AGENTS_API_KEY", KEY)
    monkeypatch.setenv("LUMATUI_LOG", "debug")
    return isolated_home


async def engine_session(home: Path, base_url: str, files: str, elsewhere: str) -> None:
    """Submit, poll and download through the engine, with the key set like a user sets it."""
    paths = app_paths()
    paths.ensure_dirs()
    settings = load_settings(paths, overrides={"base_url": base_url})
    assert settings.api_key is not None
    handler = configure_logging(settings, paths)
    api = HostileApi()
    cases = [
        Case("echo-post", "post", lambda _: json_reply(400, {"detail": f"bad {KEY}"}), "note", ""),
        Case("echo-failure", "get", failed_with(f"Bearer {KEY} refused"), "failure", ""),
        Case("other-host", "get", output_url(f"{files}/out.png?sig=1"), "completes", ""),
        Case("redirect-host", "get", output_url(f"{files}/hop"), "output_error", ""),
        Case(
            "api-redirect",
            "get",
            lambda _: httpx.Response(302, headers={"location": f"{elsewhere}/steal"}),
            "job_error",
            "",
            times=2,
        ),
    ]
    client = AgentsClient(
        settings.api_key.get_secret_value(), base_url, transport=api, sleep=scaled_sleep(1 / SPEED)
    )
    engine = Engine(
        JobStore.open(paths.database),
        client,
        paths.outputs_dir,
        thumbnails=ThumbnailCache(paths.thumbnails_dir),
        options=EngineOptions(rate_limit=500.0, time_scale=1 / SPEED),
    )
    log = EventLog(engine)
    try:
        await engine.start()
        jobs = [
            await engine.submit(request("an ordinary job")),
            await engine.submit(request("[fail] job")),
        ]
        for case in cases:
            api.arm(case)
            jobs.append(await engine.submit(request(f"{HOSTILE} {case.id}")))
        done = await engine.wait_for([j.id for j in jobs], timeout=30.0)
        by_prompt = {j.prompt: j for j in done}
        assert by_prompt[f"{HOSTILE} echo-post"].state is JobState.REJECTED
        assert "[redacted]" in str(by_prompt[f"{HOSTILE} echo-post"].note)
        assert "[redacted]" in str(by_prompt[f"{HOSTILE} echo-failure"].failure_reason)
        (fetched,) = engine.store.outputs(by_prompt[f"{HOSTILE} other-host"].id)
        assert fetched.is_downloaded
        (refused,) = engine.store.outputs(by_prompt[f"{HOSTILE} redirect-host"].id)
        assert refused.error and "another origin" in refused.error
        assert log.events
    finally:
        await engine.stop()
        await client.aclose()
        engine.close()
        logging.getLogger().removeHandler(handler)
        handler.close()


def run_cli(*args: str) -> subprocess.CompletedProcess[bytes]:
    """`python -m lumatui ARGS` with this environment; stdout and stderr captured."""
    return subprocess.run(
        [sys.executable, "-m", "lumatui", *args], capture_output=True, timeout=60, check=False
    )


async def test_the_key_is_nowhere_after_a_full_session(
    keyed_home: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.DEBUG)
    Recorder.png, Recorder.seen = png(), []
    sim = start_in_background(SimSettings.for_tests(app_paths().simulator_dir, speed=SPEED))
    try:
        with serving("127.0.0.2") as files, serving("127.0.0.3") as elsewhere:
            Recorder.redirect_to = f"{elsewhere}/stolen.png"
            await engine_session(keyed_home, sim.base_url, files, elsewhere)
            monkeypatch.setenv("LUMA_BASE_URL", sim.base_url)
            speed = ("--sim-speed", str(SPEED))
            submitted = run_cli("submit", "--prompt", "from the CLI", "--wait", *speed)
            assert submitted.returncode == 0, submitted.stderr
            job_id = submitted.stdout.decode().split("/")[-2]
            results = [
                submitted,
                run_cli("list", "--json"),
                run_cli("export", job_id, "--as", "curl"),
                run_cli("export", job_id, "--as", "python"),
                run_cli("export", job_id, "--as", "json"),
                run_cli("config", "--json"),
                run_cli("wait", "--all", *speed),
            ]
    finally:
        sim.stop()

    for result in results:
        assert result.returncode in (0, 1), (result.args, result.stderr)
        assert not leaks(result.stdout + result.stderr), result.args
    assert b"$LUMA_AGENTS_API_KEY" in results[2].stdout  # the export names the variable
    assert not leaks(caplog.text.encode())
    files_seen = [p for p in keyed_home.rglob("*") if p.is_file()]
    (log_file,) = [p for p in files_seen if p.name == "lumatui.log"]
    assert b"GET /v1/generations/" in log_file.read_bytes(), "debug lines were logged"
    assert any(p.name.startswith("lumatui.db") for p in files_seen)
    for path in files_seen:
        assert not leaks(path.read_bytes()), f"the key is in {path}"
    # The output hosts: files served without the key; the cross-origin hop never followed.
    assert {host for host, _, _ in Recorder.seen} == {"127.0.0.2"}
    assert {path.split("?")[0] for _, path, _ in Recorder.seen} >= {"/out.png", "/hop"}
    assert all("authorization" not in headers for _, _, headers in Recorder.seen)


def test_no_command_takes_the_key_as_an_argument() -> None:
    """The process list never shows the key: no option of any subcommand carries it."""
    parser = build_parser()
    options: list[str] = []
    for action in parser._actions:
        options += action.option_strings
        for sub in getattr(action, "choices", None) or {}:
            if isinstance(action.choices, dict):
                options += [o for a in action.choices[sub]._actions for o in a.option_strings]
    carrying = [o for o in options if KEY_OPTION.search(o.lower())]
    assert len(options) > 20 and not carrying, carrying


def test_a_readable_config_file_with_the_key_is_refused_with_the_fix(keyed_home: Path) -> None:
    config = keyed_home / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f'api_key = "{KEY}"\n')
    os.chmod(config, 0o644)
    env = {k: v for k, v in os.environ.items() if k != "LUMA_AGENTS_API_KEY"}
    result = subprocess.run(
        [sys.executable, "-m", "lumatui", "config"], capture_output=True, env=env, timeout=60
    )
    assert result.returncode != 0
    assert f"chmod 600 {config}".encode() in result.stderr + result.stdout
    assert not leaks(result.stdout + result.stderr)


def test_plain_http_to_another_host_is_refused_before_anything_is_sent(keyed_home: Path) -> None:
    result = run_cli("submit", "--prompt", "x", "--base-url", "http://api.example.com/v1")
    assert result.returncode == 3
    assert b"plain http" in result.stderr and not leaks(result.stdout + result.stderr)
