"""Jobs written straight into a history, as the engine writes them (shared test helpers)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from lumatui.api.schema import Generation, GenerationRequest

if TYPE_CHECKING:
    from lumatui.engine.jobs import Job
    from lumatui.engine.store import JobStore


def sent_job(store: JobStore, **body: Any) -> Job:
    """Record a request (prompt "p" unless given) and give it a server id, as a reply does."""
    request = GenerationRequest.model_validate({"prompt": "p", **body})
    job = store.record_submission(request)
    generation = Generation.model_validate(
        {
            "id": str(uuid.uuid4()),
            "created_at": "now",
            "model": str(request.effective_model),
            "state": "completed",
            "type": str(request.effective_type),
        }
    )
    return store.mark_submitted(job.id, generation)
