"""Faults survived: 30 mixed jobs through the simulator's fault profile at a 20% rate.

Every fault the simulator injects is accounted for: each job ends in the state the simulator
holds for it, each completed output is on disk and verifies, each POST the simulator broke
after creating the job (a dropped connection, a cut JSON reply) or with a 500 left exactly
one `uncertain` job, and no request reached the simulator twice.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lumatui.engine.jobs import JobState
from lumatui.engine.media import verify_file
from lumatui.engine.thumbnails import file_sha256
from lumatui.sim.service import caller_of
from tests.reliability.conftest import KEY, WAIT_S, build_engine, request, sim_prompts

if TYPE_CHECKING:
    from collections.abc import Callable

    from lumatui.engine.service import Engine
    from lumatui.sim import RunningSimulator

# 20% of API requests fail (0.14 of them after or instead of creating the job), and 20% of
# downloads are cut off half-way.
PROFILE = "500=0.05,503=0.02,429=0.03,reset=0.05,badjson=0.04,slow=0.01,truncate=0.2"
BREAKS_CREATE = {"500", "reset", "badjson"}
CREATES_ANYWAY = {"reset", "badjson"}


def tiny_png() -> str:
    """A 16 x 16 PNG, base64: the source of the image edits."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (16, 16), (30, 120, 200)).save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode("ascii")


def mixed_bodies(count: int) -> list[dict[str, Any]]:
    """Images, image edits and videos in turn, each with its own prompt."""
    source = {"data": tiny_png(), "media_type": "image/png"}
    kinds: list[dict[str, Any]] = [
        {},
        {"type": "image_edit", "source": source},
        {"type": "video", "video": {"duration": "5s", "resolution": "360p"}},
    ]
    return [{"prompt": f"fault job {i}", **kinds[i % 3]} for i in range(count)]


def check_outputs(engine: Engine, job_id: str) -> None:
    """Every output of a completed job is on disk under its final name and verifies."""
    outputs = engine.store.outputs(job_id)
    assert outputs
    for output in outputs:
        assert output.is_downloaded and output.local_path, output.error
        path = Path(output.local_path)
        assert not path.name.endswith(".part")
        verify_file(path)
        assert file_sha256(path) == output.sha256


async def test_thirty_mixed_jobs_through_a_twenty_percent_fault_rate(
    sim_factory: Callable[..., RunningSimulator], engines: list[Engine], tmp_path: Path
) -> None:
    sim = sim_factory(faults=PROFILE, seed=11, slow_s=0.05)
    engine = build_engine(sim.base_url, tmp_path, read_timeout=5.0)
    engines.append(engine)
    await engine.start()
    jobs = [await engine.submit(request(**body)) for body in mixed_bodies(30)]
    done = await engine.wait_for([j.id for j in jobs], timeout=WAIT_S * 2)

    simulator = sim.simulator
    caller, now = caller_of(KEY), simulator.clock()
    created = [j for j in done if j.generation_id is not None]
    uncertain = [j for j in done if j.state is JobState.UNCERTAIN]
    assert len(created) + len(uncertain) == len(done), [j.state for j in done]
    for job in created:
        row = simulator.store.get(str(job.generation_id))
        assert row is not None and row.caller == caller
        assert str(job.state) == row.state_at(now).value, job.prompt
        if job.state is JobState.COMPLETED:
            check_outputs(engine, job.id)
    for job in uncertain:
        assert job.note and "may have been created" in job.note

    # No POST twice: each prompt reached the simulator at most once.
    seen = sim_prompts(simulator.settings.state_dir)
    assert max(seen.values()) == 1
    assert set(seen) <= {j.prompt for j in done}
    assert {j.prompt for j in created} <= set(seen)
    # Each create the simulator broke is one uncertain job; the ones it created anyway are
    # exactly the simulator's generations that have no local id.
    post_faults = [f for _, f, path in simulator.faults.log if path == "/v1/generations"]
    assert len(uncertain) == sum(f in BREAKS_CREATE for f in post_faults)
    uncertain_created = [j for j in uncertain if j.prompt in seen]
    assert len(uncertain_created) == sum(f in CREATES_ANYWAY for f in post_faults)
    assert simulator.store.count() == len(created) + len(uncertain_created)
    assert sum(simulator.faults.counts.values()) >= 5, simulator.faults.counts
