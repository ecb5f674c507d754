"""The messengers' webhooks, served on the bot's own aiohttp server beside the counter API.

The messenger is answered 200 only after the update has been handled (or, when it arrives
a second time, because it was stored before): an update acknowledged is never lost. The
secret Telegram sends in a header is compared in constant time before anything else
happens; Bale sends no header, so its secret is the last segment of the webhook's path,
compared the same way (a wrong one is answered 404, as a path that does not exist).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from urllib.parse import urlsplit

from aiohttp import web

from bot.app import BotApplication, ChatOrderedUpdates
from bot.hygiene import MalformedUpdate, update_of

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def webhook_path(url: str) -> str:
    """The path Telegram will POST to: the public URL's (a reverse proxy passes it on)."""
    return urlsplit(url).path or "/"


def derived_secret(token: str) -> str:
    """A secret for when the operator set none: stable across workers and restarts, and
    unguessable without the bot token. Telegram allows 1-256 of ``A-Za-z0-9_-``."""
    return hashlib.sha256(b"pishkhan-webhook:" + token.encode()).hexdigest()


def _refusal(status: int, reason: str) -> web.Response:
    return web.json_response({"ok": False, "error": reason}, status=status)


def secret_path(path: str, secret: str) -> str:
    """The path a messenger without the secret header POSTs to: the secret appended."""
    return f"{path.rstrip('/')}/{secret}"


def add_webhook_route(
    http: web.Application,
    application: BotApplication,
    path: str,
    secret: str,
    *,
    secret_in_path: bool = False,
) -> None:
    """Serve a messenger's updates at ``path`` of ``http``, the secret in a header, or
    (``secret_in_path``) as one more path segment: ``secret_path(path, secret)``."""
    expected = secret.encode()

    async def receive(request: web.Request) -> web.Response:
        if secret_in_path:
            given = request.match_info["secret"].encode()
            if not hmac.compare_digest(given, expected):
                log.warning("webhook call on a wrong path, from %s", request.remote)
                return _refusal(404, "not found")
        else:
            given = request.headers.get(SECRET_HEADER, "").encode()
            if not hmac.compare_digest(given, expected):
                log.warning("webhook call without the right secret, from %s", request.remote)
                return _refusal(403, "forbidden")
        try:
            body = (await request.read()).decode()
            # Cleaned as every inbound update is; the raw body is stored (encrypted) and
            # cleaned the same way if the recovery pass ever takes it up.
            update = update_of(json.loads(body), application.bot)
        except (ValueError, RecursionError) as exc:  # bad UTF-8 or JSON, too deep, malformed
            # One line, never the body: it may hold a national code.
            reason = str(exc) if isinstance(exc, MalformedUpdate) else type(exc).__name__
            log.warning("webhook body is not a Telegram update: %s", reason)
            return _refusal(400, "not a Telegram update")
        processor = application.update_processor
        if isinstance(processor, ChatOrderedUpdates):
            processor.arrived_as(update.update_id, body)
        # Errors of the database propagate as a 500, so Telegram sends the update again.
        await processor.process_update(update, application.process_update(update))
        if isinstance(processor, ChatOrderedUpdates) and processor.postponed(update.update_id):
            # Its answer could not reach the chat for now: kept, and tried again by the
            # recovery pass; Telegram's own re-send (which this asks for) finds it waiting.
            return _refusal(503, "try again later")
        return web.json_response({"ok": True})

    # A route for any last segment, so the secret is compared in constant time, not by the
    # router's lookup.
    http.router.add_post(secret_path(path, "{secret}") if secret_in_path else path, receive)
