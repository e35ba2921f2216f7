"""Another lumatui process writing into a history: `python bench/_writer.py DB JOBS RATE`.

It takes an owner's lock (so a workstation leaves its jobs alone), records JOBS running
jobs it owns, prints `ready`, then changes one of them RATE times a second (queued and
processing in turn), each change's note saying when it was written (`bench-write <time>`),
until it is killed. bench/ui_updates.py measures the workstation while it runs.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from lumatui.api.schema import GenerationRequest
from lumatui.engine.jobs import JobState
from lumatui.engine.owners import take_owner_lock
from lumatui.engine.store import JobStore


def main() -> int:
    """Seed, say ready, write forever at the rate asked."""
    database, count, rate = Path(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    owner = "bench-writer"
    take_owner_lock(database, owner)  # held until this process dies
    store = JobStore.open(database)
    ids = [
        store.record_submission(
            GenerationRequest(prompt=f"written by another process {n}"),
            state=JobState.QUEUED,
            owner=owner,
        ).id
        for n in range(count)
    ]
    print("ready", flush=True)
    gap = 1.0 / rate
    due = time.monotonic()
    n = 0
    while True:
        state = JobState.PROCESSING if (n // count) % 2 == 0 else JobState.QUEUED
        store.mark_local(ids[n % count], state, f"bench-write {time.time():.6f}")
        n += 1
        due += gap
        time.sleep(max(0.0, due - time.monotonic()))


if __name__ == "__main__":
    sys.exit(main())
