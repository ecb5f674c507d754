"""Delivering updates to the bot's webhook, one at a time and in order, as Telegram does."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time

from aiohttp import ClientError, ClientTimeout

from emulator.http_api import BotApiHttp
from emulator.params import (
    ApiError,
    JSONDict,
    Params,
)
from emulator.records import (
    ApiCall,
    Webhook,
)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookDelivery(BotApiHttp):
    """Posts pending updates to the webhook and runs a method answered in its body."""

    async def _stop_webhook_task(self) -> None:
        task, self._webhook_task = self._webhook_task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _webhook_loop(self) -> None:
        """Delivers pending updates one at a time, in order; retries until a 2xx."""
        attempt = 0
        while not self._closing and self._webhook is not None:
            if not self._updates:
                await self._updates_signal.wait(1.0)
                continue
            hook, update = self._webhook, self._updates[0]
            status, error, reply = await self._post_update(hook, update)
            self.webhook_deliveries.append(
                {
                    "update_id": update["update_id"],
                    "url": hook.url,
                    "status": status,
                    "error": error,
                    "time": time.time(),
                }
            )
            if error is None:
                if self._updates and self._updates[0] is update:
                    self._updates.pop(0)
                attempt = 0
                if reply is not None:
                    await self._run_webhook_reply(reply)
                continue
            hook.last_error_date, hook.last_error_message = int(time.time()), error
            delay = self.webhook_retry_delays[min(attempt, len(self.webhook_retry_delays) - 1)]
            attempt += 1
            await asyncio.sleep(delay)

    async def _post_update(
        self, hook: Webhook, update: JSONDict
    ) -> tuple[int | None, str | None, JSONDict | None]:
        assert self._session is not None
        headers = {"Content-Type": "application/json"}
        if hook.secret:
            headers[SECRET_HEADER] = hook.secret
        try:
            async with self._session.post(
                hook.url,
                data=json.dumps(update, ensure_ascii=False).encode(),
                headers=headers,
                timeout=ClientTimeout(total=self.webhook_timeout),
            ) as resp:
                body = await resp.read()
                if not 200 <= resp.status < 300:
                    return (
                        resp.status,
                        f"Wrong response from the webhook: {resp.status} {resp.reason}",
                        None,
                    )
                reply = None
                if resp.content_type == "application/json":
                    with contextlib.suppress(ValueError):
                        decoded = json.loads(body)
                        if isinstance(decoded, dict) and isinstance(decoded.get("method"), str):
                            reply = decoded
                return resp.status, None, reply
        except (ClientError, TimeoutError, OSError) as exc:
            return None, f"Connection failed: {exc!r}", None

    async def _run_webhook_reply(self, reply: JSONDict) -> None:
        """Executes a method returned in the webhook response body, as Telegram does."""
        method = str(reply.pop("method"))
        call = ApiCall(len(self.calls), method, reply, time.time())
        self.calls.append(call)
        try:
            await self._invoke(method, Params(reply), call)
        except ApiError as exc:
            call.ok, call.error_code, call.description = False, exc.code, exc.description
