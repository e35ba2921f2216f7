"""What the scriptable subcommands share: options, settings, the engine, output and exit codes.

Every subcommand prints plain text for people by default and, with `--json`, JSON only on
stdout (messages always go to stderr). Server and user text is cleaned of escape sequences
and control characters before it reaches a terminal. The exit codes are the same for all:

    0    ok
    1    a job failed, was rejected by the API, or its outcome is uncertain
    2    usage or validation error (nothing was sent), or an unknown job id
    3    configuration error (config.toml or the environment), or the local store or disk
    4    the API or the network failed (the key was refused, no balance, unreachable)
    5    timed out waiting (--timeout)
    70   internal error: a bug (a crash report, key redacted, was written)
    130  interrupted (Ctrl-C)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import textwrap
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from lumatui.commands.guards import positive_number
from lumatui.engine.jobs import FINISHED_STATES, JobState, Orphan

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterable, Sequence

    from lumatui.api.field_errors import FieldError
    from lumatui.backend import Backend
    from lumatui.config import AppPaths, Settings
    from lumatui.engine.jobs import Job
    from lumatui.engine.service import Engine
    from lumatui.engine.store import JobStore

EXIT_OK = 0
EXIT_JOB_FAILED = 1
EXIT_USAGE = 2
EXIT_CONFIG = 3
EXIT_API = 4
EXIT_TIMEOUT = 5
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130

EXIT_CODES_TEXT = """exit codes:
  0    ok
  1    a job failed, was rejected by the API, or its outcome is uncertain
  2    usage or validation error (nothing was sent), or an unknown job id
  3    configuration, or the local store or disk (read-only, full, damaged history)
  4    the API or the network failed (key refused, no balance, unreachable)
  5    timed out waiting (--timeout)
  70   internal error: a bug (a crash report, key redacted, was written)
  130  interrupted (Ctrl-C)"""

DESCRIPTION_WIDTH = 88
UNSUCCESSFUL = FINISHED_STATES - {JobState.COMPLETED}
SIMULATOR_NOTICE = "using the built-in simulator (no LUMA_AGENTS_API_KEY)"


class CommandError(Exception):
    """Stop the subcommand: print `message` (and any field errors) and exit with `code`."""

    def __init__(
        self, message: str, code: int = EXIT_USAGE, field_errors: Sequence[FieldError] = ()
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field_errors = list(field_errors)


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    *,
    help: str,
    description: str,
    network: bool,
    json_option: bool = True,
) -> argparse.ArgumentParser:
    """A subcommand parser with the exit codes in its epilog and the shared options."""
    parser = subparsers.add_parser(
        name,
        help=help,
        description=textwrap.fill(description, DESCRIPTION_WIDTH),
        epilog=EXIT_CODES_TEXT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    if json_option:
        parser.add_argument(
            "--json", action="store_true", help="print JSON on stdout (messages on stderr)"
        )
    if network:
        add_backend_options(parser)
    return parser


def add_backend_options(parser: argparse.ArgumentParser) -> None:
    """--sim, --base-url and --sim-speed: which API to talk to, and how fast it runs."""
    # SUPPRESS: when not given here, the top-level parser's `lumatui --sim ...` still counts.
    parser.add_argument(
        "--sim",
        action="store_true",
        default=argparse.SUPPRESS,
        help="use the built-in simulator even when a key is set",
    )
    add_base_url_option(parser)
    parser.add_argument(
        "--sim-speed",
        type=positive_number,
        default=None,
        metavar="X",
        help="the API at --base-url is a lumatui simulator running X times faster "
        "(`lumatui sim --speed X`): poll and retry X times sooner",
    )


def add_base_url_option(parser: argparse.ArgumentParser) -> None:
    """--base-url: the API base URL, over LUMA_BASE_URL and config.toml."""
    parser.add_argument(
        "--base-url",
        default=argparse.SUPPRESS,
        metavar="URL",
        help="API base URL (default: LUMA_BASE_URL, config.toml, or Luma's)",
    )


def run_command(name: str, body: Callable[[], int], *, json_mode: bool) -> int:
    """Run a subcommand's body, turning the errors it can meet into messages and exit codes."""
    from lumatui.api.errors import ApiError
    from lumatui.config import ConfigError

    try:
        return body()
    except CommandError as exc:
        report_error(name, exc.message, exc.field_errors, json_mode=json_mode, code=exc.code)
        return exc.code
    except ConfigError as exc:
        report_error(name, str(exc), (), json_mode=json_mode, code=EXIT_CONFIG)
        return EXIT_CONFIG
    except ApiError as exc:
        report_error(name, str(exc), exc.field_errors, json_mode=json_mode, code=EXIT_API)
        return EXIT_API
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, and let nothing flush into the pipe.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # a read-only or full disk, a damaged database, absurd input
        from lumatui.commands.guards import local_fault

        fault = local_fault(exc)
        if fault is None:
            raise  # a bug: `lumatui.cli.main` writes a crash report
        report_error(name, fault[0], (), json_mode=json_mode, code=fault[1])
        return fault[1]


