"""`lumatui lineage ID`: the job's whole family (roots to leaves) as a tree, or nested JSON."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from lumatui.commands.common import add_parser, open_store, print_json, resolve_job, run_command

if TYPE_CHECKING:
    import argparse

    from lumatui.engine.lineage import FamilyNode

PROMPT_WIDTH = 50


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `lineage` subcommand."""
    parser = add_parser(
        subparsers,
        "lineage",
        help="show a job's family: what it was made from and what was made from it",
        description=(
            "Draw the family of a job from the local history (no network): every root it "
            "descends from, down to every job made from it. Each line shows state, type, "
            "short id, prompt and the role (source, image_ref[0], start_frame, ...) in which "
            "the parent above was used. A job with several parents is drawn under each, its "
            'subtree only once; elsewhere it is marked "(also under ...)".'
        ),
        network=False,
    )
    parser.add_argument("id", metavar="ID", help="server id, a unique prefix of it, or local id")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the family tree; returns the exit code."""
    return run_command("lineage", lambda: _lineage(args), json_mode=args.json)


def _lineage(args: argparse.Namespace) -> int:
    from lumatui.config import app_paths
    from lumatui.engine.lineage import Lineage

    with contextlib.closing(open_store(app_paths())) as store:
        job = resolve_job(store, args.id)
        roots = Lineage(store).family(job)
    this = job.generation_id or job.id
    if args.json:
        print_json({"id": this, "roots": [node_json(node) for node in roots]})
    else:
        print("\n".join(render_tree(roots, this)))
    return 0


def node_json(node: FamilyNode) -> dict[str, Any]:
    """A family node as nested JSON; `known` is False for a generation made outside lumatui."""
    job = node.job
    return {
        "id": node.key,
        "local_id": job.id if job else None,
        "known": job is not None,
        "state": str(job.state) if job else None,
        "type": job.type if job else None,
        "model": job.model if job else None,
        "prompt": job.prompt if job else None,
        "roles": list(node.roles),
        "repeat": node.repeat,
        "parent_count": node.parent_count,
        "replay_of": node.replay_of,
        "children": [node_json(child) for child in node.children],
    }


def render_tree(roots: list[FamilyNode], this: str) -> list[str]:
    """The family as indented lines with tree branches; `this` job is marked."""
    lines: list[str] = []
    first_parent: dict[str, str] = {}
    for root in roots:
        _draw(root, None, ("", ""), this, lines, first_parent)
    return lines


def _draw(
    node: FamilyNode,
    parent: FamilyNode | None,
    leads: tuple[str, str],
    this: str,
    lines: list[str],
    first_parent: dict[str, str],
) -> None:
    lead, child_lead = leads
    drawn_under = first_parent.get(node.key) if node.repeat else None
    if parent is not None and not node.repeat:
        first_parent.setdefault(node.key, _short(parent))
    lines.append(lead + node_label(node, this, drawn_under))
    for i, child in enumerate(node.children):
        last = i == len(node.children) - 1
        branches = ("└── ", "    ") if last else ("├── ", "│   ")
        child_leads = (child_lead + branches[0], child_lead + branches[1])
        _draw(child, node, child_leads, this, lines, first_parent)


def _short(node: FamilyNode) -> str:
    return node.job.short_id if node.job else node.key[:8]


def node_label(node: FamilyNode, this: str, drawn_under: str | None = None) -> str:
    """`state  type  short-id  prompt  [roles]` plus the repeat and this-job marks."""
    from lumatui.api.text import clean_text

    job = node.job
    if job is None:
        label = f"{'?':<10}  {'':<13}  {node.key[:8]}  (made outside this history)"
    else:
        prompt = clean_text(job.prompt, PROMPT_WIDTH)
        label = f"{job.state!s:<10}  {job.type:<13}  {job.short_id}  {prompt}"
    if node.roles:
        label += f"  [{', '.join(node.roles)}]"
    others = node.parent_count - 1
    if node.repeat:
        where = f" {drawn_under}" if drawn_under else " another parent"
        label += f"  (also under{where}, where its children are drawn)"
    elif others > 0:
        label += f"  (also under {others} other parent{'s' if others > 1 else ''})"
    if node.replay_of:
        label += f"  (replay of {node.replay_of[:8]})"
    if node.key == this:
        label += "  ← this job"
    return label
