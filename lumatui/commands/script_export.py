"""`lumatui export ID --as script`: a POSIX shell script that re-creates a chain from scratch.

One `lumatui submit --wait --print-id` line per step, from the chain's roots to ID, in an
order where each step comes after the steps it builds on; each new id is kept in a shell
variable (`step1`, `step2`, ...) that the next steps reference. No jq, no key in the text
(lumatui reads `$LUMA_AGENTS_API_KEY` itself). Fields that have a flag become flags;
anything else of the request goes in a `--body -` heredoc that the shell does not expand.
A reference to local media that was sent inline names a file path beside the script, with
a warning: the bytes are not in the script (`sha256` says which file it was). An uploaded
file (`file:ID`) expires, and a generation made outside this history is kept by its id.
"""

from __future__ import annotations

import base64
import hashlib
import shlex
from typing import TYPE_CHECKING, Any

from lumatui.api.refs import body_ref_sites
from lumatui.commands.request_flags import BOOL_FLAGS, VALUE_FLAGS
from lumatui.engine.actions import stored_body
from lumatui.engine.export import readable_json
from lumatui.engine.lineage import Lineage

if TYPE_CHECKING:
    from lumatui.engine.jobs import Job
    from lumatui.engine.store import JobStore

_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "video/mp4": "mp4"}
_REF_FLAGS = {
    "source": "--source",
    "image_ref": "--image-ref",
    "start_frame": "--start-frame",
    "end_frame": "--end-frame",
    "keyframes": "--keyframe",
    "edit.keyframes": "--edit-keyframe",
}


def chain_of(store: JobStore, job: Job) -> list[Job]:
    """The stored jobs the job was made from (all ancestors) and the job, roots first."""
    known = [a for a in (store.find(g) for g in Lineage(store).ancestors(job)) if a is not None]
    jobs = [*known, job]
    seen: set[str] = set()
    ordered: list[Job] = []
    while len(ordered) < len(jobs):
        ids = {j.generation_id for j in jobs}
        progressed = False
        for candidate in jobs:
            if candidate.id in seen:
                continue
            parents = {e.parent_generation_id for e in store.edges_from(candidate.id)} & ids
            if parents <= {j.generation_id for j in ordered}:
                ordered.append(candidate)
                seen.add(candidate.id)
                progressed = True
        if not progressed:  # cannot happen (a parent exists before its child); be safe
            ordered.extend(j for j in jobs if j.id not in seen)
            break
    return ordered


def chain_script(store: JobStore, job: Job) -> str:
    """The script re-creating `job`'s chain (see the module docstring)."""
    from lumatui.api.pricing import price_of
    from lumatui.engine.actions import rerun_request

    chain = chain_of(store, job)
    variables = {j.generation_id: f"step{n}" for n, j in enumerate(chain, 1) if j.generation_id}
    target = job.generation_id or job.id
    lines = [
        "#!/bin/sh",
        f"# Re-creates the chain of {target} from scratch: {len(chain)} step(s), each a new,",
        "# paid job. Written by `lumatui export --as script`. Each step waits until its job is",
        "# done; its new id is kept in a variable for the steps built on it. lumatui reads the",
        "# key from $LUMA_AGENTS_API_KEY (it is never written here); without it, lumatui uses",
        "# its built-in simulator.",
        "set -eu",
        'if [ -z "${LUMA_AGENTS_API_KEY:-}" ]; then',
        '  echo "LUMA_AGENTS_API_KEY is not set: lumatui uses its built-in simulator" >&2',
        "fi",
    ]
    for n, step in enumerate(chain, 1):
        try:
            unknown_price = not price_of(rerun_request(step)).known
        except ValueError:
            unknown_price = False
        lines.append("")
        lines.extend(_step_lines(n, len(chain), step, variables, unknown_price=unknown_price))
    lines += ["", f'echo "$step{len(chain)}"', ""]
    return "\n".join(lines)


def _step_lines(
    n: int, total: int, job: Job, variables: dict[str, str], *, unknown_price: bool
) -> list[str]:
    body = stored_body(job)
    was = job.generation_id or f"local {job.id}"
    comments = [f"# step {n} of {total}: {job.type} {job.model} (was {was})"]
    flags, refs_comments = _ref_flags(body, n, variables)
    comments += refs_comments
    flags = _value_flags(body) + flags
    if unknown_price:
        comments.append("# its price is unknown before it runs: --yes sends it without asking")
        flags.append("--yes")
    rest = _pruned(body)
    command = f"step{n}=$(lumatui submit --wait --print-id"
    lines = [*comments]
    if rest:
        from lumatui.api.unknown_fields import split_unknown_fields

        if split_unknown_fields(rest)[1]:
            flags.append("--allow-unknown-fields")
        flags.append("--body -")
    lines.append(command + (" \\" if flags else ""))
    for i, flag in enumerate(flags):
        lines.append(f"  {flag}" + (" \\" if i < len(flags) - 1 else ""))
    if rest:
        lines[-1] += " <<'JSON'"
        lines.extend(readable_json(rest).splitlines())
        lines.append("JSON")
    lines.append(")")
    lines.append(f'echo "step {n} of {total}: $step{n}" >&2')
    return lines


