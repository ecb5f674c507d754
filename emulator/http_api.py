"""The Bot API over HTTP: ``/bot<TOKEN>/<method>`` calls dispatched to the methods."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from emulator.limits import Limits
from emulator.params import (
    ApiError,
    JSONDict,
    Params,
    UploadedFile,
    read_params,
)
from emulator.records import (
    ApiCall,
)

log = logging.getLogger(__name__)

Handler = Callable[[Params, ApiCall], Awaitable[Any]]


class BotApiHttp(Limits):
    """Answers Bot API calls in Telegram's shape (Bale's is the same), recording each in
    ``calls``."""

    @functools.cached_property
    def _methods(self) -> dict[str, Handler]:
        """Bot API method (lower case) -> handler."""
        return {name.lower(): handler for name, handler in self._method_handlers().items()}

    def _method_handlers(self) -> dict[str, Handler]:
        """Method name as Telegram spells it -> handler; the assembled emulator lists them."""
        raise NotImplementedError

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        call = ApiCall(len(self.calls), method, {}, time.time())
        self.calls.append(call)
        try:
            values = await read_params(request)
            call.params = {
                k: v.describe() if isinstance(v, UploadedFile) else v for k, v in values.items()
            }
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            result = await self._invoke(method, Params(values), call)
        except ApiError as exc:
            return self._api_error(call, exc)
        except Exception as exc:  # an emulator bug must still answer in Telegram's shape
            log.exception("emulator failed on %s", method)
            return self._api_error(call, ApiError(500, f"Internal Server Error: {exc!r}"))
        return json_response({"ok": True, "result": result})

    async def _invoke(self, method: str, params: Params, call: ApiCall) -> Any:
        call.chat_id = self._chat_id_of(params)
        handler = self._methods.get(method.lower())
        # A method this messenger lacks is recorded in ``calls`` like any other, then refused.
        if handler is None or method.lower() in self.profile.missing_methods:
            raise ApiError(404, "Not Found")
        self._check_fault(method, call.chat_id)
        try:
            return await handler(params, call)
        finally:
            chat = self._chats.get(call.chat_id) if call.chat_id is not None else None
            if chat is not None:
                chat.last_call = asyncio.get_running_loop().time()
                self._activity_signal.fire()

    def _api_error(self, call: ApiCall, exc: ApiError) -> web.Response:
        call.ok, call.error_code, call.description = False, exc.code, exc.description
        body: JSONDict = {"ok": False, "error_code": exc.code, "description": exc.description}
        if exc.parameters:
            body["parameters"] = exc.parameters
        return json_response(body, status=exc.code)

    async def _handle_unknown_path(self, request: web.Request) -> web.Response:
        return json_response(
            {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
        )


def json_response(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False))
