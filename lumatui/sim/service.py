"""The simulated service itself: creating and reading generations, with money and limits.

Transport-free: `lumatui.sim.app` turns HTTP into calls here and `ApiError`s into replies.
Money: every key starts with `balance_usd`. A job is charged its price (pricing.py; video
prices are the declared estimate) when it is created, and refunded if it fails; a job the
balance cannot cover is refused with 402. `budget_usd` is a separate per-key spending
budget: jobs draw on it in creation order, and a job the rest of it cannot pay for is
accepted but fails with `budget_exhausted` halfway through processing.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from lumatui.api.capabilities import oversized_inline_media, server_problems
from lumatui.api.enums import FailureCode, GenerationState, GenerationType, OutputFormat
from lumatui.api.field_errors import json_path
from lumatui.api.pricing import price_of
from lumatui.api.schema import GenerationRequest
from lumatui.sim import outcomes, timing
from lumatui.sim.checks import chain_problems
from lumatui.sim.clock import system_clock
from lumatui.sim.errors import ApiError, field_error, rejected, validation_detail
from lumatui.sim.faults import FaultInjector, FaultProfile
from lumatui.sim.files import SimFiles
from lumatui.sim.inputs import Resolved, resolve_inputs
from lumatui.sim.media.variant import variant_of
from lumatui.sim.ratelimit import RateLimiter, Verdict
from lumatui.sim.render import EXTENSIONS, Renderer, RenderPlan, default_media, request_seed
from lumatui.sim.signing import UrlSigner, load_secret
from lumatui.sim.store import PENDING, SKIPPED, GenerationRow, SimStore

if TYPE_CHECKING:
    from lumatui.sim.clock import Clock
    from lumatui.sim.render import MediaBackend
    from lumatui.sim.settings import SimSettings

NOT_FOUND = "Generation not found."


def caller_of(key: str) -> str:
    """The caller identity of an API key: its SHA-256, so the key itself is never kept."""
    return hashlib.sha256(key.encode()).hexdigest()


def iso_time(ts: float) -> str:
    """An ISO-8601 UTC timestamp with milliseconds and a Z."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Simulator:
    """One simulated Agents API service with its store, limits, faults and renderer."""

    def __init__(
        self,
        settings: SimSettings,
        *,
        clock: Clock = system_clock,
        media: MediaBackend | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        settings.state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.store = SimStore(settings.state_dir / "simulator.db")
        self.signer = UrlSigner(load_secret(settings.state_dir), settings.url_ttl_s)
        self.limiter = RateLimiter(settings.requests_per_minute, settings.concurrent_jobs)
        self.faults = FaultInjector(FaultProfile.parse(settings.faults), settings.seed)
        self.renderer = Renderer(
            self.store,
            settings.state_dir,
            media or default_media(),
            workers=settings.render_workers,
        )
        self._media = media
        self.files = SimFiles(settings, self.store, self.signer, clock, media or default_media())
        self._locks: dict[str, asyncio.Lock] = {}
        for row in self.store.pending_renders():
            self.renderer.submit(row)

    def close(self) -> None:
        """Finish renders in progress and close the store."""
        self.renderer.close()
        self.store.close()

    def balance(self, caller: str) -> float:
        """What the caller has left to spend."""
        return self.settings.balance_usd - self.store.spent(caller, self.clock())

    async def create(self, caller: str, body: bytes) -> tuple[dict[str, Any], Verdict]:
        """Handle `POST /generations`: the new Generation and the rate-limit verdict."""
        lock = self._locks.setdefault(caller, asyncio.Lock())
        async with lock:
            return await self._create(caller, body)

    async def _create(self, caller: str, body: bytes) -> tuple[dict[str, Any], Verdict]:
        now = self.clock()
        verdict = self.limiter.admit(caller, now, self.store.active_jobs(caller, now))
        if not verdict.allowed:
            raise ApiError(429, verdict.reason, {"Retry-After": str(verdict.retry_after_s)})
        request = self._parse(body)
        limit = self.settings.max_inline_bytes
        oversized = oversized_inline_media(request, limit)
        if oversized:
            where = ", ".join(json_path(loc) for loc in oversized)
            raise ApiError(413, f"Input media exceeds the size limit of {limit} bytes: {where}.")
        problems = server_problems(
            request,
            hdr_access=self.settings.hdr_access,
            reframe_1080p=self.settings.reframe_1080p,
        )
        problems += chain_problems(request, caller, self.store, now, self.files)
        if problems:
            raise rejected(problems)
        generation_id = str(uuid.uuid4())
        media = self._media or default_media()
        resolved = await asyncio.to_thread(
            resolve_inputs,
            request,
            generation_id,
            settings=self.settings,
            store=self.store,
            media=media,
            files=self.files,
        )
        if resolved.problems:
            raise rejected(resolved.problems)
        price = price_of(request, source_seconds=resolved.source_seconds)
        cost = price.usd or 0.0
        now = self.clock()
        left = self.balance(caller)
        if cost > left + 1e-9:
            raise ApiError(
                402,
                f"Insufficient balance: this job costs ${cost:.4f} ({price.basis}) and the "
                f"balance is ${max(left, 0.0):.4f}. Add funds to continue.",
            )
        outcome = outcomes.marker_outcome(request.prompt) or resolved.outcome
        budget = self.settings.budget_usd
        if outcome is None and budget is not None and self.store.committed(caller) + cost > budget:
            outcome = outcomes.failure(FailureCode.BUDGET_EXHAUSTED)
        outcome = outcome or outcomes.COMPLETES
        row = self._row(request, generation_id, caller, now, cost, outcome, resolved)
        self.store.insert(row)
        if row.render_state == PENDING:
            self.renderer.submit(row)
        return self.generation_json(row, now, ""), verdict

    def _parse(self, body: bytes) -> GenerationRequest:
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            detail = [field_error((), f"is not valid JSON: {exc}", "json_invalid")]
            raise ApiError(400, detail) from None
        try:
            return GenerationRequest.model_validate(data)
        except ValidationError as exc:
            # Bad media data (base64 that does not decode) is 422 in Luma's error guide;
            # anything else wrong with the body is a 400.
            media_only = all(error["type"] == "base64" for error in exc.errors())
            raise ApiError(422 if media_only else 400, validation_detail(exc)) from None

    def _row(
        self,
        request: GenerationRequest,
        generation_id: str,
        caller: str,
        now: float,
        cost: float,
        outcome: outcomes.Outcome,
        resolved: Resolved,
    ) -> GenerationRow:
        kind, model, video = request.effective_type, request.effective_model, request.video
        plan_times = timing.schedule(
            model,
            kind,
            seed=self.settings.seed,
            generation_id=generation_id,
            speed=self.settings.speed,
            resolution=video.resolution if video else None,
            duration=video.duration if video else None,
            hdr=bool(video and video.hdr),
        )
        started, finish = outcomes.timeline(
            now, plan_times.queued_s, plan_times.processing_s, outcome
        )
        if kind.makes_video:
            fmt, long_side = "mp4", self.settings.video_long_side
            if kind.needs_source:
                seconds = max(1, round(resolved.source_seconds or 5))
            else:
                seconds = video.frame_count // 24 if video else 5
        elif kind is GenerationType.LAYERING:
            # 2k layers at the simulator's full image size, 1k at half of it.
            fmt, seconds = "png", 0
            two_k = request.layering is not None and request.layering.resolution == "2k"
            long_side = self.settings.image_long_side // (1 if two_k else 2)
        else:
            fmt = EXTENSIONS[(request.output_format or OutputFormat.PNG).value]
            long_side, seconds = self.settings.image_long_side, 0
        plan = RenderPlan(
            kind=kind.value,
            prompt=request.prompt,
            aspect_ratio=request.aspect_ratio.value if request.aspect_ratio else None,
            output_format=fmt
            if kind.makes_video or kind is GenerationType.LAYERING
            else (request.output_format or OutputFormat.PNG).value,
            style=request.style.value if request.style else None,
            # web_search only adds its mark: the same request with it shows the same picture.
            seed=request_seed(json.dumps(_seeded(request), sort_keys=True), self.settings.seed),
            duration_s=seconds,
            loop=bool(video and video.loop),
            long_side=long_side,
            inputs=resolved.specs,
            web_search=bool(request.web_search),
            # The request decides the composition; the generation varies it (runs differ).
            variant=variant_of(generation_id),
        )
        return GenerationRow(
            id=generation_id,
            caller=caller,
            type=kind.value,
            model=model.value,
            created_at=now,
            started_at=started,
            finish_at=finish,
            failure_code=outcome.failure_code.value if outcome.failure_code else None,
            failure_reason=outcome.failure_reason,
            price_usd=cost,
            output_kind="video" if kind.makes_video else "image",
            output_ext=fmt,
            output_duration_s=float(seconds) if kind.makes_video else None,
            render_state=SKIPPED if outcome.failed else PENDING,
            render_error=None,
            plan=plan.to_json(),
        )

    def get(self, caller: str, generation_id: str, origin: str) -> dict[str, Any]:
        """Handle `GET /generations/{id}`; `origin` prefixes the output URLs."""
        try:
            canonical = str(uuid.UUID(generation_id))
        except ValueError:
            raise ApiError(404, NOT_FOUND) from None
        row = self.store.get(canonical)
        if row is None or row.caller != caller:
            raise ApiError(404, NOT_FOUND)
        return self.generation_json(row, self.clock(), origin)

    def generation_json(self, row: GenerationRow, now: float, origin: str) -> dict[str, Any]:
        """The Generation object as the reference defines it, at time `now`."""
        state = row.state_at(now)
        body: dict[str, Any] = {
            "id": row.id,
            "created_at": iso_time(row.created_at),
            "model": row.model,
            "state": state.value,
            "type": row.type,
        }
        if state is GenerationState.FAILED:
            if row.failure_code is not None:
                body["failure_code"] = row.failure_code
                body["failure_reason"] = row.failure_reason
            else:
                body["failure_code"] = FailureCode.GENERATION_FAILED.value
                body["failure_reason"] = outcomes.failure(
                    FailureCode.GENERATION_FAILED, row.render_error
                ).failure_reason
        elif state is GenerationState.COMPLETED:
            listed = json.loads(row.outputs_json) if row.outputs_json else None
            files = listed or [{"name": f"0.{row.output_ext}", "layer": None}]
            body["output"] = []
            for item in files:
                path = self.file_path(row.id, item["name"])
                output = {"type": row.output_kind, "url": origin + self.signer.sign(path, now)}
                if item.get("layer"):
                    output["layer"] = item["layer"]
                body["output"].append(output)
        return body

    @staticmethod
    def file_path(generation_id: str, name: str) -> str:
        """The URL path an output file is served at (before signing)."""
        return f"/files/{generation_id}/{name}"


def _seeded(request: GenerationRequest) -> dict[str, Any]:
    """The parts of a request that decide its picture."""
    body = request.to_json()
    body.pop("web_search", None)
    return body
