"""A layering job in the preview: each layer on a checkerboard, or all of them composited.

A layering job has one output per layer (front to back, the last the opaque background).
The preview shows the layer stepped to with `[ ]` over a checkerboard, so its transparency
shows, with a line naming it ("layer 2 of 4 · hair · soft edges"); `l` shows the layers
composited instead. Both pictures are drawn off the event loop and cached as PNGs in the
thumbnail cache directory; the MediaView then shows that PNG as it shows any output.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType
from textual.containers import Container
from textual.widgets import Static

from lumatui.engine.layers import layer_files, layer_picture_async
from lumatui.engine.media_kinds import one_line
from lumatui.tui.widgets.preview.media_view import MediaView

if TYPE_CHECKING:
    from lumatui.engine.jobs import Output
    from lumatui.engine.layers import LayerFile
    from lumatui.engine.thumbnails import ThumbnailCache

EDGES = {"soft": "soft edges", "hard": "hard edges", "none": "background"}
"""What each alpha_hint means, as the layer line says it."""


def layer_line(layers: list[LayerFile], position: int | None) -> str:
    """The line naming what is shown: one layer (of how many), or the composite."""
    if position is None:
        return f"{len(layers)} layers composited · l: each layer"
    layer = layers[position]
    parts = [f"layer {position + 1} of {len(layers)}", _printable(layer.label)]
    parts.append(EDGES.get(layer.alpha_hint, _printable(layer.alpha_hint)))
    line = " · ".join(part for part in parts if part)
    return f"{line}\n{_printable(layer.description)}" if layer.description else line


def _printable(text: str) -> str:
    """Server text on one line: control characters become spaces."""
    return "".join(char if char.isprintable() else " " for char in text)


class LayerPreview(Container):
    """The preview's part that shows a layering job's layers (Preview builds on it)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "l",
            "toggle_composite",
            "Composite",
            show=False,  # most jobs are not layering jobs: the footer keeps its room
            id="preview.composite",
            tooltip="A layering job: show its layers composited, or each layer again",
        ),
    ]

    _outputs: list[Output]
    _index: int
    _thumbnails: ThumbnailCache
    composite = False
    """True while the layers are shown composited (`l`)."""
    _layer_token = 0

    @property
    def media(self) -> MediaView:
        """The picture."""
        return self.query_one(MediaView)

    def _layout(self) -> None:
        raise NotImplementedError  # the Preview lays the picture out

    def _render_details(self) -> None:
        raise NotImplementedError  # the Preview writes the details

    def action_toggle_composite(self) -> None:
        """A layering job: the layers composited, or back to the layer stepped to."""
        if layer_files(self._outputs):
            self.composite = not self.composite
            output = self._outputs[self._index] if self._outputs else None
            if output is not None and output.local_path is not None:
                self._show_downloaded(output)

    def _show_downloaded(self, output: Output) -> None:
        """A downloaded output: as it is, or a layer (or the composite) drawn for it."""
        layers = layer_files(self._outputs)
        line = self.query_one(".preview-layer", Static)
        self._layer_token += 1
        if output.layer is None or not layers:
            line.display = False
            self.media.show(output)
            return
        position = None
        if not self.composite:
            found = [i for i, layer in enumerate(layers) if str(layer.path) == output.local_path]
            position = found[0] if found else 0
        line.update(layer_line(layers, position))  # markup off: labels are server text
        line.display = True
        self.run_worker(
            self._draw_layer(self._layer_token, output, layers, position),
            group="preview-layer",
            exclusive=True,
            exit_on_error=False,
        )

    async def _draw_layer(
        self, token: int, output: Output, layers: list[LayerFile], position: int | None
    ) -> None:
        """Off the event loop: the layer's (or composite's) PNG, then shown as the output."""
        try:
            path, (width, height) = await layer_picture_async(
                layers, self._thumbnails.cache_dir, position=position
            )
        except Exception as exc:  # a damaged layer file: say so where the picture would be
            if token == self._layer_token:
                self.media.show(None, f"Cannot draw the layer: {one_line(exc)}")
            return
        if token != self._layer_token:
            return  # stepped on meanwhile
        picture = replace(
            output, local_path=str(path), sha256=None, mime="image/png", width=width, height=height
        )
        self.media.show(picture)
        self._render_details()
        self._layout()
