"""`lumatui get ID`: one stored job, its state history and outputs; refreshed once if unfinished."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import TYPE_CHECKING, Any

from lumatui.commands.common import (
    EXIT_TIMEOUT,
    add_parser,
    iso_time,
    job_problem,
    job_record,
    jobs_exit_code,
    load_settings_for,
    local_time,
    open_store,
    print_json,
    resolve_job,
    run_command,
    warn,
)
from lumatui.commands.guards import seconds
from lumatui.engine.jobs import POLLED_STATES

if TYPE_CHECKING:
    import argparse

    from lumatui.config import AppPaths, Settings
    from lumatui.engine.jobs import Job
    from lumatui.engine.store import JobStore


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `get` subcommand."""
    parser = add_parser(
        subparsers,
        "get",
        help="show one job: its request, state history and output files",
        description=(
            "Show a stored job: its state and every change, failure, parents and output files. "
            "While the API is still working on it, ask the API once for its current state "
            "first (no download; `lumatui wait ID` downloads). A finished job is shown "
            "from the history alone, without the network. Exits 1 for a failed, rejected "
            "or uncertain job."
        ),
        network=True,
    )
    parser.add_argument("id", metavar="ID", help="server id, a unique prefix of it, or local id")
    parser.add_argument(
        "--no-refresh", action="store_true", help="show what is stored; never ask the API"
    )
    parser.add_argument(
        "--timeout",
        type=seconds,
        default=None,
        metavar="S",
        help="give up asking the API after S seconds: show what is stored and exit 5",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Show the job; returns the exit code."""
    return run_command("get", lambda: _get(args), json_mode=args.json)


def _get(args: argparse.Namespace) -> int:
    settings, paths = load_settings_for(args)
    with contextlib.closing(open_store(paths)) as store:
        job = resolve_job(store, args.id)
    timed_out = False
    if job.state in POLLED_STATES and job.generation_id and not args.no_refresh:
        timed_out = asyncio.run(_refresh_within(args, settings, paths, job))
    with contextlib.closing(open_store(paths)) as store:
        job = store.get(job.id)
        details = job_details(store, job)
        if args.json:
            print_json(details)
        else:
            print(render_details(details, job))
        return EXIT_TIMEOUT if timed_out else jobs_exit_code(store, [job])


async def _refresh_within(
    args: argparse.Namespace, settings: Settings, paths: AppPaths, job: Job
) -> bool:
    """Refresh within --timeout (the client's own deadlines bound each call anyway); True
    when it timed out, which is said on stderr."""
    try:
        async with asyncio.timeout(args.timeout):
            await _refresh(args, settings, paths, job)
    except TimeoutError:
        warn(f"lumatui get: timed out after {args.timeout:g} s; showing what is stored")
        return True
    return False


async def _refresh(args: argparse.Namespace, settings: Settings, paths: AppPaths, job: Job) -> None:
    """One GET of an unfinished job; what it says is stored (outputs are not downloaded)."""
    from lumatui.backend import open_backend
    from lumatui.commands.common import announce_backend

    assert job.generation_id is not None
    backend = open_backend(settings, paths, force_simulator=bool(getattr(args, "sim", False)))
    try:
        announce_backend(args, settings, backend)
        generation = await backend.client.get(job.generation_id)
    finally:
        await backend.aclose()
    with contextlib.closing(open_store(paths)) as store:
        store.record_state(job.id, generation)
        if generation.output:
            store.record_outputs(job.id, generation.output)


def job_details(store: JobStore, job: Job) -> dict[str, Any]:
    """The job record plus its state history, output files and the request as sent."""
    details = job_record(store, job)
    details["history"] = [
        {"state": str(state), "at": iso_time(at), "detail": detail}
        for state, at, detail in store.state_history(job.id)
    ]
    details["parent_roles"] = [
        {"role": e.role, "id": e.parent_generation_id} for e in store.edges_from(job.id)
    ]
    details["request"] = json.loads(job.request_json)
    details["problem"] = job_problem(store, job)
    return details


def render_details(details: dict[str, Any], job: Job) -> str:
    """The details as aligned plain text (server and user text cleaned)."""
    from lumatui.api.text import clean_text

    def row(label: str, value: str) -> str:
        return f"{label:<10} {value}"

    lines = [row("id", details["id"])]
    if job.generation_id:
        lines.append(row("local id", job.id))
    lines += [
        row("state", f"{job.state} ({job.state.explanation})"),
        row("type", f"{job.type} ({job.model})"),
        row("prompt", clean_text(job.prompt, 500)),
        row("created", local_time(job.created_at)),
    ]
    if job.starred:
        lines.append(row("starred", "yes (`lumatui unstar ID` removes the star)"))
    if job.batch_id:
        lines.append(row("batch", f"{job.batch_id[:8]}: {clean_text(job.batch_label or '', 200)}"))
    for parent in details["parent_roles"]:
        lines.append(row("parent", f"{parent['id']} ({parent['role']})"))
    if job.note:
        lines.append(row("note", clean_text(job.note)))
    if details["problem"] and not (job.note and job.note in details["problem"]):
        lines.append(row("problem", details["problem"]))
    lines.append("history")
    for change in job_history_lines(details):
        lines.append(f"  {change}")
    if not details["output_files"]:
        lines.append(row("outputs", "(none)" if job.state.is_finished else "(none yet)"))
    else:
        lines.append("outputs")
    for out in details["output_files"]:
        where = out["local_path"] or (
            f"not downloaded: {clean_text(out['error'])}"
            if out["error"]
            else "not downloaded yet (`lumatui wait ID` fetches it)"
        )
        size = f"  ({out['size_bytes']:,} bytes)" if out["size_bytes"] else ""
        lines.append(f"  {out['index']}  {out['media_type']:<6} {clean_text(where, 500)}{size}")
        layer = out.get("layer")
        if layer:
            lines.append(f"     {layer_text(layer)}")
    return "\n".join(lines)


def job_history_lines(details: dict[str, Any]) -> list[str]:
    """One line per state change: local time, state, and why."""
    from datetime import datetime

    from lumatui.api.text import clean_text

    lines = []
    for change in details["history"]:
        at = datetime.fromisoformat(change["at"]).astimezone().strftime("%Y-%m-%d %H:%M:%S")
        why = f"  {clean_text(change['detail'])}" if change["detail"] else ""
        lines.append(f"{at}  {change['state']:<10}{why}".rstrip())
    return lines


def layer_text(layer: dict[str, Any]) -> str:
    """`layer 0 (front): cat, soft edges: the cat, complete` for a layering output."""
    from lumatui.api.text import clean_text

    index = layer.get("index")
    hint = clean_text(str(layer.get("alpha_hint") or ""), 20)
    where = " (background)" if hint == "none" else (" (front)" if index == 0 else "")
    edges = {"soft": "soft edges", "hard": "hard edges", "none": "opaque"}.get(hint, hint)
    label = clean_text(str(layer.get("label") or ""), 60)
    about = clean_text(str(layer.get("description") or ""), 200)
    text = f"layer {index}{where}: {label}, {edges}"
    return f"{text}: {about}" if about else text
