"""Lineage: which generation was made from which, as a DAG read from the store's edges.

A request names earlier generations by `generation_id` in several roles (source,
image_ref[i], start_frame, end_frame, keyframes[i], edit.keyframes[i]). A generation with
several parents appears under each of them, but its subtree is drawn once: under the other
parents it is a leaf marked as a repeat.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

# The edges come from the one walker over a request's references, in lumatui.api.
from lumatui.api.refs import references

if TYPE_CHECKING:
    from lumatui.engine.jobs import Job
    from lumatui.engine.store import JobStore

__all__ = ["MAX_FAMILY_NODES", "FamilyNode", "Lineage", "references"]

MAX_FAMILY_NODES = 2000


@dataclass(frozen=True)
class FamilyNode:
    """One node of a drawn family tree.

    `job` is None for a generation made outside lumatui (known only by its id). `roles`
    says how it was used by the node above it. `repeat` marks a node already drawn under
    another parent: its children are not repeated here. `parent_count` is how many parents
    the node has in all, so a view can say "also under 2 others".
    """

    key: str
    job: Job | None
    roles: tuple[str, ...]
    repeat: bool
    parent_count: int
    children: tuple[FamilyNode, ...]
    replay_of: str | None = None
    """The key of the job this one re-made in a replay (see `replay.py`), if it did."""
    batch_label: str | None = None
    """Set on a batch's node (key `batch:<id>`, no job): the batch's prompt as written; its
    jobs are its children. Only `family(..., batches=True)` makes such nodes."""


class Lineage:
    """Queries over the lineage DAG stored in a JobStore."""

    def __init__(self, store: JobStore) -> None:
        self._store = store

    def parents(self, job: Job) -> list[tuple[str, str, Job | None]]:
        """(role, parent generation id, parent job if known) for each edge up from `job`."""
        return [
            (edge.role, edge.parent_generation_id, self._store.find(edge.parent_generation_id))
            for edge in self._store.edges_from(job.id)
        ]

    def children(self, job: Job) -> list[tuple[str, Job]]:
        """(role, child job) for each job made from `job`."""
        if job.generation_id is None:
            return []
        return [
            (edge.role, self._store.get(edge.child_id))
            for edge in self._store.edges_to(job.generation_id)
        ]

    def ancestors(self, job: Job) -> list[str]:
        """Generation ids of every ancestor, nearest first, each once."""
        seen: dict[str, None] = {}
        frontier = [job]
        while frontier and len(seen) < MAX_FAMILY_NODES:
            current = frontier.pop(0)
            for _, parent_id, parent in self.parents(current):
                if parent_id not in seen:
                    seen[parent_id] = None
                    if parent is not None:
                        frontier.append(parent)
        return list(seen)

    def descendants(self, job: Job) -> list[Job]:
        """Every job made (directly or not) from `job`, nearest first, each once."""
        seen: dict[str, Job] = {}
        frontier = [job]
        while frontier and len(seen) < MAX_FAMILY_NODES:
            current = frontier.pop(0)
            for _, child in self.children(current):
                if child.id not in seen:
                    seen[child.id] = child
                    frontier.append(child)
        return list(seen.values())

    def roots(self, job: Job) -> list[str]:
        """Keys of the family's roots: generation ids (or the job's own id if it has no parents)."""
        ancestors = self.ancestors(job)
        if not ancestors:
            return [job.generation_id or job.id]
        roots = []
        for gen_id in ancestors:
            parent = self._store.find(gen_id)
            if parent is None or not self._store.edges_from(parent.id):
                roots.append(gen_id)
        return roots

    def family(self, job: Job, *, batches: bool = False) -> list[FamilyNode]:
        """The job's whole family, roots to leaves, each subtree drawn once.

        A root re-made by a replay has its replays' roots beside it (and the reverse), so a
        replayed chain is drawn beside the old one even when the changed step was the root.
        With `batches`, the jobs of one batch made from the same parent (or all roots) hang
        under one batch node between them and that parent, and a root in a batch brings its
        batch's other roots.
        """
        drawn: set[str] = set()
        budget = [MAX_FAMILY_NODES]
        keys = list(dict.fromkeys(k for root in self.roots(job) for k in self._replayed(root)))
        if batches:
            keys = list(dict.fromkeys(k for key in keys for k in self._batch_roots(key)))
        nodes = [self._node(key, (), drawn, budget, batches) for key in keys]
        return _batched(nodes) if batches else nodes

    def _batch_roots(self, key: str) -> list[str]:
        """`key` and the other roots of its batch (when it is a root job of a batch)."""
        job = self._store.find(key)
        if job is None or job.batch_id is None:
            return [key]
        mates = [
            mate.generation_id or mate.id
            for mate in self._store.batch(job.batch_id)
            if not self._store.edges_from(mate.id)
        ]
        return mates if key in mates else [key, *mates]  # in the batch's own order

    def _replayed(self, root: str) -> list[str]:
        """`root` and the roots related to it by replays (either way), `root` first."""
        found: dict[str, None] = {}
        frontier = [root]
        while frontier and len(found) < 50:
            key = frontier.pop(0)
            job = self._store.find(key)
            if key in found or (job is not None and self._store.edges_from(job.id)):
                continue  # seen, or not a root: it is drawn under its parents already
            found[key] = None
            if job is None:
                continue
            origin = self._store.replay_origin(job.id)
            related = [origin[1]] if origin else []
            related += [new for _, new in self._store.replays_of(job.id) if new]
            for other in self._store.get_many(related):
                frontier.append(other.generation_id or other.id)
        return list(found)

    def _node(
        self,
        key: str,
        roles: tuple[str, ...],
        drawn: set[str],
        budget: list[int],
        batches: bool = False,
    ) -> FamilyNode:
        job = self._store.find(key)
        parent_count = (
            len({e.parent_generation_id for e in self._store.edges_from(job.id)}) if job else 0
        )
        repeat = key in drawn
        drawn.add(key)
        budget[0] -= 1
        children: list[FamilyNode] = []
        generation_id = key if job is None else job.generation_id
        if not repeat and generation_id is not None and budget[0] > 0:
            grouped: dict[str, list[str]] = defaultdict(list)
            for edge in self._store.edges_to(generation_id):
                grouped[edge.child_id].append(edge.role)
            for child_id, child_roles in grouped.items():
                child = self._store.get(child_id)
                child_key = child.generation_id or child.id
                children.append(self._node(child_key, tuple(child_roles), drawn, budget, batches))
            if batches:
                children = _batched(children)
        origin = self._store.replay_origin(job.id) if job is not None else None
        replay_of = None
        if origin is not None:
            old = self._store.get_many([origin[1]])
            replay_of = (old[0].generation_id or old[0].id) if old else origin[1]
        return FamilyNode(key, job, roles, repeat, parent_count, tuple(children), replay_of)


def _batched(nodes: list[FamilyNode]) -> list[FamilyNode]:
    """`nodes` with the jobs of one batch (two or more of them) under one batch node, at the
    place of the first; the node takes the roles its jobs were made with."""
    by_batch: dict[str, list[FamilyNode]] = defaultdict(list)
    for node in nodes:
        if node.job is not None and node.job.batch_id is not None and not node.repeat:
            by_batch[node.job.batch_id].append(node)
    grouped = {batch_id: members for batch_id, members in by_batch.items() if len(members) > 1}
    if not grouped:
        return nodes
    result: list[FamilyNode] = []
    for node in nodes:
        batch_id = node.job.batch_id if node.job is not None else None
        members = grouped.get(batch_id or "")
        if members is None or node.repeat:
            result.append(node)
        elif node is members[0]:
            first = members[0].job
            label = (first.batch_label or first.prompt or "") if first is not None else ""
            result.append(
                FamilyNode(
                    f"batch:{batch_id}",
                    None,
                    node.roles,
                    False,
                    1,
                    tuple(members),
                    batch_label=label,
                )
            )
    return result
