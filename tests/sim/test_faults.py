"""The fault profile: parsing, reproducibility for a seed, and each fault's effect on the wire."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import httpx
import pytest

from lumatui.sim import SimSettings, start_in_background
from lumatui.sim.faults import FaultInjector, FaultProfile, FaultSpecError

if TYPE_CHECKING:
    from pathlib import Path

    from lumatui.sim.render import MediaBackend

SPEC = "500=0.05,429=0.05,reset=0.02,slow=0.05,badjson=0.01,truncate=0.02"
AUTH = {"Authorization": "Bearer luma-api-faults"}


def test_profile_parses_the_documented_example() -> None:
    profile = FaultProfile.parse(SPEC)
    assert dict(profile.rates) == {
        "500": 0.05,
        "429": 0.05,
        "reset": 0.02,
        "slow": 0.05,
        "badjson": 0.01,
        "truncate": 0.02,
    }
    assert FaultProfile.parse(str(profile)) == profile
    assert FaultProfile.parse("") == FaultProfile()
    assert dict(FaultProfile.parse("503=0.5").rates) == {"503": 0.5}


@pytest.mark.parametrize("spec", ["500", "404=0.1", "reset=2", "slow=x", "500=0.7,reset=0.5"])
def test_bad_profiles_are_refused(spec: str) -> None:
    with pytest.raises(FaultSpecError):
        FaultProfile.parse(spec)


def test_same_seed_same_faults() -> None:
    def run(seed: int) -> list[str | None]:
        injector = FaultInjector(FaultProfile.parse("500=0.2,reset=0.1,truncate=0.3"), seed)
        return [
            injector.draw_download("/f") if i % 3 == 0 else injector.draw_api("/v1")
            for i in range(300)
        ]

    first = run(11)
    assert first == run(11)
    assert first != run(12)
    assert {"500", "reset", "truncate", None} == set(first)


def _sequence(tmp_path: Path, media: MediaBackend, seed: int) -> tuple[list[str], dict[str, int]]:
    """Run the same request sequence against a fresh simulator; what happened to each."""
    settings = SimSettings.for_tests(
        tmp_path / f"s{seed}-{len(list(tmp_path.iterdir()))}",
        faults="500=0.15,429=0.1,reset=0.1,badjson=0.1",
        seed=seed,
        requests_per_minute=1000,
        concurrent_jobs=1000,
    )
    results: list[str] = []
    with (
        start_in_background(settings, media=media) as running,
        httpx.Client(base_url=running.base_url, headers=AUTH) as client,
    ):
        for i in range(40):
            try:
                reply = client.post("/generations", json={"prompt": f"fault probe {i}"})
            except httpx.HTTPError as exc:
                results.append(type(exc).__name__)
                continue
            try:
                reply.json()
                results.append(str(reply.status_code))
            except json.JSONDecodeError:
                results.append(f"{reply.status_code}-badjson")
        stats = httpx.get(f"{running.origin}/_sim/stats").json()
    return results, stats["faults"]["injected"]


def test_fault_sequence_is_reproducible_over_loopback(tmp_path: Path, media: MediaBackend) -> None:
    first, counts = _sequence(tmp_path, media, seed=5)
    again, counts_again = _sequence(tmp_path, media, seed=5)
    assert first == again and counts == counts_again
    assert {"500", "429", "201", "201-badjson", "RemoteProtocolError"} <= set(first)
    assert counts["500"] == first.count("500")
    assert counts["reset"] == first.count("RemoteProtocolError")
    other, _ = _sequence(tmp_path, media, seed=6)
    assert other != first


def test_reset_still_creates_the_job_and_429_fault_has_retry_after(
    tmp_path: Path, media: MediaBackend
) -> None:
    settings = SimSettings.for_tests(tmp_path / "s", faults="reset=1")
    with start_in_background(settings, media=media) as running:
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.post(f"{running.base_url}/generations", json={"prompt": "x"}, headers=AUTH)
        assert running.simulator.store.count() == 1
    settings = SimSettings.for_tests(tmp_path / "t", faults="429=1")
    with start_in_background(settings, media=media) as running:
        reply = httpx.post(f"{running.base_url}/generations", json={"prompt": "x"}, headers=AUTH)
        assert reply.status_code == 429 and reply.headers["retry-after"] == "1"
        assert running.simulator.store.count() == 0


def test_truncate_cuts_a_download_short(tmp_path: Path, media: MediaBackend) -> None:
    settings = SimSettings.for_tests(tmp_path / "s", faults="truncate=1")
    with (
        start_in_background(settings, media=media) as running,
        httpx.Client(base_url=running.base_url, headers=AUTH) as client,
    ):
        gid = client.post("/generations", json={"prompt": "x"}).json()["id"]
        running.wait_rendered(gid)
        body = client.get(f"/generations/{gid}").json()
        while body["state"] != "completed":  # speed 10000: a few milliseconds of real time
            running.wait_rendered(gid)
            body = client.get(f"/generations/{gid}").json()
        with httpx.stream("GET", body["output"][0]["url"]) as reply:
            assert reply.status_code == 200
            announced = int(reply.headers["content-length"])
            with pytest.raises(httpx.RemoteProtocolError):
                reply.read()
        assert announced > 0
        stats = httpx.get(f"{running.origin}/_sim/stats").json()
        assert stats["faults"]["injected"] == {"truncate": 1}


def test_slow_replies_are_late_but_whole(tmp_path: Path, media: MediaBackend) -> None:
    settings = SimSettings.for_tests(tmp_path / "s", faults="slow=1", slow_s=0.05)
    with start_in_background(settings, media=media) as running:
        reply = httpx.post(f"{running.base_url}/generations", json={"prompt": "x"}, headers=AUTH)
        assert reply.status_code == 201
        stats = httpx.get(f"{running.origin}/_sim/stats").json()
        assert stats["faults"]["injected"] == {"slow": 1}