def report_error(
    name: str,
    message: str,
    field_errors: Sequence[FieldError],
    *,
    json_mode: bool,
    code: int,
) -> None:
    """The error on stderr (`path: message` per field error); as JSON on stdout too with --json."""
    warn(f"lumatui {name}: {message}")
    for error in field_errors:
        warn(f"  {error}")
    if json_mode:
        errors = [{"path": e.path, "message": e.message} for e in field_errors]
        print_json({"error": {"code": code, "message": message, "field_errors": errors}})


def warn(message: str) -> None:
    """A message for a person, on stderr."""
    print(message, file=sys.stderr, flush=True)


def print_json(value: Any) -> None:
    """`value` as indented JSON on stdout, with no character a terminal would act on."""
    print(json_text(value), flush=True)


def json_text(value: Any) -> str:
    """`value` as indented JSON; C1 and bidi controls inside strings written as escapes."""
    from lumatui.api.text import terminal_safe_json

    return terminal_safe_json(json.dumps(value, indent=2, ensure_ascii=False))


def load_settings_for(args: argparse.Namespace) -> tuple[Settings, AppPaths]:
    """The settings (with --base-url over the rest) and the paths under LUMATUI_HOME."""
    from lumatui.config import app_paths, load_settings

    paths = app_paths()
    base_url = getattr(args, "base_url", None)
    overrides = {"base_url": base_url} if base_url else None
    return load_settings(paths, overrides=overrides), paths


def open_store(paths: AppPaths) -> JobStore:
    """The job history under `paths` (created, empty, on a fresh install)."""
    from lumatui.engine.store import JobStore

    paths.ensure_dirs()
    return JobStore.open(paths.database)


def resolve_job(store: JobStore, text: str) -> Job:
    """The stored job with this local or server id (or a unique prefix of a server id)."""
    wanted = text.strip().lower()
    job = store.find(wanted) if wanted else None
    if job is None and len(wanted) >= 4:
        job = _by_prefix(store, wanted)
    if job is None:
        from lumatui.api.text import clean_text

        raise CommandError(
            f"no stored job has the id {clean_text(wanted, 80)!r} (or the prefix matches several); "
            "`lumatui list` shows the ids"
        )
    return job


def _by_prefix(store: JobStore, prefix: str) -> Job | None:
    """The one job whose local id (or server id) starts with `prefix`, else None."""
    from lumatui.engine.queries import JobQuery

    matches = [
        job
        for job in store.page(JobQuery(text=prefix), limit=100)
        if job.id.startswith(prefix) or (job.generation_id or "").startswith(prefix)
    ]
    return matches[0] if len(matches) == 1 else None


@dataclass
class Session:
    """A started engine and the backend it talks to."""

    backend: Backend
    engine: Engine
    recovered: list[Job]
    """Jobs a crash left mid-send, which the engine's start marked uncertain."""
    stop_reason: str | None = None  # why it stops early: its unsent jobs say so when cancelled
    released: list[Job] = field(default_factory=list)  # what changed when the engine stopped


@contextlib.asynccontextmanager
async def engine_session(
    args: argparse.Namespace,
    settings: Settings,
    paths: AppPaths,
    *,
    kind: str,
    may_lead: bool = False,
    orphan: Orphan = Orphan.CANCEL,
) -> AsyncIterator[Session]:
    """Open the backend (the simulator when there is no key), start the engine, stop it after.

    A one-shot command (`may_lead` False) never leads or adopts; what it leaves unsent is
    cancelled (`orphan` CANCEL) or handed to the history's queue (SEND)."""
    from lumatui.backend import open_backend, open_engine
    from lumatui.logs import configure_logging

    paths.ensure_dirs()
    root = logging.getLogger()
    level = root.level
    handler = configure_logging(settings, paths)
    try:
        backend = open_backend(settings, paths, force_simulator=bool(getattr(args, "sim", False)))
        try:
            announce_backend(args, settings, backend)
            speed = getattr(args, "sim_speed", None)
            if speed and not backend.is_simulator:
                backend.time_scale = 1.0 / speed
            engine = open_engine(
                backend, paths, settings, kind=kind, may_lead=may_lead, orphan=orphan
            )
        except BaseException:
            await backend.aclose()
            raise
        session: Session | None = None
        try:
            recovered = await engine.start()
            session = Session(backend, engine, recovered)
            yield session
        finally:
            why = session.stop_reason if session is not None else "it stopped"
            try:
                released = await engine.stop(why=why)
                if session is not None:
                    session.released = released
            finally:
                await backend.aclose()
                engine.close()
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        handler.close()


