"""A 180 MB local video through the composer: an upload and a video_edit, no base64, streamed.

What it proves, at full size (the suite's `tests/tui/test_big_video.py` is the same path
at 6 MB with a 2 MB inline cap):

- the workstation (headless, 120x40) types a video_edit, puts the clip's path in the source
  field (it shows "will upload 180 MB as a file"), and presses ctrl+j;
- the clip goes up through the Files API's presigned PUT, with progress notifications;
- the POST body holds `{"file_id": ...}` and not a byte of base64;
- the workstation never held the file in memory: its largest single read of the file, its
  reads of the whole file (none), and its memory growth while sending, measured for a
  180 MB clip and an 18 MB one side by side (flat means streamed);
- the simulator (`lumatui sim`, another process: its own memory is not counted) ingests
  the clip, and the edit completes.

The clips are real H.264 MP4s (a 2 s encode) padded by a top-level `free` box to size.
Each clip runs in a fresh child process (peak memory is per process). Memory figures from
/proc/self/status: the peak (VmHWM, reset through /proc/self/clear_refs just before the
clip's path is typed) over the resident size at that moment, and tracemalloc's peak of
Python allocations during the send.

    .venv/bin/python bench/big_upload.py            # 180 MB and 18 MB
    .venv/bin/python bench/big_upload.py --mb 500   # any size
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the suite's helpers (tests.tui.big_video) make and send the clip

MB = 1024 * 1024
KEY = "luma-api-bench-key"
SIM_SPEED = 1000


def _status(field: str) -> int:
    """A /proc/self/status figure in bytes (VmHWM, VmRSS)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)


async def _child(size_mb: int, home: Path, base_url: str) -> dict[str, Any]:
    import tracemalloc

    from lumatui.api import files_client, upload
    from lumatui.api.client import AgentsClient
    from lumatui.backend import Backend
    from lumatui.config import app_paths, load_settings
    from lumatui.tui.app import LumaApp
    from tests.tui.big_video import audit_reads, padded_mp4, send_video_edit
    from tests.tui.conftest import wait_until

    clip = padded_mp4(home / f"clip-{size_mb}mb.mp4", size_mb * MB)
    paths = app_paths()
    paths.ensure_dirs()
    settings = load_settings(paths, overrides={"poll_rate_limit": 500.0})
    backend = Backend(AgentsClient(KEY, base_url), "SIMULATOR", None, 1.0 / SIM_SPEED)
    puts: list[int] = []
    real_put = upload.put_file

    async def put_file(http: Any, url: str, headers: Any, path: Path, size: int, **kw: Any) -> None:
        puts.append(size)
        await real_put(http, url, headers, path, size, **kw)

    files_client.put_file = put_file  # type: ignore[attr-defined]  # counts the presigned PUTs
    app = LumaApp(settings, paths, backend, image_renderer="halfcell")
    figures: dict[str, Any] = {"size_mb": size_mb}
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine_started)
        hwm_before = _status("VmHWM")
        Path("/proc/self/clear_refs").write_text("5")  # the peak (VmHWM) starts again here
        rss_before = _status("VmRSS")
        tracemalloc.start()
        started = time.perf_counter()
        with audit_reads(clip) as audit:
            sent = await send_video_edit(app, pilot, clip, rounds=1_000_000)
        figures["seconds"] = time.perf_counter() - started
        figures["traced_peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        figures["hwm_growth"] = max(0, _status("VmHWM") - rss_before)
        figures["hwm_before"], figures["rss_before"] = hwm_before, rss_before
        figures.update(
            status=sent.status,
            state=str(sent.job.state),
            failure=sent.job.failure_reason,
            source=sent.body.get("source"),
            request_bytes=sent.request_bytes,
            has_data='"data"' in sent.job.request_json,
            puts=puts,
            progress=[t for t in sent.toasts if t.startswith("Uploading")],
            upload_seconds=sent.upload_seconds,
            largest_read=audit.largest,
            whole_reads=audit.whole_reads,
            bytes_read=sum(audit.reads),
        )
    return figures


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_sim(state: Path) -> tuple[subprocess.Popen[bytes], str]:
    import httpx

    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "lumatui",
        "sim",
        "--port",
        str(port),
        "--speed",
        str(SIM_SPEED),
    ]
    command += ["--state-dir", str(state)]
    sim = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base_url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base_url}/files", headers={"Authorization": f"Bearer {KEY}"}, timeout=1)
            return sim, base_url
        except httpx.HTTPError:
            time.sleep(0.1)  # a benchmark, not a test: the server is still starting
    sim.kill()
    raise SystemExit("the simulator did not start")


