"""`list`, `get`, `lineage` and `export`: the history read back, without the network."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from datetime import datetime
from typing import TYPE_CHECKING

from lumatui.api.client import DEFAULT_BASE_URL, AgentsClient
from lumatui.api.schema import Generation, GenerationRequest
from lumatui.config import app_paths
from lumatui.engine.store import JobStore
from tests.cli.conftest import KEY, Ran, stored_jobs

if TYPE_CHECKING:
    from collections.abc import Callable

    import pytest

    from lumatui.sim import RunningSimulator


def make_chain(on_sim: Callable[..., Ran]) -> tuple[str, str, str]:
    """image -> image_edit (source by id prefix) -> image_edit; returns the three server ids."""
    first = on_sim("submit", "--prompt", "a red fox", "--wait", "--json")
    assert first.code == 0, first.err
    root = json.loads(first.out)[0]["id"]
    second = on_sim(
        "submit", "--type", "image_edit", "--source", root[:8], "--prompt", "make it blue",
        "--wait", "--json",
    )  # fmt: skip
    assert second.code == 0, second.err
    edit = json.loads(second.out)[0]["id"]
    third = on_sim(
        "submit", "--type", "image_edit", "--source", edit, "--image-ref", root,
        "--prompt", "add snow", "--wait", "--json",
    )  # fmt: skip
    assert third.code == 0, third.err
    return root, edit, json.loads(third.out)[0]["id"]


def test_list_lineage_export_get_after_a_chain(
    on_sim: Callable[..., Ran], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, edit, last = make_chain(on_sim)
    monkeypatch.setattr("lumatui.backend.open_backend", _refuse)

    listed = on_sim("list", "--json")
    assert listed.code == 0, listed.err
    records = json.loads(listed.out)
    assert [r["id"] for r in records] == [last, edit, root]  # newest first
    for record in records:
        for field in (
            "id", "local_id", "type", "model", "state", "prompt", "created_at", "parents",
            "outputs", "failure_code", "failure_reason", "note",
        ):  # fmt: skip
            assert field in record
        datetime.fromisoformat(record["created_at"])
        assert record["state"] == "completed" and len(record["outputs"]) == 1
    assert records[0]["parents"] == [edit, root]
    assert records[1]["parents"] == [root]
    assert records[2]["parents"] == []

    table = on_sim("list", "--type", "image_edit", "--limit", "1")
    assert table.code == 0
    lines = table.out.splitlines()
    assert lines[0].startswith("ID") and len(lines) == 2 and last[:8] in lines[1]
    assert "1-1 of 2" in table.err

    tree = on_sim("lineage", edit[:8])
    assert tree.code == 0, tree.err
    lines = tree.out.splitlines()
    assert lines[0].startswith("completed") and root[:8] in lines[0] and "a red fox" in lines[0]
    assert any(edit[:8] in line and "[source]" in line and "this job" in line for line in lines)
    repeats = [line for line in lines if last[:8] in line]
    assert len(repeats) == 2  # under the root (image_ref[0]) and under the edit (source)
    assert any("also under" in line for line in repeats)
    nested = json.loads(on_sim("lineage", last, "--json").out)
    (top,) = nested["roots"]
    assert top["id"] == root
    kids = {child["id"]: child for child in top["children"]}
    assert kids[edit]["children"][0]["id"] == last and not kids[edit]["children"][0]["repeat"]
    assert kids[last]["repeat"] is True and kids[last]["roles"] == ["image_ref[0]"]
    assert any(f"also under {edit[:8]}" in line for line in repeats)

    curl = on_sim("export", last[:8], "--as", "curl")
    assert curl.code == 0, curl.err
    assert "$LUMA_AGENTS_API_KEY" in curl.out and KEY not in curl.out
    assert f"{DEFAULT_BASE_URL}/generations" in curl.out
    if shutil.which("bash"):
        checked = subprocess.run(["bash", "-n"], input=curl.out, capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
    body = json.loads(on_sim("export", last, "--as", "json").out)
    assert body == json.loads(stored_jobs()[-1].request_json)
    assert body["source"] == {"generation_id": edit}
    python = on_sim("export", last, "--as", "python", "--base-url", "http://127.0.0.1:9/v1")
    compile(python.out, "<export>", "exec")
    assert "http://127.0.0.1:9/v1/generations" in python.out

    got = on_sim("get", root[:8])  # finished: answered from the history alone
    assert got.code == 0, got.err
    assert "completed" in got.out and records[2]["outputs"][0] in got.out
    detail = json.loads(on_sim("get", last, "--json").out)
    assert [h["state"] for h in detail["history"]][-1] == "completed"
    assert {"role": "source", "id": edit} in detail["parent_roles"]


def _refuse(*_args: object, **_kwargs: object) -> None:
    raise AssertionError("this command must not open the network")


def test_get_of_an_unknown_id_exits_2(cli: Callable[..., Ran]) -> None:
    ran = cli("get", "0123abcd")
    assert ran.code == 2
    assert "no stored job has the id '0123abcd'" in ran.err
    ran = cli("lineage", "nope", "--json")
    assert ran.code == 2 and json.loads(ran.out)["error"]["code"] == 2
    assert cli("export", "0123abcd").code == 2


def test_get_refreshes_an_unfinished_job_once_then_wait_downloads(
    on_sim: Callable[..., Ran], fast_sim: RunningSimulator
) -> None:
    # Made at the API, and stored as the history last saw it: queued (a one-shot `submit`
    # may see a quick image finish before it exits, so it is not used here).
    generation_id = asyncio.run(create_at(fast_sim.base_url, "a fox"))
    paths = app_paths()
    paths.ensure_dirs()
    with JobStore.open(paths.database) as store:
        request = GenerationRequest.model_validate({"prompt": "a fox"})
        recorded = store.record_submission(request)
        store.mark_submitted(recorded.id, queued_reply(generation_id))
    (job,) = stored_jobs()
    assert job.state == "queued"
    got = on_sim("get", generation_id[:8], "--json")
    assert got.code == 0, got.err
    detail = json.loads(got.out)
    assert detail["state"] == "completed"  # the simulator is 10000x fast
    assert detail["output_files"][0]["local_path"] is None
    waited = on_sim("wait", generation_id)
    assert waited.code == 0, waited.err
    assert waited.out.startswith("completed") and "/0.png" in waited.out


def test_list_filters_and_rejects_unknown_states(cli: Callable[..., Ran]) -> None:
    ran = cli("list", "--state", "done")
    assert ran.code == 2 and "unknown state done" in ran.err
    empty = cli("list", "--json", "--state", "completed,failed", "--text", "fox")
    assert empty.code == 0 and json.loads(empty.out) == []


async def create_at(base_url: str, prompt: str) -> str:
    """Create a generation at the API directly; its id."""
    async with AgentsClient(KEY, base_url) as client:
        request = GenerationRequest.model_validate({"prompt": prompt})
        return (await client.create(request)).id


def queued_reply(generation_id: str) -> Generation:
    """The API's answer for a generation waiting in its queue."""
    return Generation.model_validate(
        {
            "id": generation_id,
            "created_at": "now",
            "model": "uni-1",
            "state": "queued",
            "type": "image",
        }
    )