def announce_backend(args: argparse.Namespace, settings: Settings, backend: Backend) -> None:
    """Say on stderr when the simulator stands in for Luma's API, and why."""
    if not backend.is_simulator:
        return
    if settings.api_key is None:
        warn(f"lumatui: {SIMULATOR_NOTICE}")
        if getattr(args, "base_url", None):
            warn("lumatui: --base-url is not used without a key; set LUMA_AGENTS_API_KEY")
    else:
        warn("lumatui: using the built-in simulator (--sim)")


def iso_time(timestamp: float | None) -> str | None:
    """A Unix time as ISO-8601 in UTC, or None."""
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds")


def local_time(timestamp: float | None) -> str:
    """A Unix time as local `YYYY-MM-DD HH:MM:SS` for people ("-" when unknown)."""
    if timestamp is None:
        return "-"
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M:%S")


def output_paths(store: JobStore, job: Job) -> list[str]:
    """The local paths of a job's downloaded outputs, in order."""
    return [o.local_path for o in store.outputs(job.id) if o.is_downloaded and o.local_path]


def output_files(store: JobStore, job: Job) -> list[dict[str, Any]]:
    """Every output of a job: index, media type, local file, size, hash, error and layer.

    `layer` is a layering job's metadata for that output (index 0 front-most, the last the
    background), null for other jobs.
    """
    return [
        {
            "index": o.index,
            "media_type": o.media_type,
            "local_path": o.local_path if o.is_downloaded else None,
            "size_bytes": o.size_bytes,
            "sha256": o.sha256,
            "error": o.error,
            "layer": o.layer,
        }
        for o in store.outputs(job.id)
    ]


def job_record(store: JobStore, job: Job) -> dict[str, Any]:
    """A job as a JSON object: ids, kind, state, prompt, times, parents, outputs, failure."""
    from lumatui.api.text import clean_text  # server text stored by an older version, too

    return {
        "id": job.generation_id or job.id,
        "local_id": job.id,
        "generation_id": job.generation_id,
        "type": job.type,
        "model": job.model,
        "state": str(job.state),
        "prompt": job.prompt,
        "created_at": iso_time(job.created_at),
        "updated_at": iso_time(job.updated_at),
        "submitted_at": iso_time(job.submitted_at),
        "finished_at": iso_time(job.finished_at),
        "server_created_at": clean_text(job.server_created_at, 64)
        if job.server_created_at
        else None,
        "parents": list(dict.fromkeys(e.parent_generation_id for e in store.edges_from(job.id))),
        "outputs": output_paths(store, job),
        "output_files": output_files(store, job),
        "failure_code": job.failure_code,
        "failure_reason": job.failure_reason,
        "note": job.note,
        "starred": job.starred,
        "batch_id": job.batch_id,
        "batch_label": job.batch_label,
    }


def jobs_exit_code(store: JobStore, jobs: Iterable[Job]) -> int:
    """1 when any job failed, was rejected, is uncertain or cancelled, or an output was given
    up for good; else 0."""
    for job in jobs:
        if job.state in UNSUCCESSFUL:
            return EXIT_JOB_FAILED
        if job.state is JobState.COMPLETED and any(o.final for o in store.outputs(job.id)):
            return EXIT_JOB_FAILED
    return EXIT_OK


def job_problem(store: JobStore, job: Job) -> str | None:
    """One cleaned line saying what went wrong with a job, or None when nothing did."""
    from lumatui.api.text import clean_text

    if job.state is JobState.FAILED:
        code = job.failure_code or "failed"
        return clean_text(f"{code}: {job.failure_reason or 'no reason given'}")
    if job.state in UNSUCCESSFUL:
        return clean_text(f"{job.state}: {job.note or job.state.explanation}")
    outputs = store.outputs(job.id)
    given_up = [o for o in outputs if o.final]
    if given_up:
        return clean_text(f"output {given_up[0].index} not downloaded: {given_up[0].error}")
    missing = [o for o in outputs if o.is_missing]
    if job.state is JobState.COMPLETED and missing:
        first, left = missing[0], max((missing[0].next_try_at or 0.0) - time.time(), 0.0)
        why = f": {first.error}; next try in {left:.0f} s" if first.error else " (not yet)"
        return clean_text(f"missing output {first.index}{why}")
    return None


def result_line(store: JobStore, job: Job) -> str:
    """`state  short-id  type  outputs-or-problem`, one line for a person."""
    from lumatui.api.text import clean_text

    paths = output_paths(store, job)
    problem = job_problem(store, job)
    tail = problem if problem else " ".join(clean_text(p, 500) for p in paths)
    if not tail and not job.state.is_finished:
        tail = job.state.explanation
    return f"{job.state!s:<10}  {job.short_id}  {job.type:<13}  {tail}".rstrip()
