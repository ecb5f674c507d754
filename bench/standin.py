"""A lean local Bot API stand-in for load tests: answers every method the bot calls with a
well-formed result at once, remembers each chat's last messages (text and buttons) for the
simulated citizens to read and press, and tells waiting citizens when the bot wrote to
their chat. (The project's emulator checks much more, and costs more per call.)"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_ID = 777000
TOKEN = "777000:BENCH-STANDIN"

JSONDict = dict[str, Any]


@dataclass
class ChatView:
    """What a citizen sees of a chat: the bot's newest messages."""

    messages: list[JSONDict] = field(default_factory=list)
    waiters: list[asyncio.Future[None]] = field(default_factory=list)

    def newest_with_buttons(self) -> JSONDict | None:
        for message in reversed(self.messages):
            if message.get("reply_markup", {}).get("inline_keyboard"):
                return message
        return None


class BotApiStandIn:
    def __init__(self) -> None:
        self.chats: dict[int, ChatView] = defaultdict(ChatView)
        self.calls = 0
        self._ids = itertools.count(1)
        self._queries: dict[str, int] = {}  # callback query id → chat id
        self.runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self) -> None:
        app = web.Application(client_max_size=16 * 1024**2)
        app.router.add_post("/bot{token}/{method}", self._call)
        app.router.add_get("/bot{token}/{method}", self._call)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self.runner.addresses[0][1])

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    def expect(self, chat_id: int) -> asyncio.Future[None]:
        """Resolved the next time the bot writes to (or answers a button of) this chat."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.chats[chat_id].waiters.append(waiter)
        return waiter

    def query_of(self, query_id: str, chat_id: int) -> None:
        self._queries[query_id] = chat_id

    def _touched(self, chat_id: int) -> None:
        view = self.chats[chat_id]
        waiters, view.waiters = view.waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def _params(self, request: web.Request) -> JSONDict:
        if request.content_type == "application/json":
            body = await request.read()
            return json.loads(body) if body else {}
        form = await request.post()
        params: JSONDict = {}
        for key, value in form.items():
            text = value if isinstance(value, str) else ""
            if text[:1] in "{[":
                try:
                    params[key] = json.loads(text)
                    continue
                except ValueError:
                    pass
            params[key] = text
        return params

    def _message(self, chat_id: int, params: JSONDict, **extra: Any) -> JSONDict:
        message: JSONDict = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Pishkhan"},
            **extra,
        }
        if "text" in params:
            message["text"] = str(params["text"])
        markup = params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        view = self.chats[chat_id]
        view.messages.append(message)
        del view.messages[:-6]
        return message

    async def _call(self, request: web.Request) -> web.Response:
        self.calls += 1
        method = request.match_info["method"].lower()
        params = await self._params(request)
        result: Any = True
        chat_id = (
            int(params["chat_id"]) if str(params.get("chat_id", "")).lstrip("-").isdigit() else 0
        )
        if method == "getme":
            result = {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "Pishkhan",
                "username": "pishkhan_bench_bot",
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        elif method in ("sendmessage", "sendvenue", "sendlocation"):
            result = self._message(chat_id, params)
            self._touched(chat_id)
        elif method in ("editmessagetext", "editmessagereplymarkup"):
            result = self._message(chat_id, params, edit_date=int(time.time()))
            self._touched(chat_id)
        elif method == "deletemessage":
            self._touched(chat_id)
        elif method == "answercallbackquery":
            owner = self._queries.pop(str(params.get("callback_query_id")), None)
            if owner is not None:
                self._touched(owner)
        elif method == "getchatadministrators":
            result = []
        elif method == "getwebhookinfo":
            result = {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        return web.json_response({"ok": True, "result": result})
