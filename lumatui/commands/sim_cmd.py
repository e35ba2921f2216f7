"""`lumatui sim`: serve the built-in Agents API simulator in the foreground."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from lumatui.api.hosts import is_loopback
from lumatui.commands.guards import amount, bounded_int, positive_number

if TYPE_CHECKING:
    import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `sim` subcommand."""
    from lumatui.commands.common import add_parser

    parser = add_parser(
        subparsers,
        "sim",
        help="serve the built-in Agents API simulator",
        description=(
            "Serve a stand-in for Luma's Agents API at http://HOST:PORT/v1. Any non-empty "
            "key is accepted and each key is its own caller. Point Luma's SDK at it with "
            "LUMA_BASE_URL=http://127.0.0.1:8765/v1."
        ),
        network=False,
        json_option=False,
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (loopback)")
    parser.add_argument(
        "--port", type=bounded_int(0, 65535), default=8765, help="port to listen on"
    )
    parser.add_argument(
        "--speed", type=positive_number, default=1.0, help="time factor; 100 = 100x faster"
    )
    parser.add_argument("--faults", default="", help="fault profile, e.g. 500=0.05,reset=0.02")
    parser.add_argument(
        "--seed", type=bounded_int(0, 2**32 - 1), default=0, help="seed for timings and faults"
    )
    parser.add_argument(
        "--rpm", type=bounded_int(1, 10**6), default=60, help="requests per minute per key"
    )
    parser.add_argument(
        "--concurrency", type=bounded_int(1, 10**6), default=10, help="concurrent jobs per key"
    )
    parser.add_argument("--balance", type=amount, default=1000.0, help="starting balance (USD)")
    parser.add_argument("--budget", type=amount, default=None, help="per-key budget (USD)")
    parser.add_argument(
        "--url-ttl", type=bounded_int(1, 10**8), default=3600, help="output URL lifetime (s)"
    )
    parser.add_argument("--state-dir", type=Path, default=None, help="where state is kept")
    parser.add_argument(
        "--allow-remote", action="store_true", help="allow binding a non-loopback address"
    )
    parser.add_argument(
        "--refuse-keyframe-ids",
        action="store_true",
        help="refuse an image's generation_id in video.keyframes (422), as Luma may",
    )
    parser.set_defaults(handler=run)


def default_state_dir() -> Path:
    """The simulator folder under LUMATUI_HOME's (or the user's) data dir."""
    from lumatui.config import app_paths

    return app_paths().simulator_dir


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted; returns the exit code."""
    from lumatui.sim.faults import FaultProfile, FaultSpecError
    from lumatui.sim.server import serve
    from lumatui.sim.settings import SimSettings

    if not is_loopback(args.host):
        if not args.allow_remote:
            print(
                f"lumatui sim: refusing to bind {args.host}, which is not loopback; anyone who "
                "can reach it could use the simulator. Add --allow-remote to do it anyway.",
                file=sys.stderr,
            )
            return 2
        print(
            f"WARNING: the simulator is reachable from other machines at {args.host}:{args.port}.",
            file=sys.stderr,
        )
    try:
        FaultProfile.parse(args.faults)
        settings = SimSettings(
            state_dir=args.state_dir or default_state_dir(),
            speed=args.speed,
            requests_per_minute=args.rpm,
            concurrent_jobs=args.concurrency,
            balance_usd=args.balance,
            budget_usd=args.budget,
            url_ttl_s=args.url_ttl,
            faults=args.faults,
            seed=args.seed,
            keyframe_generation_ids=not args.refuse_keyframe_ids,
        )
    except (FaultSpecError, ValueError) as exc:
        print(f"lumatui sim: {exc}", file=sys.stderr)
        return 2
    print(
        f"lumatui simulator on http://{args.host}:{args.port}/v1 "
        f"(speed {settings.speed:g}x, state in {settings.state_dir})\n"
        f"  LUMA_BASE_URL=http://{args.host}:{args.port}/v1 LUMA_AGENTS_API_KEY=any-key",
        file=sys.stderr,
    )
    serve(args.host, args.port, settings)
    return 0
