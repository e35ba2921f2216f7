"""Helpers for tests that run several real `lumatui` processes on one history.

Every process is `python -m lumatui ...` with its own interpreter, pointed at one
LUMATUI_HOME and at a simulator served from the test process on loopback. Nothing here
sleeps: a test waits for a process to exit, for a line it prints, or for an event the
simulator sets.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lumatui.engine.jobs import JobState
from lumatui.engine.store import JobStore

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, MutableMapping
    from pathlib import Path

    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from lumatui.engine.jobs import Job
    from lumatui.sim import RunningSimulator

KEY = "luma-api-processes-test-key"
PROCESS_TIMEOUT_S = 120.0


@dataclass
class History:
    """One LUMATUI_HOME shared by processes talking to one simulator."""

    home: Path
    sim: RunningSimulator
    speed: float

    def env(self) -> dict[str, str]:
        """The environment of every process: the home, the key, the simulator."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LUMA", "LUMATUI"))}
        env.update(
            LUMATUI_HOME=str(self.home),
            LUMA_AGENTS_API_KEY=KEY,
            LUMA_BASE_URL=self.sim.base_url,
            PYTHONUNBUFFERED="1",
        )
        return env

    def start(self, *args: str) -> subprocess.Popen[str]:
        """Start `lumatui ARGS --sim-speed SPEED`; stdout and stderr are pipes."""
        network = args[0] in ("submit", "wait", "queue", "get")
        extra = ["--sim-speed", str(self.speed)] if network else []
        return subprocess.Popen(
            [sys.executable, "-m", "lumatui", *args, *extra],
            env=self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def run_here(self, *args: str) -> int:
        """Run `lumatui ARGS` in this process (with every process's environment); its exit
        code. For the steps whose own process is not under test: an interpreter's start
        costs about a second of CPU."""
        from unittest import mock

        from lumatui.cli import main

        network = args[0] in ("submit", "wait", "queue", "get")
        extra = ["--sim-speed", str(self.speed)] if network else []
        with mock.patch.dict(os.environ, self.env(), clear=True):
            try:
                return main([*args, *extra])
            except SystemExit as exited:
                return int(exited.code or 0)

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run one process to its end."""
        process = self.start(*args)
        out, err = process.communicate(timeout=PROCESS_TIMEOUT_S)
        return subprocess.CompletedProcess(process.args, process.returncode, out, err)

    def jobs(self) -> list[Job]:
        """Every stored job, oldest first."""
        with JobStore.open(self.home / "data" / "lumatui.db") as store:
            return sorted(
                [job for state in JobState for job in store.in_state(state)], key=lambda j: j.seq
            )

    def outputs_missing(self) -> list[str]:
        """Completed jobs without every output verified on disk."""
        missing = []
        with JobStore.open(self.home / "data" / "lumatui.db") as store:
            for job in store.in_state(JobState.COMPLETED):
                outputs = store.outputs(job.id)
                if not outputs or not all(o.is_downloaded for o in outputs):
                    missing.append(f"{job.prompt}: {outputs}")
        return missing

    def partial_files(self) -> list[Path]:
        """Partial downloads left on disk."""
        return sorted((self.home / "data" / "outputs").glob("*/.*.part"))


def run_in_batches(history: History, commands: list[list[str]], width: int) -> list[int]:
    """Run the commands `width` at a time; their exit codes in order."""
    codes = [0] * len(commands)
    running: dict[int, subprocess.Popen[str]] = {}
    pending = list(enumerate(commands))
    while pending or running:
        while pending and len(running) < width:
            index, command = pending.pop(0)
            running[index] = history.start(*command)
        index, process = next(iter(running.items()))
        process.communicate(timeout=PROCESS_TIMEOUT_S)
        codes[index] = process.returncode
        del running[index]
    return codes


def created_by_prompt(sim: RunningSimulator) -> Counter[str]:
    """How many generations the simulator created for each prompt (from its database)."""
    path = sim.simulator.settings.state_dir / "simulator.db"
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT plan FROM generations").fetchall()
    finally:
        db.close()
    return Counter(json.loads(plan)["prompt"] for (plan,) in rows)


def until(condition: Callable[[], bool], *, timeout: float = PROCESS_TIMEOUT_S) -> None:
    """Return once `condition()` holds (a file another process creates, say).

    Another process's files give no event to wait on, so this looks every 20 ms; the
    deadline only bounds a failure, nothing here assumes how long anything takes.
    """
    ticker = threading.Event()
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        ticker.wait(0.02)
    assert condition(), "the condition never held"


def read_until(process: subprocess.Popen[str], marker: str) -> str:
    """Read the process's stderr line by line until a line holds `marker`; that line."""
    assert process.stderr is not None
    for line in process.stderr:
        if marker in line:
            return line
    raise AssertionError(f"the process ended without saying {marker!r}")


@dataclass
class DownloadGate:
    """ASGI middleware: counts output downloads, and can stall the first one half-way."""

    app: ASGIApp
    stall_first: bool = False
    started: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    downloads: Counter[str] = field(default_factory=Counter)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass everything through; hold the first download after half its body."""
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or not path.startswith("/files/") or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        self.downloads[path] += 1
        if not self.stall_first or self.started.is_set():
            await self.app(scope, receive, send)
            return
        self.started.set()
        await self.app(scope, receive, self._stalling(send))

    def _stalling(self, send: Send) -> Callable[[MutableMapping[str, Any]], Awaitable[None]]:
        held = [False]

        async def stalled_send(message: Message) -> None:
            body = message.get("body", b"")
            if message["type"] == "http.response.body" and body and not held[0]:
                held[0] = True
                half = len(body) // 2
                await send({**message, "body": body[:half], "more_body": True})
                await asyncio.to_thread(self.release.wait, PROCESS_TIMEOUT_S)
                await send({**message, "body": body[half:]})
                return
            await send(message)

        return stalled_send