def _value_flags(body: dict[str, Any]) -> list[str]:
    """Flags for the plain fields (removed from `body`); text a terminal would act on stays
    in the body, where JSON escapes it."""
    flags: list[str] = []
    for flag, path, enum, _ in VALUE_FLAGS:
        if flag == "--prompt" and any(c in str(body.get("prompt", "")) for c in "{}\\"):
            continue  # --prompt expands `{a|b}`; the body is sent as written
        value = _pop(body, path, lambda v, e=enum: isinstance(v, str) and _flaggable(v, e))
        if value is not None:
            flags.append(shlex.quote(f"{flag}={value}"))
    for flag, path, _ in BOOL_FLAGS:
        value = _pop(body, path, lambda v: isinstance(v, bool))
        if value is not None:
            flags.append(flag if value else f"--no-{flag.removeprefix('--')}")
    return flags


def _flaggable(value: str, enum: Any) -> bool:
    if enum is not None:
        return value in {str(v) for v in enum}
    return value.isprintable()  # no newline, control or bidi character in a shell word


def _pop(body: dict[str, Any], path: tuple[str, ...], ok: Any) -> Any:
    node: Any = body
    for key in path[:-1]:
        node = node.get(key) if isinstance(node, dict) else None
    if not isinstance(node, dict) or path[-1] not in node or not ok(node[path[-1]]):
        return None
    return node.pop(path[-1])


def _ref_flags(
    body: dict[str, Any], n: int, variables: dict[str, str]
) -> tuple[list[str], list[str]]:
    """Reference flags (the references removed from `body`) and warning comments."""
    flags: list[str] = []
    comments: list[str] = []
    for loc, role, ref in list(body_ref_sites(body)):
        place = role.split("[")[0]
        text, comment = _ref_text(ref, n, role, variables)
        if place in ("keyframes", "edit.keyframes"):
            container = body["video"] if place == "keyframes" else body["video"]["edit"]
            indexes = container.get("keyframe_indexes") or []
            at = indexes[loc[-1]] if isinstance(loc[-1], int) and loc[-1] < len(indexes) else 0
            text = f"{text[:-1]}@{at}{text[-1]}" if text.endswith('"') else f"{text}@{at}"
        flags.append(f"{_REF_FLAGS[place]}={text}")
        if comment:
            comments.append(comment)
        if place == "source" and isinstance(ref.get("media_type"), str) and "data" not in ref:
            flags.append(shlex.quote(f"--source-media-type={ref['media_type']}"))
    _drop_refs(body)
    return flags, comments


def _ref_text(
    ref: dict[str, Any], n: int, role: str, variables: dict[str, str]
) -> tuple[str, str | None]:
    """The flag's value (shell text) for one reference, and a comment when it needs one."""
    generation_id = ref.get("generation_id")
    if isinstance(generation_id, str):
        if generation_id in variables:
            return f'"${variables[generation_id]}"', None
        return shlex.quote(generation_id), (
            f"# {role}: {generation_id} is not in this history; it is referenced as it is"
        )
    if isinstance(ref.get("file_id"), str):
        return shlex.quote(f"file:{ref['file_id']}"), (
            f"# WARNING {role}: an uploaded file; it expires, then give the local file instead"
        )
    if isinstance(ref.get("data"), str):
        mime = str(ref.get("media_type") or "image/png")
        try:
            digest = hashlib.sha256(base64.b64decode(ref["data"])).hexdigest()
        except ValueError:
            digest = "unknown"
        name = f"./step{n}-{role.replace('[', '').replace(']', '').replace('.', '-')}"
        path = f"{name}.{_EXTENSIONS.get(mime, 'bin')}"
        return shlex.quote(path), (
            f"# WARNING {role}: a local file was sent inline; put it at {path} before running "
            f"(sha256 {digest})"
        )
    return shlex.quote(str(ref.get("url", ""))), None


def _drop_refs(body: dict[str, Any]) -> None:
    body.pop("source", None)
    body.pop("image_ref", None)
    video = body.get("video")
    if isinstance(video, dict):
        for name in ("start_frame", "end_frame", "keyframes", "keyframe_indexes"):
            video.pop(name, None)
        edit = video.get("edit")
        if isinstance(edit, dict):
            edit.pop("keyframes", None)
            edit.pop("keyframe_indexes", None)


def _pruned(body: dict[str, Any]) -> dict[str, Any]:
    """`body` without empty objects (what is left for the heredoc)."""
    out: dict[str, Any] = {}
    for key, value in body.items():
        if isinstance(value, dict):
            value = _pruned(value)
            if not value:
                continue
        out[key] = value
    return out
