"""Job actions dispatch through typed tables: every key's action is in exactly one of them."""

from __future__ import annotations

from lumatui.tui.commands import palette_widgets
from lumatui.tui.screens.job_actions import CHAINS, DIRECT, JOB_ACTIONS, JobActions
from lumatui.tui.screens.job_bulk import BULK_ACTIONS
from lumatui.tui.screens.keys import JOB_BINDINGS
from lumatui.tui.widgets.composer import Composer
from lumatui.tui.widgets.preview import Preview


def test_the_tables_name_every_job_action_once() -> None:
    assert set(CHAINS).isdisjoint(DIRECT)
    assert set(JOB_ACTIONS) == set(CHAINS) | set(DIRECT)
    for name, method in DIRECT.items():
        assert getattr(JobActions, f"_{name}") is method, name


def test_every_job_key_has_a_handler() -> None:
    for _key, name, _label, _tip in JOB_BINDINGS:
        assert name in BULK_ACTIONS or name in JOB_ACTIONS, name


def test_palette_targets_are_classes() -> None:
    assert Composer in palette_widgets() and Preview in palette_widgets()
    assert all(isinstance(target, type) for target in palette_widgets())
