"""`lumatui` with no subcommand: the workstation.

Refuses to start without a terminal (exit 2: a pipe or a cron job would otherwise wait
forever), loads the settings (a configuration error is one message on stderr and exit
code 3), lets textual-image ask the terminal what it can draw before the app takes the
terminal (keys typed already are set aside and typed into the app first), runs the app,
which opens the backend right after its first frame (no key: the built-in simulator, and
the header says SIMULATOR; a backend that cannot be opened is one line on stderr once the
terminal is back, as any other command's fault), and leaves the terminal usable whatever
happens:

- SIGHUP (the SSH link dropped) and SIGTERM exit the app the ordinary way: the terminal is
  restored, the engine stops, the store is closed; the exit code is 128 + the signal. If
  that stalls, the watchdog the signal armed flushes the store and ends the process after
  8 s (`lumatui.tui.crash.ExitGuard`);
- an unexpected exception ends the app with the terminal restored, a crash report under
  the data folder (key redacted), its path on stderr and again at the next start; exit 1.
The simulator thread is stopped in every case.
"""

from __future__ import annotations

import contextlib
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse
    from pathlib import Path

    from lumatui.backend import Backend
    from lumatui.config import AppPaths, Settings

EXIT_OK = 0
EXIT_CRASHED = 1
EXIT_NO_TERMINAL = 2
EXIT_CONFIG = 3

NO_TERMINAL_MESSAGE = (
    "lumatui's workstation needs a terminal; for scripts use `lumatui submit …`, "
    "see `lumatui --help`."
)


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


def missing_terminals() -> list[str]:
    """The standard streams that are not a terminal (the app reads stdin, draws on stderr)."""
    missing = []
    for name, stream in (("stdin", sys.stdin), ("stdout", sys.stdout), ("stderr", sys.stderr)):
        isatty = getattr(stream, "isatty", None)
        try:
            if not (isatty and isatty()):
                missing.append(name)
        except (OSError, ValueError):  # closed
            missing.append(name)
    return missing


def run(args: argparse.Namespace) -> int:
    """Run the workstation until the person quits; returns the exit code."""
    missing = missing_terminals()
    if missing:
        print(NO_TERMINAL_MESSAGE, file=sys.stderr)
        print(
            f"({', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not a terminal.)",
            file=sys.stderr,
        )
        return EXIT_NO_TERMINAL

    from lumatui.tui.heap import pause_for_start_up

    pause_for_start_up()  # until the first frame: the app turns collection on again
    from lumatui.config import ConfigError, app_paths, load_settings

    paths = app_paths()
    overrides = {"base_url": args.base_url} if getattr(args, "base_url", None) else None
    try:
        settings = load_settings(paths, overrides=overrides)
    except ConfigError as exc:
        print(f"lumatui: configuration error:\n{exc}", file=sys.stderr)
        return EXIT_CONFIG
    paths.ensure_dirs()
    from lumatui.engine.repair import preflight

    # A damaged history or a read-only or full disk: one line and exit 3 (`lumatui.cli`),
    # not a crash report from inside the full-screen app.
    preflight(paths.database)

    from lumatui.backend import backend_label, open_backend
    from lumatui.logs import configure_logging
    from lumatui.tui.terminal_info import prepare_image_renderer
    from lumatui.tui.typed_ahead import set_aside

    configure_logging(settings, paths)
    with set_aside() as typed:  # keys typed already must not be read as its answers
        prepare_image_renderer()
    force_simulator = bool(getattr(args, "sim", False))
    opened: list[Backend] = []

    def backend() -> Backend:  # opened by the app right after its first frame
        opened.append(open_backend(settings, paths, force_simulator=force_simulator))
        return opened[-1]

    try:
        from lumatui.tui.app import LumaApp
        from lumatui.tui.crash import ExitGuard

        label = backend_label(settings, force_simulator=force_simulator)
        app = LumaApp(settings, paths, backend, backend_label=label, typed_ahead=typed.text)
        guard = ExitGuard(app)  # SIGHUP/SIGTERM: exit cleanly, or within the grace anyway
        guard.install()
        try:
            app.run()
        except Exception as exc:  # escaped Textual's own handling (starting, stopping)
            return _crashed(paths, settings, exc, app.crash_report)
        finally:
            guard.remove()  # an armed watchdog stays armed until the process has gone
        if app.start_error is not None:  # the backend or the engine could not be opened:
            raise app.start_error  # said in one line, as before the app took the terminal
        if app.crash_report is not None or app.crash_error is not None:
            return _crashed(paths, settings, app.crash_error, app.crash_report)
        if app.exit_signal is not None:
            return 128 + app.exit_signal
        return EXIT_OK if app.return_code in (None, 0) else EXIT_CRASHED
    finally:
        # The app closes the backend on the way out; after a crash it may not have.
        for each in opened:
            if each.simulator is not None:
                with contextlib.suppress(Exception):
                    each.simulator.stop()


def _crashed(
    paths: AppPaths, settings: Settings, error: BaseException | None, report: Path | None
) -> int:
    """Write the report if the app could not, and say where it is (the terminal is back)."""
    from lumatui.tui.crash import crashed_message, secrets_of, write_crash_report

    written = report
    if written is None and error is not None:
        try:
            written = write_crash_report(paths.crash_dir, error, secrets=secrets_of(settings))
        except Exception:  # nowhere to write: still say what happened
            written = None
    # After a hang-up stderr may be gone too; nothing more can be done then.
    with contextlib.suppress(OSError, ValueError):
        print(crashed_message(written, error), file=sys.stderr)
    return EXIT_CRASHED
