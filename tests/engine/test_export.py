"""Exporting a stored request: curl that bash parses, JSON that round-trips, Python compiles."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import TYPE_CHECKING, Any

import pytest

from lumatui.api.client import DEFAULT_BASE_URL
from lumatui.engine.export import export_request

if TYPE_CHECKING:
    from pathlib import Path

BASE = DEFAULT_BASE_URL
HOSTILE: dict[str, Any] = {
    "prompt": 'it\'s a "test" with $HOME, `uname`, \\ backslash, $(rm -rf x)\nJSON\nand 🦊 ü',
    "type": "image",
    "aspect_ratio": "16:9",
    "image_ref": [{"data": "iVBORw0KGgo=", "media_type": "image/png"}],
    "video": {"loop": True, "hdr": False, "keyframe_indexes": [0, 119]},
    "user_id": "bidi \u202e override \u2028 separator \x7f del",
}


def stored(body: dict[str, Any]) -> str:
    """The request JSON as the store keeps it (compact, non-ASCII kept)."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def test_json_round_trips() -> None:
    text = export_request(stored(HOSTILE), BASE, "json")
    assert json.loads(text) == HOSTILE


def test_curl_has_the_variable_never_a_key_and_the_endpoint() -> None:
    text = export_request(stored(HOSTILE), BASE + "/", "curl")
    assert '"Authorization: Bearer $LUMA_AGENTS_API_KEY"' in text
    assert f"{DEFAULT_BASE_URL}/generations" in text
    assert "luma-api-" not in text
    assert "\u202e" not in text and "\u2028" not in text and "\x7f" not in text


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_curl_parses_in_bash_and_sends_the_body_verbatim() -> None:
    text = export_request(stored(HOSTILE), BASE, "curl")
    checked = subprocess.run(["bash", "-n"], input=text, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    # Run it with `curl` replaced by a function printing its stdin: the heredoc body
    # arrives untouched (no expansion of $HOME, backticks or $(...)).
    script = "curl() { cat; }\nLUMA_AGENTS_API_KEY=k\n" + text
    ran = subprocess.run(["bash"], input=script, capture_output=True, text=True, timeout=30)
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout) == HOSTILE


def test_python_compiles_and_builds_the_same_body() -> None:
    text = export_request(stored(HOSTILE), "http://127.0.0.1:8765/v1", "python")
    code = compile(text, "<export>", "exec")
    assert 'os.environ["LUMA_AGENTS_API_KEY"]' in text
    assert "import httpx" in text
    # Evaluate only the assignments (no request is made).
    namespace: dict[str, object] = {}
    prefix = text.split("response = ")[0].replace("import httpx", "")
    exec(compile(prefix, "<export-prefix>", "exec"), namespace)
    assert namespace["BODY"] == HOSTILE
    assert namespace["URL"] == "http://127.0.0.1:8765/v1/generations"
    assert code is not None


def test_unknown_format_and_non_object_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown export format"):
        export_request("{}", BASE, "wget")
    with pytest.raises(ValueError, match="not a JSON object"):
        export_request("[1]", BASE, "json")


def test_a_job_names_the_configured_url_or_luma_s_when_simulated(tmp_path: Path) -> None:
    from dataclasses import replace

    from lumatui.api.schema import GenerationRequest
    from lumatui.engine.export import SIMULATED_NOTE, export_job
    from lumatui.engine.jobs import ORIGIN_API, ORIGIN_SIMULATOR
    from lumatui.engine.store import JobStore

    with JobStore.open(tmp_path / "jobs.db") as store:
        job = store.record_submission(GenerationRequest(prompt="p"), now=1.0)
    real = export_job(replace(job, origin=ORIGIN_API), "https://proxy.example/v1", "curl")
    assert "https://proxy.example/v1/generations" in real and "simulator" not in real
    made_here = replace(job, origin=ORIGIN_SIMULATOR)
    for as_ in ("curl", "python"):
        text = export_job(made_here, "http://127.0.0.1:40123/v1", as_)
        assert text.startswith(SIMULATED_NOTE) and f"{DEFAULT_BASE_URL}/generations" in text
        assert "127.0.0.1" not in text
    assert export_job(made_here, "http://127.0.0.1:40123/v1", "json").startswith("{")
