"""The lineage tree: the selected job's whole family, roots to leaves.

A generation with several parents appears under each of them, marked, with its subtree
drawn once. Moving the cursor onto a job posts `LineageTree.JobSelected`; the app moves
the job list and the preview to it, and `select_job` moves the cursor back here without a
message, so the two never chase each other. A changed job relabels its own nodes only; a
new child of a shown node is added under it.

Tree posts `NodeHighlighted` for every cursor move, the tree's own included, and handles it
later: a redraw (`show_family`, `select_job`) is done with those messages prevented, and a
highlight whose node is no longer under the cursor when it is handled is stale and dropped,
so only the person's moves become `JobSelected`; `enter` on a node posts it even for the
job already selected (`chosen`), so the list and the preview always show it.

Labels fit the tree's width (the id always shown, the prompt cut with …), and the selected
job's path from its root is drawn in the accent colour. The cursor is scrolled into view
again after each layout, from the top, so a scroll made before the final size is known
never leaves the tree scrolled further than the cursor needs.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.message import Message
from textual.widgets import Tree

from lumatui.engine.astore import AsyncJobStore
from lumatui.engine.lineage import Lineage
from lumatui.tui.deferred import deferred
from lumatui.tui.widgets.lineage.labels import (
    STATE_STYLE_NAMES,
    BatchNode,
    NodeData,
    node_label,
)

if TYPE_CHECKING:
    from rich.style import Style
    from textual.widgets.tree import TreeNode
    from textual.worker import Worker

    from lumatui.engine.jobs import Job
    from lumatui.engine.lineage import FamilyNode
    from lumatui.engine.store import JobStore

_STYLE_NAMES = (
    "role",
    "external",
    "mark",
    "selected",
    "path",
    *sorted(set(STATE_STYLE_NAMES.values())),
)


class LineageTree(Tree[NodeData]):
    """The family of the selected job as a tree; every node is one job (or outside parent)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = Tree.COMPONENT_CLASSES | {
        f"lineage-tree--{name}" for name in _STYLE_NAMES
    }

    @dataclass
    class JobSelected(Message):
        """The cursor moved onto a node of a known job (by the person, not by `select_job`)."""

        job_id: str
        chosen: bool = False
        """True for `enter`: show it everywhere even if it is the job already selected."""

    def __init__(
        self,
        store: AsyncJobStore | JobStore,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """A tree over the lineage stored in `store`; empty until `show_family`."""
        super().__init__("family", name=name, id=id, classes=classes)
        self.show_root = False
        self.auto_expand = False  # enter selects the node's job; it does not fold the node
        self.guide_depth = 3
        self._store = store if isinstance(store, AsyncJobStore) else AsyncJobStore(store)
        self._token = 0
        self._family_nodes: dict[str, list[TreeNode[NodeData]]] = {}
        self._holders: dict[str, TreeNode[NodeData]] = {}  # generation id -> its full subtree
        self._roots: tuple[str, ...] = ()
        self._selected_job: str | None = None
        self._arrivals: deque[tuple[int, Job]] = deque()  # new jobs waiting to be drawn
        self._adding: Worker[None] | None = None

    @property
    def selected_job_id(self) -> str | None:
        """The local id of the job the tree shows as selected."""
        return self._selected_job

    @property
    def shown_job_ids(self) -> set[str]:
        """The local ids of every job in the family shown."""
        return {
            data.job.id
            for nodes in self._family_nodes.values()
            for data in (nodes[0].data,)
            if data is not None and data.job is not None
        }

    def job(self, job_id: str) -> Job | None:
        """The job as the tree shows it (None when it is not drawn)."""
        for node in self._family_nodes.get(job_id, ()):
            if node.data is not None and node.data.job is not None:
                return node.data.job
        return None

    def show_family(self, job: Job | None) -> None:
        """Draw `job`'s family with the cursor on it (the family is read in a worker)."""
        self._token += 1
        if job is None:
            with self.prevent(Tree.NodeHighlighted):
                self._reset_family()
            return
        if job.id in self._family_nodes:
            self.select_job(job.id)  # at once; the worker redraws if the family changed
        self.run_worker(
            deferred(self._read_family, self._token, job),
            group="lineage-family",
            exclusive=True,
            exit_on_error=False,
        )

    async def _read_family(self, token: int, job: Job) -> None:
        """Read the family off the event loop; draw it unless the selection moved on."""

        shown_roots, drawn = self._roots, job.id in self._family_nodes

        def read(store: JobStore) -> tuple[tuple[str, ...], list[FamilyNode] | None]:
            lineage = Lineage(store)
            roots = tuple(lineage.roots(job))
            if roots == shown_roots and drawn:
                return roots, None  # the same family, already drawn
            return roots, lineage.family(job, batches=True)

        roots, family = await self._store.read(read)
        if token != self._token:
            return
        with self.prevent(Tree.NodeHighlighted):
            if family is not None:
                self._reset_family()
                self._roots = roots
                for family_root in family:
                    self._add_family(self.root, family_root)
            self.select_job(job.id)

    def select_job(self, job_id: str) -> None:
        """Put the cursor on the job's node (its first, full one) without posting JobSelected."""
        previous, self._selected_job = self._selected_job, job_id
        self._refresh_nodes(previous, job_id)
        nodes = self._family_nodes.get(job_id)
        if not nodes:
            return
        node = next((n for n in nodes if n.data and not n.data.repeat), nodes[0])
        with self.prevent(Tree.NodeHighlighted):
            _ = self.last_line  # rebuilds the line index, so the new node has its line number
            self.move_cursor(node)
        self.call_after_refresh(self._scroll_to_cursor)

    def on_resize(self) -> None:
        """A new size: labels refit, and the cursor is scrolled into view from the top."""
        self.call_after_refresh(self._scroll_to_cursor)

    def _scroll_to_cursor(self) -> None:
        """The least scroll (from where it is) that shows the cursor's line, in the final
        layout: the whole tree fitting means no scroll at all."""
        line, height = self.cursor_line, self.scrollable_content_region.height
        if height <= 0:
            return
        top = int(self.scroll_y)
        if line >= 0:
            top = min(max(top, line - height + 1), line)
        top = max(0, min(top, self.last_line + 1 - height))
        if top != int(self.scroll_y):
            self.scroll_to(y=top, animate=False, immediate=True)

    def job_updated(self, job: Job) -> None:
        """A job changed: relabel its nodes, or add it under the shown parents it was made from."""
        nodes = self._family_nodes.get(job.id)
        if nodes:
            for node in nodes:
                if node.data is not None:
                    node.data = NodeData(
                        job.generation_id or job.id,
                        job,
                        node.data.roles,
                        node.data.repeat,
                        node.data.parent_count,
                    )
                    node.set_label(node_label(node.data))
                    if job.generation_id and not node.data.repeat:
                        self._holders[job.generation_id] = node
                    self._relabel_batch(node.parent, job)
            return
        if not self._roots:
            return
        self._arrivals.append((self._token, job))
        if self._adding is None or self._adding.is_finished:
            self._adding = self.run_worker(
                deferred(self._add_arrivals), group="lineage-new", exit_on_error=False
            )

    async def _add_arrivals(self) -> None:
        """Draw the new jobs one after another, in the order they arrived (their reads are
        off the loop: run side by side, a batch's jobs would be drawn in the order the reads
        happened to end)."""
        while self._arrivals:
            token, job = self._arrivals.popleft()
            await self._add_new_job(token, job)

    async def _add_new_job(self, token: int, job: Job) -> None:
        """A job new to the tree: draw it under the shown parents it was made from."""
        edges = await self._store.read(lambda s: s.edges_from(job.id))
        if token != self._token or job.id in self._family_nodes:
            return
        roles_by_parent: dict[str, list[str]] = {}
        for edge in edges:
            roles_by_parent.setdefault(edge.parent_generation_id, []).append(edge.role)
        drawn = False
        for parent_id, roles in roles_by_parent.items():
            holder = self._holders.get(parent_id)
            if holder is None:
                continue
            data = NodeData(
                job.generation_id or job.id, job, tuple(roles), drawn, len(roles_by_parent)
            )
            under = self._batch_holder(holder, job, tuple(roles))
            self._add_family_node(under, data, has_children=False)
            self._relabel_batch(under, job)
            for node in (holder, under):
                node.allow_expand = True
                node.expand()
            drawn = True

    def _batch_holder(
        self, holder: TreeNode[NodeData], job: Job, roles: tuple[str, ...]
    ) -> TreeNode[NodeData]:
        """Where a new job of a batch goes: under its batch's node below `holder` (made when
        another job of the batch is there already), else under `holder` itself."""
        if job.batch_id is None:
            return holder
        key = f"batch:{job.batch_id}"
        for child in holder.children:
            if child.data is not None and child.data.key == key:
                return child
        mates = [
            child
            for child in holder.children
            if child.data is not None
            and child.data.job is not None
            and child.data.job.batch_id == job.batch_id
        ]
        if not mates:
            return holder
        label = job.batch_label or job.prompt or ""
        jobs = tuple(m.data.job for m in mates if m.data is not None and m.data.job is not None)
        data = NodeData(key, None, roles, False, 1, BatchNode(label, jobs))
        batch_node = self._add_family_node(holder, data, has_children=True)
        for mate in mates:  # the mates drawn before the batch was known move under it
            if mate.data is not None:
                self._family_nodes[mate.data.job_id or mate.data.key].remove(mate)
                mate.remove()
                self._add_family_node(batch_node, mate.data, has_children=False)
        return batch_node

    def _relabel_batch(self, node: TreeNode[NodeData] | None, job: Job) -> None:
        """A job of a batch changed: its batch node's counts follow."""
        data = None if node is None else node.data
        if node is None or data is None or data.batch is None:
            return
        jobs = [j for j in data.batch.jobs if j.id != job.id]
        batch = BatchNode(data.batch.label, (*jobs, job))
        node.data = NodeData(data.key, None, data.roles, data.repeat, data.parent_count, batch)
        node.set_label(node_label(node.data))

    def render_label(self, node: TreeNode[NodeData], base_style: Style, style: Style) -> Text:
        """The node's label in the theme's colours (from lineage.tcss), the selected job bold."""
        if node.data is None:
            return super().render_label(node, base_style, style)
        styles = {
            name: self.get_component_rich_style(f"lineage-tree--{name}", partial=True)
            for name in _STYLE_NAMES
        }
        selected = node.data.job_id is not None and node.data.job_id == self._selected_job
        prefix = ""
        if node.allow_expand:
            prefix = self.ICON_NODE_EXPANDED if node.is_expanded else self.ICON_NODE
        depth, parent = 0, node.parent
        while parent is not None and parent is not self.root:
            depth, parent = depth + 1, parent.parent
        width = self.scrollable_content_region.width - depth * self.guide_depth - len(prefix)
        on_path = not selected and self._on_selected_path(node)
        label = node_label(node.data, styles, selected=selected, on_path=on_path, width=width)
        label.stylize(style)
        return Text.assemble((prefix, base_style), label, no_wrap=True, end="")

    def _on_selected_path(self, node: TreeNode[NodeData]) -> bool:
        """True when `node` is an ancestor of the selected job's (first, full) node."""
        nodes = self._family_nodes.get(self._selected_job or "")
        if not nodes:
            return False
        target = next((n for n in nodes if n.data and not n.data.repeat), nodes[0])
        parent = target.parent
        while parent is not None:
            if parent is node:
                return True
            parent = parent.parent
        return False

    def on_tree_node_selected(self, event: Tree.NodeSelected[NodeData]) -> None:
        """enter: the node's job in the list and the preview (even if already selected)."""
        event.stop()
        data = event.node.data
        if data is not None and data.job_id is not None:
            previous, self._selected_job = self._selected_job, data.job_id
            self._refresh_nodes(previous, data.job_id)
            self.post_message(self.JobSelected(data.job_id, chosen=True))

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[NodeData]) -> None:
        """The cursor moved: tell the app about a different known job (the person's move)."""
        event.stop()
        if event.node is not self.cursor_node:
            return  # stale: the cursor moved on (a redraw, say) before this was handled
        data = event.node.data
        job_id = data.job_id if data is not None else None
        if job_id is None or job_id == self._selected_job:
            return
        previous, self._selected_job = self._selected_job, job_id
        self._refresh_nodes(previous, job_id)
        self.post_message(self.JobSelected(job_id))

    def _reset_family(self) -> None:
        self.clear()
        self._family_nodes.clear()
        self._holders.clear()
        self._roots = ()

    def _add_family(self, parent: TreeNode[NodeData], family: FamilyNode) -> None:
        batch = None
        if family.batch_label is not None:
            jobs = tuple(child.job for child in family.children if child.job is not None)
            batch = BatchNode(family.batch_label, jobs)
        data = NodeData(
            family.key, family.job, family.roles, family.repeat, family.parent_count, batch
        )
        node = self._add_family_node(parent, data, has_children=bool(family.children))
        for child in family.children:
            self._add_family(node, child)

    def _add_family_node(
        self, parent: TreeNode[NodeData], data: NodeData, *, has_children: bool
    ) -> TreeNode[NodeData]:
        node = parent.add(node_label(data), data, expand=True, allow_expand=has_children)
        self._family_nodes.setdefault(data.job_id or data.key, []).append(node)
        if not data.repeat and data.batch is None:
            generation_id = data.key if data.job is None else data.job.generation_id
            if generation_id is not None:
                self._holders[generation_id] = node
        return node

    def _refresh_nodes(self, *job_ids: str | None) -> None:
        # The path to the selected job changes with it: every line is drawn again (a family
        # is a few dozen nodes at most).
        if any(job_ids):
            self.refresh()
        for job_id in job_ids:
            for node in self._family_nodes.get(job_id or "", ()):
                node.refresh()
