"""The main screen's keys: going to panes, actions on the selected job, engine controls.

Every binding has an id and a tooltip; the help screen and the command palette read them
from here (through the screen's BINDINGS), so a key is never missing from either.
"""

from __future__ import annotations

from textual.binding import Binding, BindingType

PANES = ("composer", "jobs", "lineage", "preview")
PANE_TITLES = {"composer": "Composer", "jobs": "Jobs", "lineage": "Lineage", "preview": "Preview"}

JOB_BINDINGS = (
    ("e", "edit", "Edit", "Edit the selected output (image_edit or video_edit with it as source)"),
    ("a", "animate", "Animate", "Animate the selected image (a video starting on it)"),
    ("x", "extend", "Extend", "Extend the selected video (a video continuing it)"),
    ("f", "reframe", "Reframe", "Reframe the selected video to another aspect ratio"),
    ("r", "rerun", "Re-run", "Run the selected job's request again (asks first: it is paid)"),
    ("b", "branch", "Branch", "Load the selected job's request into the composer to change it"),
    (
        "R",
        "replay",
        "Replay",
        "Replay the selected job's chain with the composer's request in its place (plan first)",
    ),
    ("y", "copy_id", "Copy id", "Copy the selected job's id (OSC 52, or a file)"),
    ("c", "copy_curl", "Copy curl", "Copy the request as a curl command ($LUMA_AGENTS_API_KEY)"),
    ("o", "open_output", "Open", "Open the selected job's output with the system viewer"),
    ("s", "use_selected", "Use", "Put the selected job in the composer's reference field"),
    (
        "n",
        "poll_now",
        "Now",
        "Now: poll the selected job, fetch its missing outputs, or send it if it waits",
    ),
    ("asterisk", "star", "Star", "Star or unstar the selected job (a lasting mark; star:yes)"),
    ("C", "cancel", "Cancel", "Cancel the selected (or marked) waiting jobs: never sent"),
    ("d", "remove", "Remove", "Remove the selected (or marked) finished jobs (asks first)"),
)
"""Key, action name (JobActions), label and tooltip of each action on the selected job."""

SHOWN_IN_FOOTER = frozenset({"edit", "animate", "extend", "rerun", "branch"})
GUARDED_ACTIONS = frozenset(
    {"job", "toggle_polling", "resume_queue", "toggle_maximize", "files", "compare"}
)
"""Single-letter actions: they apply outside the composer, where letters are typed text."""


def pane_bindings() -> list[BindingType]:
    """F2..F5 and alt+1..4 go to a pane; ctrl+down/up to the next or previous one."""
    bindings: list[BindingType] = [
        Binding(
            f"f{n + 2},alt+{n + 1}",
            f"focus_pane('{pane}')",
            PANE_TITLES[pane],
            show=False,
            id=f"pane.{pane}",
            tooltip=f"Go to the {PANE_TITLES[pane].lower()} pane",
        )
        for n, pane in enumerate(PANES)
    ]
    bindings += [
        Binding(
            "ctrl+down",
            "next_pane",
            "Next pane",
            show=False,
            id="pane.next",
            tooltip="Go to the next pane (composer, jobs, lineage, preview)",
        ),
        Binding(
            "ctrl+up",
            "previous_pane",
            "Previous pane",
            show=False,
            id="pane.previous",
            tooltip="Go to the previous pane",
        ),
        Binding(
            "z",
            "toggle_maximize",
            "Maximize",
            id="pane.maximize",
            tooltip="Maximize the preview to the whole screen, and back",
        ),
    ]
    return bindings


def job_bindings() -> list[BindingType]:
    """One key per action on the selected job, then the engine's controls."""
    bindings: list[BindingType] = [
        Binding(
            key,
            f"job('{name}')",
            label,
            show=name in SHOWN_IN_FOOTER,
            id=f"job.{name}",
            tooltip=tip,
        )
        for key, name, label, tip in JOB_BINDINGS
    ]
    bindings += [
        Binding(
            "p",
            "toggle_polling",
            "Pause polling",
            id="engine.polling",
            tooltip="Pause or resume polling the API",
        ),
        Binding(
            "u",
            "resume_queue",
            "Resume queue",
            show=False,
            id="engine.resume_queue",
            tooltip="Send the waiting jobs now (cut a 429, 402 or refused-key wait short)",
        ),
        Binding(
            "F",
            "files",
            "Files",
            show=False,
            id="app.files",
            tooltip="Uploaded files: use one as a reference, upload, delete",
        ),
        Binding(
            "equals_sign",
            "compare",
            "Compare",
            show=False,
            id="jobs.compare",
            tooltip="Compare the 2-4 marked jobs side by side (outputs, differing fields)",
        ),
    ]
    return bindings
