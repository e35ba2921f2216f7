"""The one job query: SQLite's paging and the in-memory test agree on every row."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from lumatui.api.schema import Generation, GenerationRequest
from lumatui.engine.jobs import JobState
from lumatui.engine.queries import JobQuery, fold, matches, where_clause
from lumatui.engine.store import JobStore

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

PROMPTS = [
    "Évian at dawn",
    "évian at dusk",
    "STRASSE in the rain",
    "a Straße at night",
    "ΟΔΥΣΣΕΥΣ sails",
    "οδυσσευς rows",
    "İstanbul skyline",
    "100% cotton_shirt",
    "plain fox",
    "ﬁsh in a pond",  # the "fi" ligature folds to "fi"
    "two\nlines, a TAB\tand a KELVIN sign: \u212a",
]
TEXTS = [
    "",
    "évian",
    "ÉVIAN",
    "strasse",
    "STRASSE",
    "straße",
    "ΟΔΥΣΣΕΥΣ",
    "οδυσσευσ",
    "istanbul",
    "İstanbul",
    "100%",
    "_shirt",
    "%",
    "_",
    "FISH",
    "fox",
    "nothing like this",
    "k",
    "lines, a tab",
    "modération",
    "MODÉRATION",
    "abcd",
]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[JobStore]:
    """A history holding the prompts above in a few states, types and models (closed after:
    a connection left to the garbage collector removes its -wal file during a later test)."""
    opened = JobStore.open(tmp_path / "q.db")
    for n, prompt in enumerate(PROMPTS):
        request = GenerationRequest.model_validate(
            {
                "prompt": prompt,
                "type": "video" if n % 3 == 0 else "image",
                "model": "ray-3.2" if n % 3 == 0 else "uni-1",
            }
        )
        job = opened.record_submission(request, now=1000.0 + n)
        if n == 2:  # failed at the API: a server id, and a failure code that is not ASCII
            server_id = "abcd1234-0000-4000-8000-000000000002"
            for state in ("queued", "failed"):
                generation = Generation.model_validate(
                    {
                        "id": server_id,
                        "created_at": "2026-01-01T00:00:00Z",
                        "model": request.model,
                        "type": request.type,
                        "state": state,
                        "failure_code": "Modération" if state == "failed" else None,
                    }
                )
                if state == "queued":
                    opened.mark_submitted(job.id, generation, now=1500.0)
                else:
                    opened.record_state(job.id, generation, now=1600.0)
        elif n % 2:
            opened.mark_local(job.id, JobState.UNCERTAIN, "no answer came back", now=2000.0 + n)
    with opened:
        yield opened


@pytest.mark.parametrize("text", TEXTS)
def test_paging_and_matching_agree(store: JobStore, text: str) -> None:
    jobs = store.page(JobQuery(), limit=1000)
    assert len(jobs) == len(PROMPTS)
    for query in (
        JobQuery(text=text),
        JobQuery(text=text, hide_finished=True),
        JobQuery(text=text, types=frozenset({"video"})),
        JobQuery(text=text, states=frozenset({"uncertain"}), models=frozenset({"uni-1"})),
    ):
        from_sql = {job.id for job in store.page(query, limit=1000)}
        in_memory = {job.id for job in jobs if matches(job, query)}
        assert from_sql == in_memory, query
        assert store.count(query) == len(from_sql)


def test_text_is_folded_the_unicode_way(store: JobStore) -> None:
    def found(text: str) -> set[str]:
        return {job.prompt for job in store.page(JobQuery(text=text), limit=1000)}

    assert found("ÉVIAN") == {"Évian at dawn", "évian at dusk"}
    assert found("straße") == {"STRASSE in the rain", "a Straße at night"}
    assert found("οδυσσευσ") == {"ΟΔΥΣΣΕΥΣ sails", "οδυσσευς rows"}  # final sigma too
    assert found("FISH") == {"ﬁsh in a pond"}
    assert found("%") == {"100% cotton_shirt"}  # no LIKE wildcards: text is text
    assert found("_") == {"100% cotton_shirt"}
    assert fold("Straße") == fold("STRASSE")
    assert found("MODÉRATION") == {"STRASSE in the rain"}  # its failure code
    assert found("abcd1234") == {"STRASSE in the rain"}  # its server id
    assert "two\nlines, a TAB\tand a KELVIN sign: \u212a" in found("k")


def test_an_empty_query_has_no_where_clause() -> None:
    assert where_clause(JobQuery()) == ("", ())


def test_one_prefix_lookup_for_local_and_server_ids(tmp_path: Path) -> None:
    from lumatui.api.schema import Generation

    def generation(server_id: str) -> Generation:
        return Generation.model_validate(
            {
                "id": server_id,
                "created_at": "2026-01-01T00:00:00Z",
                "model": "uni-1",
                "type": "image",
                "state": "queued",
            }
        )

    with JobStore.open(tmp_path / "find.db") as store:
        request = GenerationRequest.model_validate({"prompt": "p", "type": "image"})
        first = store.record_submission(request, now=1.0)
        second = store.record_submission(request, now=2.0)
        server_id = "abcd1234-0000-4000-8000-000000000001"
        first = store.mark_submitted(first.id, generation(server_id), now=3.0)
        assert store.find(first.id) == first
        assert store.find(server_id) == first
        assert store.find(server_id[:6]) == first
        assert store.find(second.id[:8]) == second  # a local id's prefix works too
        assert store.find(second.id[:3]) is None  # too short to be a prefix
        assert store.find("ffffffff-no-such-job") is None
        store.mark_submitted(second.id, generation(server_id[:-1] + "2"), now=4.0)
        assert store.find(server_id[:6]) is None  # two jobs start so: no guess
        assert store.find(server_id[:-1]) is None
        assert store.find(server_id) == store.get(first.id)


def test_random_text_agrees_both_ways(tmp_path: Path) -> None:
    import random

    rng = random.Random(17)
    alphabet = "aAsSkKiIßẞİıΣσςﬁéÉ%_\\ \n\u212a\u0307"
    with JobStore.open(tmp_path / "r.db") as store:
        for n in range(150):
            prompt = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
            request = GenerationRequest.model_validate({"prompt": prompt or "x", "type": "image"})
            store.record_submission(request, now=float(n))
        jobs = store.page(JobQuery(), limit=1000)
        for _ in range(120):
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 3))).strip()
            if not text:
                continue
            query = JobQuery(text=text)
            from_sql = {job.id for job in store.page(query, limit=1000)}
            assert from_sql == {job.id for job in jobs if matches(job, query)}, repr(text)
