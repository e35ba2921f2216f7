"""A large local video through the composer: an upload and a video_edit, not a byte of base64.

The full-size run (180 MB, the simulator in another process, memory measured) is
`bench/big_upload.py`; this is the same path at 6 MB with the inline cap lowered to 2 MB:
above the cap (a presigned PUT) and above the largest read lumatui makes of a file (4 MB),
so every claim below is tested.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from lumatui.api import files_client, upload
from lumatui.api.files_client import FilesClient
from lumatui.config import load_settings
from lumatui.engine.uploads import _HASH_CHUNK
from tests.tui.big_video import audit_reads, padded_mp4, send_video_edit
from tests.tui.conftest import wait_until

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from lumatui.backend import Backend
    from lumatui.config import AppPaths, Settings
    from lumatui.tui.app import LumaApp

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SIZE = 6 * 1024 * 1024
CAP = 2 * 1024 * 1024


@pytest.fixture
def settings(paths: AppPaths) -> Settings:
    """The suite's settings with the inline cap at 2 MB."""
    return load_settings(paths, overrides={"poll_rate_limit": 500.0, "inline_cap_bytes": CAP})


async def test_a_large_video_is_streamed_up_and_sent_as_a_file_id(
    make_app: Callable[..., LumaApp],
    backend: Backend,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clip = padded_mp4(tmp_path / "clip.mp4", SIZE)
    puts: list[tuple[str, int]] = []
    real_put = upload.put_file

    async def put_file(http: Any, url: str, headers: Any, path: Path, size: int, **kw: Any) -> None:
        puts.append((url, size))
        await real_put(http, url, headers, path, size, **kw)

    monkeypatch.setattr(files_client, "put_file", put_file)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.engine_started)
        with audit_reads(clip) as audit:
            sent = await send_video_edit(app, pilot, clip)
        assert sent.status == "video/mp4, will upload 6.0 MB as a file"
        # Uploaded by the Files API's presigned PUT, with progress.
        assert [size for _, size in puts] == [SIZE]
        assert "/uploads/" in puts[0][0]
        progress = [t for t in sent.toasts if t.startswith("Uploading clip.mp4")]
        assert progress[-1] == "Uploading clip.mp4: 100% of 6.0 MB"
        assert len(progress) >= 3  # 25% steps, not one line at the end
        # The POST body: a file id, no base64.
        assert set(sent.body["source"]) == {"file_id"}
        assert sent.request_bytes < 1024 and '"data"' not in sent.job.request_json
        file = await FilesClient(backend.client).get(sent.body["source"]["file_id"])
        assert file.is_ready and file.size_bytes == SIZE
        # Never the whole file in memory: read in chunks (hashed once, streamed once).
        assert audit.whole_reads == 0
        assert 0 < audit.largest <= _HASH_CHUNK < SIZE
        assert sum(audit.reads) <= 2 * SIZE
        # And the simulator made the edit from it.
        assert sent.job.state == "completed", sent.job.failure_reason
