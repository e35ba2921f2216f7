"""The composer's fields: which groups are built and mounted, which fields show, which line
shows which problem. Kept as plain registries, so nothing here queries the widget tree on a
key (the form has a few hundred widgets once every type has been used)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Collapsible

from lumatui.tui.widgets.composer.error_line import ErrorLine
from lumatui.tui.widgets.composer.fields import GROUPS_OF_TYPE, FieldSlot, build_group
from lumatui.tui.widgets.composer.form_field import FormField
from lumatui.tui.widgets.composer.ref_field import RefField
from lumatui.tui.widgets.composer.ref_list import RefList

if TYPE_CHECKING:
    from textual.widget import AwaitMount, Widget

    from lumatui.api.enums import GenerationType
    from lumatui.tui.widgets.composer.fields import FieldGroup

SLOT_GROUP = {
    "source": "source",
    "image-row": "image",
    "image": "image",
    "video": "video",
    "edit": "edit",
    "reframe": "reframe",
    "layering": "layering",
}
"""The group each slot of the form holds."""
COMMON_ROWS = (("type", "model"), ("aspect_ratio", "style", "output_format"))
"""The rows of fields the form composes itself (a group fills the rest of the second)."""


class FormLayout:
    """Registries of the composer's fields, rows and slots, and the groups built so far."""

    def __init__(self) -> None:
        self.fields: dict[str, FormField] = {}
        self.slots: dict[str, FieldSlot] = {}
        self.general: ErrorLine | None = None
        self.advanced = Collapsible()  # the form's own, once attached
        self._rows: list[tuple[str, ...]] = list(COMMON_ROWS)
        self._groups: dict[str, FieldGroup] = {}
        self._mounted: set[str] = set()

    def attach(self, root: Widget) -> None:
        """Register the composed common fields and the slots (once, when the form mounts)."""
        for form_field in root.query(FormField):
            self.fields[form_field.path] = form_field
        for slot in root.query(FieldSlot):
            self.slots[slot.slot] = slot
        self.general = root.query_one("#general-problems", ErrorLine)
        self.advanced = root.query_one("#advanced", Collapsible)

    def prefill(self, kind: GenerationType) -> dict[str, list[Widget]]:
        """The widgets of the groups `kind` shows, to compose with the form itself."""
        slots: dict[str, list[Widget]] = {}
        for name in GROUPS_OF_TYPE[kind]:
            slots.update(self.build(name).slots)
            self._mounted.add(name)
        return slots

    def built(self, name: str) -> bool:
        """Whether the group `name` has been built (its fields hold values)."""
        return name in self._groups

    def build(self, name: str) -> FieldGroup:
        """The group `name`, built (not mounted) the first time it is asked for."""
        group = self._groups.get(name)
        if group is None:
            group = self._groups[name] = build_group(name)
            for form_field in group.fields:
                self.fields[form_field.path] = form_field
            self._rows += [tuple(f.path for f in row) for row in group.rows]
        return group

    def show_type(self, kind: GenerationType, *, auto_controls: bool) -> list[AwaitMount]:
        """Build and mount the groups `kind` needs; show exactly the fields that apply."""
        needed = GROUPS_OF_TYPE[kind]
        mounts: list[AwaitMount] = []
        for name in needed:
            group = self.build(name)
            if name in self._mounted or not self.slots:
                continue
            self._mounted.add(name)
            for slot, widgets in group.slots.items():
                mounts.append(self.slots[slot].mount(*widgets))
        for slot_name, holder in self.slots.items():
            holder.display = SLOT_GROUP[slot_name] in needed
        self.apply(kind, auto_controls=auto_controls)
        return mounts

    def apply(self, kind: GenerationType, *, auto_controls: bool) -> None:
        """Which fields apply (and show); the last shown field of each row has no margin."""
        for form_field in self.fields.values():
            form_field.active = form_field.applies(kind, auto_controls=auto_controls)
            form_field.display = form_field.active
        for row in self._rows:
            shown = [self.fields[p] for p in row if p in self.fields and self.fields[p].active]
            for path in row:
                if path in self.fields:
                    self.fields[path].set_class(
                        bool(shown) and self.fields[path] is shown[-1], "-row-end"
                    )

    def active(self) -> list[FormField]:
        """The fields that apply to the chosen type, in registration order."""
        return [form_field for form_field in self.fields.values() if form_field.active]

    def lines(self) -> list[ErrorLine]:
        """The problem lines of the active fields, rows of reference lists included."""
        found: list[ErrorLine] = []
        for form_field in self.active():
            found.append(form_field.errors)
            if isinstance(form_field.control, RefList):
                found += form_field.control.row_lines
        return found

    def active_refs(self) -> list[RefField]:
        """Every reference field of the active fields (list rows included)."""
        found: list[RefField] = []
        for form_field in self.active():
            control = form_field.control
            if isinstance(control, RefList):
                found += control.refs
            elif isinstance(control, RefField):
                found.append(control)
        return found

    def reference_target(self) -> RefField | None:
        """Where a job's id goes when no reference has focus: the source, else a free
        reference, else a new image_ref row; None when this type has no room for one."""
        source = self.fields.get("source")
        if source is not None and source.active and isinstance(source.control, RefField):
            return source.control
        for ref in self.active_refs():
            if ref.is_empty:
                return ref
        image_refs = self.fields.get("image_ref")
        if image_refs is not None and image_refs.active and isinstance(image_refs.control, RefList):
            return image_refs.control.add_row(focus=False)
        return None

    def ref_of(self, widget: Widget | None, root: Widget) -> RefField | None:
        """The reference `widget` is part of (the focused one, say), if any."""
        node = widget
        while node is not None and node is not root:
            if isinstance(node, RefField):
                return node
            node = node.parent  # type: ignore[assignment]
        return None

    def highlight(self, current: FormField | None) -> None:
        """Highlight the label of `current` (the field with focus), and only that label."""
        for form_field in self.fields.values():
            if form_field.label_widget.has_class("-focused") and form_field is not current:
                form_field.highlight(False)
        if current is not None:
            current.highlight(True)

    def field_of(self, widget: Widget | None, root: Widget) -> FormField | None:
        """The field `widget` belongs to (a few steps up the tree, never a query)."""
        node = widget
        while node is not None and node is not root:
            if isinstance(node, FormField):
                return node
            node = node.parent  # type: ignore[assignment]
        return None
