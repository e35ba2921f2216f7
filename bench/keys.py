"""Typing in the prompt: each key, to the first frame that shows it, the count and the problems.

Cases, each a headless app at 120x40 typing the same keys (words, spaces, a backspace now
and then, and `ctrl+u` every sentence, which empties the prompt: the composer's problem line
and count then say so, and typing on hides the problem again):

- bare: a Textual App holding one TextArea, nothing else (Textual's own cost);
- composer: the real workstation (`LumaApp`) over a history of 10,000 generations and a
  client that never answers, the cursor in the composer's prompt;
- composer-polling: the same workstation on `lumatui sim` running in its own process (as
  `lumatui sim` runs it), with about 100 jobs in flight, all of them polled (sent before
  the typing starts, slow enough to stay in flight while it lasts).

Each key is handed to the app as the terminal driver hands it (`driver.send_message`) and
timed to the first frame drawn (`App._display`) in which the prompt holds the expected text
and, for the composer, the count shows the new length and the problem line and the submit
bar show "must not be empty" exactly when the prompt is empty. Keys go one at a time, a
fast typist's 30 ms apart. bare and composer alternate over several rounds (the order
flipping each round); composer-polling runs once, after them. Figures are p50 and p99.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import machine, median, orders, quantile, ratio_line
from _workstation import home_paths, resolve, seed_history, workstation

if TYPE_CHECKING:
    from collections.abc import Callable

    from textual.app import App

SIZE = (120, 40)
HISTORY = 10_000
GAP_S = 0.03
IN_FLIGHT = 100
SIM_SPEED = 0.25
"""Simulator speed for the polling case: a uni-1 image takes about two minutes, so the jobs
sent stay in flight (a POST goes out every few hundred ms on a busy machine)."""
FILL_S = 240.0
"""At most this long to get the jobs in flight; the figures say how many were."""
WORDS = (
    *("slow", "dolly", "in", "waves", "crashing", "on", "the", "rocks", "at", "dusk"),
    *("a", "lighthouse", "beam", "sweeps", "through", "fog", "gulls", "circle", "above"),
)


def key_stream(count: int, seed: int = 11) -> list[tuple[str, str]]:
    """(key, the prompt's text after it) for `count` keys of plausible typing."""
    rng = random.Random(seed)
    keys: list[tuple[str, str]] = []
    text = ""
    while len(keys) < count:
        if len(text) > 60:
            text = ""
            keys.append(("ctrl+u", text))
            continue
        word = rng.choice(WORDS) + " "
        for char in word:
            if rng.random() < 0.04 and text:
                text = text[:-1]
                keys.append(("backspace", text))
            text += char
            keys.append(("space" if char == " " else char, text))
    return keys[:count]


def bare_app() -> App[None]:
    """Textual alone: one TextArea, focused."""
    from textual.app import App
    from textual.widgets import TextArea

    class Bare(App[None]):
        def compose(self) -> Any:
            yield TextArea(id="prompt")

        def on_mount(self) -> None:
            self.query_one(TextArea).focus()

    return Bare()


def bare_check(app: App[Any]) -> Callable[[str], bool]:
    """Whether the bare app's TextArea holds `text`."""
    from textual.widgets import TextArea

    area = app.query_one(TextArea)
    return lambda text: area.text == text


def composer_check(app: Any) -> Callable[[str], bool]:
    """Whether the composer shows `text`, its count, and its problem (only when empty)."""
    from lumatui.tui.widgets.composer.submit_bar import SubmitBar

    composer = app.main_screen.composer
    editor = composer.prompt_editor
    line = composer.form.fields["prompt"].errors
    bar = composer.query_one(SubmitBar)

    def check(text: str) -> bool:
        empty = text == ""
        return (
            editor.area.text == text
            and editor._count.count == len(text)
            and ("must not be empty" in line.plain) == empty
            and bar.problem_count == (1 if empty else 0)
        )

    return check


async def type_keys(
    app: App[Any], check: Callable[[str], bool], keys: list[tuple[str, str]]
) -> list[float]:
    """Seconds from each key to the first frame showing what `check` wants for it."""
    from textual import events

    wanted: dict[str, Any] = {}
    original = app._display

    def display(screen: Any, renderable: Any) -> None:
        original(screen, renderable)
        future = wanted.get("future")
        if future is not None and not future.done() and check(wanted["text"]):
            resolve(future, time.perf_counter())

    app._display = display  # type: ignore[method-assign]
    driver = app._driver
    assert driver is not None
    loop = asyncio.get_running_loop()
    latencies = []
    for key, text in keys:
        future: asyncio.Future[float] = loop.create_future()
        wanted.update(future=future, text=text)
        event = events.Key(key, " " if key == "space" else (key if len(key) == 1 else None))
        event.set_sender(app)
        start = time.perf_counter()
        driver.send_message(event)
        try:
            latencies.append(await asyncio.wait_for(future, 30.0) - start)
        except TimeoutError:
            raise RuntimeError(f"no frame ever showed {text!r} after {key!r}") from None
        await asyncio.sleep(GAP_S)
    app._display = original  # type: ignore[method-assign]
    return latencies


async def run_bare(keys: list[tuple[str, str]]) -> list[float]:
    app = bare_app()
    async with app.run_test(headless=True, size=SIZE) as pilot:
        await pilot.pause()
        latencies = await type_keys(app, bare_check(app), keys)
        app.exit()
    return latencies


async def run_composer(home: Path, keys: list[tuple[str, str]]) -> list[float]:
    # The last round's unsent draft would come back at start: each round starts empty.
    shutil.rmtree(home_paths(home).data_dir / "drafts", ignore_errors=True)
    app: Any = workstation(home)
    async with app.run_test(headless=True, size=SIZE) as pilot:
        while not app.engine_started:
            await pilot.pause()
        await pilot.pause()
        app.main_screen.focus_prompt()
        latencies = await type_keys(app, composer_check(app), keys)
        app.exit()
    return latencies


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def run_polling(home: Path, keys: list[tuple[str, str]]) -> tuple[list[float], list[int]]:
    """The composer while ~100 jobs are polled on `lumatui sim` in its own process."""
    from lumatui.api import errors
    from lumatui.api.client import AgentsClient
    from lumatui.api.schema import GenerationRequest
    from lumatui.backend import Backend
    from lumatui.config import load_settings
    from lumatui.tui.app import LumaApp

    port = free_port()
    command = [sys.executable, "-m", "lumatui", "sim", "--port", str(port)]
    command += ["--speed", str(SIM_SPEED), "--rpm", "1000000", "--concurrency", "1000"]
    sim = subprocess.Popen(
        [*command, "--state-dir", str(home / "sim")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "LUMATUI_HOME": str(home)},
    )
    try:
        base_url = f"http://127.0.0.1:{port}/v1"
        client = AgentsClient("bench-key", base_url)
        for _ in range(400):  # until the simulator answers (a 404 for a made-up id)
            try:
                await client.get("00000000-0000-4000-8000-000000000000")
            except errors.NotFound:
                break
            except errors.ApiError:
                await asyncio.sleep(0.05)
        paths = home_paths(home)
        settings = load_settings(
            paths, environ={"LUMATUI_HOME": str(home)}, overrides={"poll_rate_limit": 40.0}
        )
        backend = Backend(client, "SIMULATOR", None, 1.0 / SIM_SPEED)
        app = LumaApp(settings, paths, backend, image_renderer="halfcell")
        in_flight: list[int] = []
        async with app.run_test(headless=True, size=SIZE) as pilot:
            while not app.engine_started:
                await pilot.pause()
            engine = app.engine
            assert engine is not None
            prompts = iter(range(10_000_000))

            async def top_up() -> None:
                missing = IN_FLIGHT - engine.poller.followed - engine.submitter.waiting
                for _ in range(max(missing, 0)):
                    await engine.submit(
                        GenerationRequest.model_validate({"prompt": f"a fox, take {next(prompts)}"})
                    )

            await top_up()
            feeder = app.set_interval(0.1, top_up)
            filling = time.monotonic()
            while engine.poller.followed < IN_FLIGHT * 0.9:
                if time.monotonic() - filling > FILL_S:
                    break
                await asyncio.sleep(0.5)
            # The harness stops sending: what is measured is polling (and what it brings:
            # state changes, downloads, thumbnails), not this loop's own POSTs and writes.
            feeder.stop()
            print(f"polling {engine.poller.followed} jobs; typing", flush=True)
            sampler = app.set_interval(0.5, lambda: in_flight.append(engine.poller.followed))
            app.main_screen.focus_prompt()
            await pilot.pause()
            latencies = await type_keys(app, composer_check(app), keys)
            sampler.stop()
            app.exit()
        return latencies, in_flight
    finally:
        sim.send_signal(signal.SIGINT)
        try:
            sim.wait(timeout=20)
        except subprocess.TimeoutExpired:
            sim.kill()


def summary(name: str, latencies: list[float]) -> str:
    return (
        f"  {name:<17} p50 {quantile(latencies, 0.5) * 1000:6.2f} ms   "
        f"p99 {quantile(latencies, 0.99) * 1000:6.2f} ms   max {max(latencies) * 1000:6.1f} ms"
        f"   ({len(latencies)} keys)"
    )


def main() -> int:
    """Seed, type into each case, print p50/p99 and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--keys", type=int, default=300, help="keys per case and round")
    parser.add_argument("--polling-keys", type=int, default=1000)
    parser.add_argument("--no-polling", action="store_true")
    args = parser.parse_args()
    print(machine(), flush=True)
    times: dict[str, list[float]] = {"bare": [], "composer": []}
    with tempfile.TemporaryDirectory(prefix="lumatui-bench-keys-") as tmp:
        home = Path(tmp) / "history"
        seed_history(home, HISTORY, running=0)
        for n, order in enumerate(orders(list(times), args.rounds)):
            keys = key_stream(args.keys, seed=n)
            for case in order:
                if case == "bare":
                    times[case] += asyncio.run(run_bare(keys))
                else:
                    times[case] += asyncio.run(run_composer(home, keys))
                print(f"round {n + 1}: {case} done", flush=True)
        polling: list[float] = []
        in_flight: list[int] = []
        if not args.no_polling:
            live = Path(tmp) / "live"
            seed_history(live, HISTORY, running=0)
            polling, in_flight = asyncio.run(
                run_polling(live, key_stream(args.polling_keys, seed=99))
            )

    print("\nkey to the first frame showing it (and, for the composer, count and problem line):")
    print(summary("bare TextArea", times["bare"]))
    print(summary("composer", times["composer"]))
    if polling:
        jobs = median([float(n) for n in in_flight])
        print(summary("composer, polling", polling) + f", {jobs:.0f} jobs polled (median)")
    bare50, bare99 = quantile(times["bare"], 0.5), quantile(times["bare"], 0.99)
    print()
    print(ratio_line("keys_p50_vs_bare", quantile(times["composer"], 0.5) / bare50, 1.5))
    print(ratio_line("keys_p99_vs_bare", quantile(times["composer"], 0.99) / bare99, 2.5))
    if polling:
        print(ratio_line("keys_p99_polling_vs_bare", quantile(polling, 0.99) / bare99, 3))
    return 0


if __name__ == "__main__":
    sys.exit(main())
