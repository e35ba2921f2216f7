"""The exact JSON body the composer would send, as it stands."""

from __future__ import annotations

import json
from typing import Any

from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

from lumatui.tui.widgets.composer.body import abbreviate_data


class RequestPreview(Widget):
    """Pretty-printed JSON of the body; long base64 data is abbreviated here only."""

    body: reactive[dict[str, Any] | None] = reactive(None, layout=True)
    """The body to show: `request.to_json()` when valid, the form's draft otherwise."""
    valid: reactive[bool] = reactive(False)

    @property
    def json_text(self) -> str:
        """The JSON as shown (abbreviated data, two-space indents)."""
        if self.body is None:
            return ""
        return json.dumps(abbreviate_data(self.body), indent=2, ensure_ascii=False)

    def render(self) -> Content:
        """The JSON, with a note when it cannot be sent yet (shown literally, never as markup)."""
        note = "" if self.valid else "(not valid yet: this is what the form holds)\n"
        return Content.assemble((note, "$text-warning"), self.json_text)
