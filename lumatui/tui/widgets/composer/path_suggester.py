"""Path completion as you type in an image-ref field (Textual's Input suggester)."""

from __future__ import annotations

import asyncio

from textual.suggester import Suggester

from lumatui.engine.local_refs import RefKind, classify_ref_text, complete_path


class PathSuggester(Suggester):
    """Suggests the first file or folder that completes a partly typed local path."""

    def __init__(self) -> None:
        # No cache: the folder may change while the form is open. Paths are case sensitive.
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        """The first completion longer than what is typed, or None for URLs and ids."""
        if classify_ref_text(value) is not RefKind.PATH:
            return None
        # A folder on a slow or network filesystem must not stall the UI thread.
        matches = await asyncio.to_thread(complete_path, value, 1)
        if matches and len(matches[0]) > len(value):
            return matches[0]
        return None
