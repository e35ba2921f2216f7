"""`lumatui` with no subcommand: the workstation.

Loads the settings (a configuration error is one message on stderr and exit code 3),
opens the backend (no key: the built-in simulator, and the header says SIMULATOR),
imports textual-image before the app takes the terminal (it asks the terminal what it
can draw when first imported), runs the app, and leaves the terminal usable whatever
happens: Textual restores it on a crash, and the simulator thread is stopped.
"""

from __future__ import annotations

import contextlib
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

EXIT_OK = 0
EXIT_CONFIG = 3
EXIT_CRASHED = 1


def add_options(parser: argparse.ArgumentParser) -> None:
    """The workstation's own flags on the top-level parser: --sim, --base-url, --about."""
    parser.add_argument(
        "--sim", action="store_true", help="use the built-in simulator even when a key is set"
    )
    parser.add_argument(
        "--base-url",
        default=None,
        metavar="URL",
        help="API base URL (default: LUMA_BASE_URL, config.toml, or Luma's)",
    )
    parser.add_argument("--about", action="store_true", help="say what lumatui is, and exit")


def run(args: argparse.Namespace) -> int:
    """Run the workstation until the person quits; returns the exit code."""
    from lumatui.config import ConfigError, app_paths, load_settings

    paths = app_paths()
    overrides = {"base_url": args.base_url} if getattr(args, "base_url", None) else None
    try:
        settings = load_settings(paths, overrides=overrides)
    except ConfigError as exc:
        print(f"lumatui: configuration error:\n{exc}", file=sys.stderr)
        return EXIT_CONFIG
    paths.ensure_dirs()

    from lumatui.backend import open_backend
    from lumatui.logs import configure_logging

    configure_logging(settings, paths)
    prepare_images()
    backend = open_backend(settings, paths, force_simulator=bool(getattr(args, "sim", False)))
    try:
        from lumatui.tui.app import LumaApp

        app = LumaApp(settings, paths, backend)
        app.run()
        return EXIT_OK if app.return_code in (None, 0) else EXIT_CRASHED
    finally:
        # The app closes the backend on the way out; after a crash it may not have.
        if backend.simulator is not None:
            with contextlib.suppress(Exception):
                backend.simulator.stop()


def prepare_images() -> None:
    """Import textual-image now, while the terminal can still answer its questions."""
    try:
        import textual_image.widget  # noqa: F401
    except Exception:  # a terminal that cannot answer must not stop the app: half-cells then
        return
