"""ctrl+j on a valid form: what the main screen does with the composer's request.

A batch, a dear job or one whose price is unknown is confirmed first (`batch_send`); local
files that go through the Files API are uploaded first (`upload_send`); the send runs in a
worker, so the store's write never holds a key up. The form counts as sent at once, and as
an unsent draft again if nothing went.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lumatui.tui.deferred import deferred
from lumatui.tui.screens.batch_send import ask_then_send
from lumatui.tui.screens.upload_send import pending_uploads, upload_then_send

if TYPE_CHECKING:
    from lumatui.api.pricing import Price
    from lumatui.api.schema import GenerationRequest
    from lumatui.engine.uploads import LocalMedia
    from lumatui.tui.screens.main import MainScreen
    from lumatui.tui.widgets.composer import Composer


def send_from_composer(screen: MainScreen, message: Composer.SubmitRequested) -> None:
    """Send the request of a ctrl+j (asking first when it must be confirmed)."""
    composer = screen.composer
    pending = pending_uploads(composer)  # local files sent as files: uploaded first
    plan, threshold = message.plan, screen.settings.confirm_above_usd
    if plan is not None and (plan.size > 1 or plan.needs_confirmation(threshold)):
        ask_then_send(screen, message.request, plan, pending)  # a batch, dear, price unknown
        return
    send = deferred(_upload_then_send, screen, pending, message.request, message.price)
    screen.run_worker(send, group="submit")
    composer.mark_sent(message.request)
    if message.request.prompt:
        composer.remember(message.request.prompt)


async def _upload_then_send(
    screen: MainScreen,
    pending: dict[str, LocalMedia],
    request: GenerationRequest,
    price: Price | None,
) -> None:
    if not await upload_then_send(screen, pending, request, price, screen.submit):
        screen.composer.mark_sent(None)  # nothing went: the form is an unsent draft again
