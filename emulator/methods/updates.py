"""getUpdates and the webhook methods."""

from __future__ import annotations

import asyncio
import re
import time

from emulator.params import (
    ApiError,
    JSONDict,
    Params,
    bad_request,
)
from emulator.records import (
    ApiCall,
    Webhook,
)
from emulator.webhook_delivery import WebhookDelivery

_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")


class UpdateMethods(WebhookDelivery):
    """getUpdates (long polling) and set/delete/getWebhookInfo."""

    def _set_allowed_updates(self, params: Params) -> None:
        allowed = params.obj("allowed_updates")
        if allowed is None:
            return
        if not isinstance(allowed, list) or not all(isinstance(a, str) for a in allowed):
            raise bad_request("can't parse allowed_updates JSON object")
        self._allowed_updates = list(allowed) or None

    async def _get_updates(self, p: Params, call: ApiCall) -> list[JSONDict]:
        if self._webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is "
                "active; use deleteWebhook to delete the webhook first",
            )
        offset = p.integer("offset")
        limit = min(max(p.integer("limit") or 100, 1), 100)
        timeout = min(max(p.number("timeout") or 0.0, 0.0), 50.0)
        if not self.profile.long_poll:
            timeout = 0.0  # Bale may ignore the long-poll timeout: the bot must poll again
        self._set_allowed_updates(p)
        if offset is not None and offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset is not None and offset < 0:
            self._updates = self._updates[offset:]
        self._poll_generation += 1
        generation = self._poll_generation
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            self._last_get_updates = time.monotonic()
            if self._updates or self._closing or loop.time() >= deadline:
                return self._updates[:limit]
            await self._updates_signal.wait(deadline - loop.time())
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make "
                    "sure that only one bot instance is running",
                )
            if self._webhook is not None:
                raise ApiError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is "
                    "active; use deleteWebhook to delete the webhook first",
                )

    async def _set_webhook(self, p: Params, call: ApiCall) -> bool:
        url = p.text("url") or ""
        if not url:
            await self._remove_webhook(p.flag("drop_pending_updates"))
            return True
        if not url.startswith(("http://", "https://")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        # Bale's setWebhook takes the url only: a secret token is dropped, never checked.
        secret = (p.text("secret_token") or None) if self.profile.webhook_secret else None
        if secret is not None and not _SECRET_TOKEN.fullmatch(secret):
            raise bad_request("secret token contains unallowed characters")
        max_connections = p.integer("max_connections") or 40
        if not 1 <= max_connections <= 100:
            raise bad_request("bad webhook: max_connections must be between 1 and 100")
        self._set_allowed_updates(p)
        if p.flag("drop_pending_updates"):
            self._updates.clear()
        self._webhook = Webhook(url, secret, max_connections)
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.create_task(self._webhook_loop())
        self._updates_signal.fire()
        return True

    async def _delete_webhook(self, p: Params, call: ApiCall) -> bool:
        await self._remove_webhook(p.flag("drop_pending_updates"))
        return True

    async def _remove_webhook(self, drop_pending: bool) -> None:
        self._webhook = None
        if drop_pending:
            self._updates.clear()
        await self._stop_webhook_task()

    async def _get_webhook_info(self, p: Params, call: ApiCall) -> JSONDict:
        hook = self._webhook
        info: JSONDict = {
            "url": hook.url if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if hook is not None:
            info["max_connections"] = hook.max_connections
            info["ip_address"] = "127.0.0.1"
            if hook.last_error_date is not None:
                info["last_error_date"] = hook.last_error_date
                info["last_error_message"] = hook.last_error_message
        if self._allowed_updates:
            info["allowed_updates"] = self._allowed_updates
        return info
