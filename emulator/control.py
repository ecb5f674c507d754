"""The JSON control API under ``/_emulator/``, through which tests and the shell act."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from emulator.http_api import json_response
from emulator.methods.updates import UpdateMethods
from emulator.params import (
    EmulatorInputError,
    JSONDict,
    Params,
)
from emulator.records import (
    ApiCall,
    EmuChat,
)
from emulator.user_actions import UserActions
from emulator.users_and_groups import UsersAndGroups

log = logging.getLogger(__name__)


class ControlApi(UsersAndGroups, UserActions, UpdateMethods):
    """Routes ``/_emulator/...`` to the set-up, user actions and inspection."""

    def _add_control_routes(self, app: web.Application) -> None:
        routes: list[tuple[str, str, Callable[[web.Request], Awaitable[Any]]]] = [
            ("GET", "/_emulator/state", self._c_state),
            ("POST", "/_emulator/users", self._c_add_user),
            ("POST", "/_emulator/chats", self._c_add_group),
            ("GET", "/_emulator/chats/{chat_id}", self._c_chat),
            ("POST", "/_emulator/chats/{chat_id}/members", self._c_add_member),
            ("POST", "/_emulator/chats/{chat_id}/bot_status", self._c_bot_status),
            ("POST", "/_emulator/chats/{chat_id}/migrate", self._c_migrate),
            ("GET", "/_emulator/chats/{chat_id}/messages", self._c_messages),
            ("POST", "/_emulator/chats/{chat_id}/wait", self._c_wait),
            ("POST", "/_emulator/updates", self._c_updates),
            ("POST", "/_emulator/press", self._c_press),
            ("POST", "/_emulator/tap", self._c_tap),
            ("GET", "/_emulator/calls", self._c_calls),
            ("GET", "/_emulator/callback_answers", self._c_callback_answers),
            ("POST", "/_emulator/limits", self._c_limits),
            ("POST", "/_emulator/faults", self._c_faults),
            ("POST", "/_emulator/block", self._c_block),
            ("GET", "/_emulator/webhook", self._c_webhook),
        ]
        for verb, path, handler in routes:
            app.router.add_route(verb, path, self._control(handler))

    def _control(
        self, handler: Callable[[web.Request], Awaitable[Any]]
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def wrapped(request: web.Request) -> web.Response:
            try:
                result = await handler(request)
            except (EmulatorInputError, KeyError, TypeError, ValueError) as exc:
                return json_response({"ok": False, "error": _error_text(exc)}, status=400)
            except Exception as exc:
                log.exception("emulator control call failed")
                return json_response({"ok": False, "error": repr(exc)}, status=500)
            return json_response({"ok": True, "result": result})

        return wrapped

    def _upsert_actor(self, body: JSONDict) -> tuple[int, int]:
        """Registers body["user"] (and body["chat"], a group) as needed; returns ids."""
        user = body["user"]
        if isinstance(user, int):
            user_id = user
        else:
            user_id = int(user["id"])
            self.add_user(
                user_id,
                str(user.get("first_name") or f"User {user_id}"),
                user.get("last_name"),
                user.get("username"),
                user.get("language_code", "fa"),
            )
        chat = body.get("chat")
        if chat is None:
            return int(body.get("chat_id", user_id)), user_id
        chat_id = int(chat["id"])
        if chat_id < 0:
            if chat_id not in self._chats or "title" in chat:
                self.add_group(
                    chat_id,
                    str(chat.get("title") or f"Group {-chat_id}"),
                    chat_type=chat.get("type"),
                    username=chat.get("username"),
                )
            group = self._group(chat_id)
            status = body.get("status")
            if status or group.members.get(user_id) in (None, "left"):
                self.add_member(chat_id, user_id, str(status or "member"))
        return chat_id, user_id

    async def _c_state(self, request: web.Request) -> JSONDict:
        return {
            "messenger": self.messenger,
            "bot": self.bot_user,
            "seq": self._seq,
            "pending_updates": len(self._updates),
            "webhook_url": self._webhook.url if self._webhook else "",
            "limits": {
                "per_chat_per_second": self._per_chat_per_second,
                "per_group_per_minute": self._per_group_per_minute,
            },
            "commands": {k: v for k, v in self._commands.items()},
            "calls": len(self.calls),
            "unsupported_calls": [c.to_json() for c in self.unsupported_calls],
        }

    async def _c_add_user(self, request: web.Request) -> JSONDict:
        body = await _body(request)
        user = self.add_user(
            int(body["id"]),
            str(body["first_name"]),
            body.get("last_name"),
            body.get("username"),
            body.get("language_code", "fa"),
        )
        return user.to_dict()

    async def _c_add_group(self, request: web.Request) -> JSONDict:
        body = await _body(request)
        chat = self.add_group(
            int(body["id"]),
            str(body["title"]),
            chat_type=body.get("type"),
            username=body.get("username"),
            bot_status=str(body.get("bot_status", "member")),
        )
        return chat.to_dict()

    def _chat_json(self, chat: EmuChat) -> JSONDict:
        return {
            "chat": chat.to_dict(),
            "members": {str(k): v for k, v in chat.members.items()},
            "bot_status": chat.bot_status,
            "started": chat.started,
            "blocked": chat.blocked,
            "migrated_to": chat.migrated_to,
            "reply_keyboard": chat.reply_keyboard,
            "menu_button": chat.menu_button,
        }

    async def _c_chat(self, request: web.Request) -> JSONDict:
        chat = self._chats.get(int(request.match_info["chat_id"]))
        if chat is None:
            raise EmulatorInputError(f"unknown chat {request.match_info['chat_id']}")
        return self._chat_json(chat)

    async def _c_add_member(self, request: web.Request) -> JSONDict:
        chat_id = int(request.match_info["chat_id"])
        body = await _body(request)
        body["chat"] = {"id": chat_id}
        self._upsert_actor(body)
        return self._chat_json(self._group(chat_id))

    async def _c_bot_status(self, request: web.Request) -> JSONDict:
        chat_id = int(request.match_info["chat_id"])
        self.set_bot_status(chat_id, str((await _body(request))["status"]))
        return self._chat_json(self._group(chat_id))

    async def _c_migrate(self, request: web.Request) -> JSONDict:
        body = await _body(request)
        new = self.migrate_group(int(request.match_info["chat_id"]), int(body["to_chat_id"]))
        return new.to_dict()

    async def _c_messages(self, request: web.Request) -> list[JSONDict]:
        chat_id = int(request.match_info["chat_id"])
        include_user = request.query.get("include_user", "") in ("1", "true")
        return [r.to_json() for r in self.messages(chat_id, include_user)]

    async def _c_wait(self, request: web.Request) -> JSONDict:
        body = await _body(request)
        return await self.wait_for_activity(
            int(request.match_info["chat_id"]),
            int(body.get("since", 0)),
            float(body.get("timeout", 10.0)),
            float(body.get("quiet", 0.3)),
        )

    async def _c_updates(self, request: web.Request) -> JSONDict | None:
        body = await _body(request)
        if "raw" in body:
            return {"update_id": self.inject_update(dict(body["raw"])), "seq": self._seq}
        chat_id, user_id = self._upsert_actor(body)
        text = body.get("text")
        if body.get("command"):
            args = str(body.get("args") or "")
            text = f"/{body['command']}" + (f" {args}" if args else "")
        return self.inject_message(
            chat_id,
            user_id,
            text=text,
            entities=body.get("entities"),
            location=body.get("location"),
            contact=body.get("contact"),
            reply_to_message_id=body.get("reply_to_message_id"),
            photo=body.get("photo"),
        )

    async def _c_press(self, request: web.Request) -> JSONDict:
        body = await _body(request)
        chat_id, user_id = self._upsert_actor(body)
        message_id = body.get("message_id")
        data = body.get("data")
        return self.press(
            chat_id,
            user_id,
            str(body["label"]),
            int(message_id) if message_id is not None else None,
            str(data) if data is not None else None,
        )

    async def _c_tap(self, request: web.Request) -> JSONDict:
        body = await _body(request)
        chat_id, user_id = self._upsert_actor(body)
        return self.tap(
            chat_id,
            user_id,
            str(body["label"]),
            latitude=body.get("latitude"),
            longitude=body.get("longitude"),
            phone_number=body.get("phone_number"),
        )

    async def _c_calls(self, request: web.Request) -> list[JSONDict]:
        method = request.query.get("method")
        chat_id = request.query.get("chat_id")
        after = int(request.query.get("after", "-1"))
        return [
            c.to_json()
            for c in self.calls[after + 1 :]
            if (method is None or c.method.lower() == method.lower())
            and (chat_id is None or c.chat_id == int(chat_id))
        ]

    async def _c_callback_answers(self, request: web.Request) -> list[JSONDict]:
        chat_id = request.query.get("chat_id")
        return [a for a in self.callback_answers if chat_id is None or a["chat_id"] == int(chat_id)]

    async def _c_limits(self, request: web.Request) -> JSONDict:
        body = await _body(request)
        per_chat, per_group = body.get("per_chat_per_second"), body.get("per_group_per_minute")
        self.flood_limits(
            float(per_chat) if per_chat is not None else None,
            int(per_group) if per_group is not None else None,
        )
        return {
            "per_chat_per_second": self._per_chat_per_second,
            "per_group_per_minute": self._per_group_per_minute,
        }

    async def _c_faults(self, request: web.Request) -> bool:
        body = await _body(request)
        chat_id, retry_after = body.get("chat_id"), body.get("retry_after")
        self.fail(
            str(body["method"]),
            int(body.get("status", 500)),
            float(body.get("seconds", 10.0)),
            int(chat_id) if chat_id is not None else None,
            retry_after=int(retry_after) if retry_after is not None else None,
            description=body.get("description"),
        )
        return True

    async def _c_block(self, request: web.Request) -> bool:
        body = await _body(request)
        self.block_user(int(body["user_id"]), bool(body.get("blocked", True)))
        return True

    async def _c_webhook(self, request: web.Request) -> JSONDict:
        call = ApiCall(-1, "getWebhookInfo", {}, time.time())
        info: JSONDict = await self._get_webhook_info(Params({}), call)
        info["secret_token"] = self._webhook.secret if self._webhook else None
        info["deliveries"] = self.webhook_deliveries[-50:]
        return info


def _error_text(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    return str(exc)


async def _body(request: web.Request) -> JSONDict:
    raw = await request.read()
    if not raw:
        return {}
    body = json.loads(raw)
    if not isinstance(body, dict):
        raise EmulatorInputError("the body must be a JSON object")
    return body
