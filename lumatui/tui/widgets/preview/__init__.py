"""The preview: the selected job's output as a thumbnail, and its details."""

from __future__ import annotations

from lumatui.tui.widgets.preview.preview import Preview

__all__ = ["Preview"]
