"""The house theme, and the colours the job list takes from whichever theme is in use.

Stylesheets use only the theme's `$variables`, so every Textual theme works; the house
theme is the default until the person picks another (`App.theme`), which is remembered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.theme import Theme

if TYPE_CHECKING:
    from textual.app import App

HOUSE_THEME_NAME = "lumatui"

HOUSE_THEME = Theme(
    name=HOUSE_THEME_NAME,
    primary="#7C6CF2",
    secondary="#3E8FB0",
    accent="#F2A65A",
    foreground="#E4E2EE",
    background="#16141F",
    surface="#1E1B2A",
    panel="#2A2639",
    success="#6CC28E",
    warning="#E8C15A",
    error="#E5677A",
    dark=True,
)
"""lumatui's own dark theme: violet primary, amber accent (the focused pane's border)."""


def register_house_theme(app: App[Any]) -> None:
    """Make the house theme available under the name "lumatui"."""
    app.register_theme(HOUSE_THEME)


def start_with_theme(app: App[Any], name: str) -> None:
    """Give an app that does not run yet its first theme (a registered one).

    Setting `App.theme` queues a full re-parse of every style sheet for when the app runs,
    a sixtieth of a second at start-up; before it runs nothing is parsed yet, so the
    style sheet only needs the theme's variables, and the app what Textual's watcher sets.
    """
    from textual.app import App

    app.set_reactive(App.theme, name)  # no watcher: nothing is styled yet
    dark = app.current_theme.dark
    classes = {f"-theme-{name}": True, "-dark-mode": dark, "-light-mode": not dark}
    app.update_classes(classes, update=False)
    app._refresh_truecolor_filter(app.ansi_theme)  # the terminal colours a light theme maps to
    app.stylesheet.set_variables(app.get_css_variables())


def theme_colour(app: App[Any], role: str) -> str:
    """The current theme's colour for `role` (success, warning, error, accent, ...) as text."""
    value = app.theme_variables.get(role)
    return value if value else "default"
