"""The text of `export --as script` for references and fields a flag cannot carry (no network)."""

from __future__ import annotations

import json
import subprocess
from typing import TYPE_CHECKING

import pytest

from lumatui.commands.script_export import chain_of, chain_script
from lumatui.engine.store import JobStore
from tests.stored_jobs import sent_job as make

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


OUTSIDE = "11111111-2222-4333-8444-555555555555"
FILE_ID = "99999999-8888-4777-8666-555555555555"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[JobStore]:
    with JobStore.open(tmp_path / "lumatui.db") as opened:
        yield opened


def test_references_of_every_kind_and_text_a_shell_word_cannot_hold(store: JobStore) -> None:
    root = make(store, prompt="two lines\nof prompt", style="manga")
    edit = make(
        store,
        type="image_edit",
        prompt="add a hat",
        source={"generation_id": root.generation_id},
        image_ref=[
            {"url": "https://example.com/hat.png"},
            {"file_id": FILE_ID},
            {"generation_id": OUTSIDE},
        ],
    )
    assert [j.id for j in chain_of(store, edit)] == [root.id, edit.id]
    script = chain_script(store, edit)
    # The two-line prompt is in a quoted heredoc (JSON-escaped), not in a shell word.
    first = script.split("<<'JSON'\n")[1].split("\nJSON\n")[0]
    assert json.loads(first) == {"prompt": "two lines\nof prompt"}
    assert "--style=manga" in script
    assert "--image-ref=https://example.com/hat.png" in script
    assert f"--image-ref=file:{FILE_ID}" in script and "WARNING image_ref[1]" in script
    assert f"--image-ref={OUTSIDE}" in script and "not in this history" in script
    assert '--source="$step1"' in script
    check = subprocess.run(["sh", "-n"], input=script, text=True, capture_output=True, check=False)
    assert check.returncode == 0, check.stderr


def test_a_job_with_several_ancestors_comes_after_all_of_them(store: JobStore) -> None:
    a = make(store, prompt="a")
    b = make(store, prompt="b")
    c = make(
        store,
        type="image_edit",
        source={"generation_id": a.generation_id},
        image_ref=[{"generation_id": b.generation_id}],
    )
    d = make(store, type="image_edit", source={"generation_id": c.generation_id})
    order = [j.id for j in chain_of(store, d)]
    assert set(order[:2]) == {a.id, b.id} and order[2:] == [c.id, d.id]
    script = chain_script(store, d)
    assert script.count("lumatui submit") == 4
    assert script.rstrip().endswith('echo "$step4"')


def test_a_prompt_with_braces_is_sent_as_written_not_expanded(store: JobStore) -> None:
    job = make(store, prompt="a sign reading {OPEN|CLOSED}")
    script = chain_script(store, job)
    assert "--prompt" not in script  # `submit --prompt` would make two jobs of it
    body = script.split("<<'JSON'\n")[1].split("\nJSON\n")[0]
    assert json.loads(body) == {"prompt": "a sign reading {OPEN|CLOSED}"}
