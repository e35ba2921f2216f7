"""The request composer: a validated form over `GenerationRequest`."""

from __future__ import annotations

from lumatui.tui.widgets.composer.composer import Composer

__all__ = ["Composer"]
