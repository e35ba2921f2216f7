"""Output URLs: presigned, fresh on every GET, refused with 403 XML when expired or tampered."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lumatui.sim.signing import UrlSigner
from tests.sim.helpers import completed

if TYPE_CHECKING:
    import httpx

    from lumatui.sim import ManualClock, Simulator


async def test_download_has_the_right_type_and_length(
    api: httpx.AsyncClient, sim: Simulator, clock: ManualClock
) -> None:
    done = await completed(api, sim, clock, output_format="jpeg")
    reply = await api.get(done["output"][0]["url"], headers={"Authorization": ""})
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "image/jpeg"
    assert int(reply.headers["content-length"]) == len(reply.content) > 0
    assert reply.content[:3] == b"\xff\xd8\xff"
    assert reply.headers["x-api-version"] == "2026-04-01"


async def test_expired_url_is_403_access_denied(
    api: httpx.AsyncClient, sim: Simulator, clock: ManualClock
) -> None:
    done = await completed(api, sim, clock)
    url = done["output"][0]["url"]
    clock.advance(3599)
    assert (await api.get(url)).status_code == 200
    clock.advance(2)
    reply = await api.get(url)
    assert reply.status_code == 403
    assert reply.headers["content-type"].startswith("application/xml")
    assert "<Code>AccessDenied</Code>" in reply.text
    assert "Request has expired" in reply.text


async def test_tampered_url_is_403_signature_mismatch(
    api: httpx.AsyncClient, sim: Simulator, clock: ManualClock
) -> None:
    done = await completed(api, sim, clock)
    url = done["output"][0]["url"]
    base, _, query = url.partition("?")
    params = dict(p.split("=") for p in query.split("&"))
    later = f"{base}?expires={int(params['expires']) + 9999}&signature={params['signature']}"
    other = url.replace(done["id"], "00000000-0000-4000-8000-000000000000")
    for bad in (later, other, base, url[:-1] + ("0" if url[-1] != "0" else "1")):
        reply = await api.get(bad)
        assert reply.status_code == 403, bad
        assert "<Code>SignatureDoesNotMatch</Code>" in reply.text


async def test_every_get_signs_afresh(
    api: httpx.AsyncClient, sim: Simulator, clock: ManualClock
) -> None:
    done = await completed(api, sim, clock)
    clock.advance(5000)
    assert (await api.get(done["output"][0]["url"])).status_code == 403
    again = (await api.get(f"/generations/{done['id']}")).json()
    assert again["output"][0]["url"] != done["output"][0]["url"]
    assert (await api.get(again["output"][0]["url"])).status_code == 200


def test_signer_checks() -> None:
    signer = UrlSigner(b"k" * 32, ttl_s=60)
    url = signer.sign("/files/a/0.png", now=1000)
    expires, signature = (p.split("=")[1] for p in url.split("?")[1].split("&"))
    assert signer.check("/files/a/0.png", expires, signature, now=1059) == ""
    assert signer.check("/files/a/0.png", expires, signature, now=1060) == "expired"
    assert signer.check("/files/b/0.png", expires, signature, now=1000) == "signature"
    assert signer.check("/files/a/0.png", None, None, now=1000) == "signature"
    assert UrlSigner(b"x" * 32, 60).check("/files/a/0.png", expires, signature, 1000)
