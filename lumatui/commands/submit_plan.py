"""What `lumatui submit` checks before sending: the request, its batch, the price, a dry run.

The request is validated as the API would (exit 2 with every problem at its JSON path);
a `--prompt` with alternatives (`{red|blue}`) times `--runs` becomes a batch
(`api.batches.plan_batch`); a batch dearer than `confirm_above_usd`, or of unknown price,
is sent only when a person agrees or `--yes` says so; `--dry-run` prints the batch instead.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from lumatui.api.variations import MAX_BATCH_JOBS
from lumatui.commands.common import EXIT_USAGE, CommandError, json_text, print_json, warn

if TYPE_CHECKING:
    import argparse

    from lumatui.api.batches import BatchPlan
    from lumatui.api.schema import GenerationRequest
    from lumatui.commands.uploading import PendingUpload
    from lumatui.config import Settings

LONG_DATA = 80
"""Inline base64 longer than this is abbreviated in the text of a dry run (not in --json)."""


def add_batch_flags(parser: argparse.ArgumentParser) -> None:
    """--runs (alias --count) and --dry-run."""
    parser.add_argument(
        "--runs",
        "--count",
        dest="runs",
        type=int,
        default=1,
        metavar="N",
        help="send each prompt N times (each is a separate, paid job; at most "
        f"{MAX_BATCH_JOBS} jobs per batch, runs x prompt alternatives)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="send nothing: print the requests and their total price (with --json: "
        '{"requests": [...], "total_usd": ...})',
    )


def validate_request(
    body: dict[str, Any], *, allow_unknown: bool = False, quiet: bool = False
) -> GenerationRequest:
    """The request, or CommandError (exit 2) listing every problem at its JSON path.

    A field this version does not know is a warning, and is sent as is only when allowed.
    """
    from pydantic import ValidationError

    from lumatui.api.capabilities import server_problems
    from lumatui.api.client_rules import client_problems
    from lumatui.api.field_errors import FieldError, field_errors, json_path
    from lumatui.api.schema import GenerationRequest
    from lumatui.api.unknown_fields import split_unknown_fields, unknown_field_warning

    known, unknown = split_unknown_fields(body)
    if unknown and not quiet:
        for loc, _ in unknown:
            warn(f"lumatui: {unknown_field_warning(json_path(loc))}")
    if unknown and not allow_unknown:
        fields = [FieldError(json_path(loc), "not known to this version") for loc, _ in unknown]
        raise CommandError(
            "the body has fields this version of lumatui does not know; nothing was sent. "
            "Pass --allow-unknown-fields to send them as they are",
            EXIT_USAGE,
            fields,
        )
    try:
        request = GenerationRequest.model_validate(known)
    except ValidationError as exc:
        raise CommandError(
            "the request is not valid; nothing was sent", EXIT_USAGE, field_errors(exc)
        ) from None
    if mistakes := client_problems(request):
        raise CommandError("the request is not valid; nothing was sent", EXIT_USAGE, mistakes)
    problems = [FieldError(json_path(p.loc), p.message) for p in server_problems(request)]
    if problems:
        raise CommandError(
            "the model would refuse this request; nothing was sent", EXIT_USAGE, problems
        )
    return request.with_unknown_fields(unknown) if unknown else request


def plan_for(
    request: GenerationRequest, settings: Settings, *, runs: int, expand: bool
) -> BatchPlan:
    """The batch to send; CommandError (exit 2) naming the field for a bad brace or size.

    `expand` is False for a prompt that came from a `--json`/`--body` file: a body is sent
    as written, braces and all (only `--prompt` holds alternatives).
    """
    from lumatui.api.batches import plan_batch
    from lumatui.api.variations import VariationError

    try:
        return plan_batch(request, runs, prices=settings.prices, expand=expand)
    except VariationError as exc:
        errors = [p.as_field_error() for p in exc.problems]
        raise CommandError(
            "the prompt's alternatives cannot be expanded; nothing was sent", EXIT_USAGE, errors
        ) from None


def confirm_batch(plan: BatchPlan, settings: Settings, *, yes: bool) -> None:
    """Ask before sending a batch of unknown price or dearer than `confirm_above_usd`.

    Without a terminal, refuse (exit 2, nothing sent) unless `yes`.
    """
    threshold = settings.confirm_above_usd
    if yes or not plan.needs_confirmation(threshold):
        return
    jobs = "this job" if plan.size == 1 else f"these {plan.size} jobs"
    if plan.total.usd is None:
        why = f"the price of {jobs} is unknown ({plan.total.basis})"
    else:
        cost = f"{'~' if plan.total.estimate else ''}${plan.total.usd:.4f}"
        verb = "costs" if plan.size == 1 else "cost"
        why = (
            f"{jobs} {verb} {cost}, above the confirm threshold ${threshold:.2f} "
            "(setting confirm_above_usd)"
        )
    if not sys.stdin.isatty():
        raise CommandError(f"{why}; nothing was sent. Pass --yes to send anyway")
    sys.stderr.write(f"lumatui: {why}. Send? [y/N] ")
    sys.stderr.flush()
    if sys.stdin.readline().strip().lower() not in ("y", "yes"):
        raise CommandError("not sent")


def print_dry_run(plan: BatchPlan, uploads: list[PendingUpload], *, json_mode: bool) -> None:
    """The requests and their total, sent nowhere: JSON on stdout, or text for a person."""
    from lumatui.api.text import clean_text

    if uploads:
        flags = ", ".join(dict.fromkeys(u.flag for u in uploads))
        warn(
            f"lumatui submit --dry-run: {len(uploads)} local file(s) ({flags}) would be "
            "uploaded first; their file ids here are stand-ins"
        )
    if json_mode:
        print_json(plan.to_json())
        return
    for n, (request, price) in enumerate(zip(plan.requests, plan.prices, strict=True), 1):
        print(f"job {n} of {plan.size}  {price}", flush=True)
        print(f"  {clean_text(json_text(abbreviated(request.to_json())), 100_000)}")
    print(f"total: {plan.summary()}; nothing was sent (--dry-run)", flush=True)


def abbreviated(value: Any) -> Any:
    """The body with long inline data shortened, so a dry run or a plan stays readable
    (`--json` keeps it whole)."""
    if isinstance(value, dict):
        return {
            k: (
                f"<{len(v)} characters of base64>"
                if k == "data" and isinstance(v, str) and len(v) > LONG_DATA
                else abbreviated(v)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [abbreviated(v) for v in value]
    return value
