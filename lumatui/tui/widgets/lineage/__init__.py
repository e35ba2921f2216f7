"""The lineage tree: the selected job's family, roots to leaves."""

from __future__ import annotations

from lumatui.tui.widgets.lineage.lineage_tree import LineageTree

__all__ = ["LineageTree"]