def _run_child(size_mb: int, base_url: str, work: Path) -> dict[str, Any]:
    home = work / f"home-{size_mb}"
    home.mkdir()
    env = {**os.environ, "LUMATUI_HOME": str(home)}
    env.pop("LUMA_AGENTS_API_KEY", None)
    command = [sys.executable, __file__, "--child", str(size_mb), "--base-url", base_url]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the {size_mb} MB run failed:\n{done.stderr[-4000:]}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def _report(big: dict[str, Any], small: dict[str, Any]) -> None:
    for run in (big, small):
        size = run["size_mb"]
        print(f"{size} MB clip: {run['status']}")
        print(
            f"  presigned PUTs: {[p // MB for p in run['puts']]} MB; "
            f"progress shown: {' | '.join(run['progress'])}"
        )
        print(
            f"  POST body: {run['request_bytes']} bytes, source = {json.dumps(run['source'])}, "
            f"base64 data in it: {'yes' if run['has_data'] else 'no'}"
        )
        print(
            f"  reads of the file: largest {run['largest_read'] / MB:.1f} MB, whole-file reads "
            f"{run['whole_reads']}, {run['bytes_read'] / MB:.0f} MB read in all (hashed once, "
            "streamed once)"
        )
        print(
            f"  memory while sending: peak RSS growth {run['hwm_growth'] / MB:.1f} MB, "
            f"Python allocations peak {run['traced_peak'] / MB:.1f} MB "
            f"(resident before ctrl+j {run['rss_before'] / MB:.0f} MB)"
        )
        rate = size / max(run["upload_seconds"], 1e-9)
        print(
            f"  hashed and uploaded in {run['upload_seconds']:.1f} s ({rate:.0f} MB/s); job "
            f"{run['state']} {run['seconds']:.1f} s after typing began"
        )
    ok = all(
        r["state"] == "completed"
        and not r["has_data"]
        and r["whole_reads"] == 0
        and r["puts"] == [r["size_mb"] * MB]
        and set(r["source"] or {}) == {"file_id"}
        for r in (big, small)
    )
    print(f"proved: {'yes' if ok else 'NO'}")
    growth = max(big["hwm_growth"], 1 * MB) / max(small["hwm_growth"], 1 * MB)
    name = f"rss_growth_{big['size_mb']}mb_vs_{small['size_mb']}mb"
    print(f"ratio {name} = {growth:.2f}x (target <= 1.5)")
    traced = big["traced_peak"] / max(small["traced_peak"], 1)
    name = f"python_alloc_peak_{big['size_mb']}mb_vs_{small['size_mb']}mb"
    print(f"ratio {name} = {traced:.2f}x (target <= 1.5)")
    largest = big["largest_read"] / (big["size_mb"] * MB)
    print(f"ratio largest_read_vs_file_{big['size_mb']}mb = {largest:.3f}x (target <= 0.05)")


def main() -> int:
    """Run the 180 MB and the 18 MB clip, each in a fresh process, and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--mb", type=int, default=180, help="the big clip's size in MB")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        figures = asyncio.run(_child(args.child, Path(os.environ["LUMATUI_HOME"]), args.base_url))
        print(json.dumps(figures))
        return 0
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    with tempfile.TemporaryDirectory(prefix="lumatui-big-upload-") as folder:
        work = Path(folder)
        sim, base_url = _start_sim(work / "simulator")
        try:
            big = _run_child(args.mb, base_url, work)
            small = _run_child(max(args.mb // 10, 8), base_url, work)
        finally:
            sim.terminate()
            sim.wait(timeout=30)
    _report(big, small)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
