"""The emulator's state, and the look-ups and bookkeeping every part of it shares."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from collections.abc import Sequence

from aiohttp import ClientSession, web

from emulator.params import (
    ApiError,
    EmulatorInputError,
    JSONDict,
    Params,
    bad_request,
)
from emulator.profiles import Profile, profile_of
from emulator.records import (
    ApiCall,
    CallbackRecord,
    ChatEvent,
    EmuChat,
    EmuUser,
    Fault,
    MessageRecord,
    Signal,
    Webhook,
)

# Update types Telegram delivers when allowed_updates is empty or was never set.
_DEFAULT_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)
_ADMIN_RIGHTS: JSONDict = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
    "can_pin_messages": True,
}


FIRST_UPDATE_ID = 100_001


class EmulatorState:
    """Users, chats, messages and updates; the Bot API methods and the control API work on them."""

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        bot_username: str = "pishkhan_test_bot",
        bot_id: int | None = None,
        *,
        bot_first_name: str = "Pishkhan",
        privacy_mode: bool = True,
        webhook_retry_delays: Sequence[float] = (0.1, 0.2, 0.5, 1.0),
        webhook_timeout: float = 10.0,
        first_update_id: int = FIRST_UPDATE_ID,
        messenger: str = "telegram",
    ) -> None:
        self.profile: Profile = profile_of(messenger)
        self.token = token
        self.bot_username = bot_username
        prefix = token.split(":", 1)[0]
        self.bot_id = bot_id if bot_id is not None else (int(prefix) if prefix.isdigit() else 1)
        self.bot_first_name = bot_first_name
        self.privacy_mode = privacy_mode
        self.webhook_retry_delays = tuple(webhook_retry_delays) or (0.1,)
        self.webhook_timeout = webhook_timeout

        self.calls: list[ApiCall] = []
        self.callback_answers: list[JSONDict] = []
        self.webhook_deliveries: list[JSONDict] = []
        self._users: dict[int, EmuUser] = {}
        self._chats: dict[int, EmuChat] = {}
        self._messages: dict[int, dict[int, MessageRecord]] = {}
        self._events: dict[int, list[ChatEvent]] = {}
        self._callbacks: dict[str, CallbackRecord] = {}
        self._commands: dict[str, list[JSONDict]] = {}
        self._default_menu_button: JSONDict = {"type": "default"}
        # language_code -> text, for setMyDescription and setMyShortDescription.
        self._descriptions: dict[str, dict[str, str]] = {"description": {}, "short_description": {}}
        self._seq = 0
        self._ids = itertools.count(1)

        self._updates: list[JSONDict] = []
        # A bot remembers the update_ids it handled: one that keeps its store across runs
        # (the shell) asks for ids after the highest it has.
        self._next_update_id = first_update_id
        self._allowed_updates: list[str] | None = None
        self._poll_generation = 0
        self._last_get_updates: float | None = None
        self._webhook: Webhook | None = None
        self._webhook_task: asyncio.Task[None] | None = None

        self._faults: dict[str, Fault] = {}  # method (lower case) -> its injected failure
        self._per_chat_per_second: float | None = None
        self._per_group_per_minute: int | None = None
        self._last_send: dict[int, float] = {}
        self._group_sends: dict[int, deque[float]] = {}

        self._updates_signal = Signal()
        self._activity_signal = Signal()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None
        self._port: int | None = None
        self._host = "127.0.0.1"

    @property
    def messenger(self) -> str:
        """The messenger whose Bot API this emulator speaks: "telegram" or "bale"."""
        return self.profile.name

    @property
    def unsupported_calls(self) -> list[ApiCall]:
        """Calls of methods this messenger lacks (each answered 404 Not Found)."""
        return [c for c in self.calls if c.method.lower() in self.profile.missing_methods]

    @property
    def bot_user(self) -> JSONDict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    # --- look-ups and bookkeeping the methods share -------------------------------------------

    def _chat_id_of(self, params: Params) -> int | None:
        raw = params.raw("chat_id")
        if isinstance(raw, str) and raw.startswith("@"):
            found = self._chat_by_username(raw)
            return found.id if found else None
        try:
            return params.integer("chat_id")
        except ApiError:
            return None

    def _chat_by_username(self, name: str) -> EmuChat | None:
        wanted = name.removeprefix("@").lower()
        for chat in self._chats.values():
            if chat.type != "private" and (chat.username or "").lower() == wanted:
                return chat
        return None

    def _chat(self, params: Params, *, check_migrated: bool = True) -> EmuChat:
        raw = params.raw("chat_id")
        if raw in (None, ""):
            raise bad_request("chat_id is empty")
        if isinstance(raw, str) and raw.startswith("@"):
            chat = self._chat_by_username(raw)
        else:
            try:
                chat = self._chats.get(params.need_int("chat_id"))
            except ApiError:
                chat = None
        if chat is None:
            raise bad_request("chat not found")
        if check_migrated and chat.migrated_to is not None:
            raise bad_request(
                "group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": chat.migrated_to},
            )
        return chat

    def _writable_chat(self, params: Params) -> EmuChat:
        chat = self._chat(params)
        if chat.type == "private":
            if chat.blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if not chat.started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        elif chat.bot_status == "kicked":
            raise ApiError(403, f"Forbidden: bot was kicked from the {chat.kind} chat")
        elif chat.bot_status == "left":
            raise ApiError(403, f"Forbidden: bot is not a member of the {chat.kind} chat")
        return chat

    def _group(self, chat_id: int) -> EmuChat:
        chat = self._chats.get(chat_id)
        if chat is None or chat.type == "private":
            raise EmulatorInputError(f"unknown group {chat_id}")
        return chat

    def _next_message_id(self, chat: EmuChat) -> int:
        message_id = chat.next_message_id
        chat.next_message_id += 1
        return message_id

    def _store(self, record: MessageRecord, kind: str) -> None:
        self._messages.setdefault(record.chat_id, {})[record.message_id] = record
        self._seq += 1
        self._events.setdefault(record.chat_id, []).append(
            ChatEvent(self._seq, record.message_id, kind)
        )
        self._activity_signal.fire()

    def _queue_update(self, update: JSONDict) -> int | None:
        kind = next(iter(update))
        allowed = set(self._allowed_updates) if self._allowed_updates else _DEFAULT_UPDATE_TYPES
        if kind not in allowed:
            return None
        update_id = self._next_update_id
        self._next_update_id += 1
        self._updates.append({"update_id": update_id, **update})
        self._updates_signal.fire()
        return update_id

    def _member_object(self, user: JSONDict, status: str) -> JSONDict:
        if status == "creator":
            return {"status": "creator", "user": user, "is_anonymous": False}
        if status == "administrator":
            return {"status": "administrator", "user": user, **_ADMIN_RIGHTS}
        if status == "kicked":
            return {"status": "kicked", "user": user, "until_date": 0}
        return {"status": status, "user": user}

    # --- inspection ---------------------------------------------------------------------------

    def messages(self, chat_id: int, include_user: bool = False) -> list[MessageRecord]:
        return [r for r in self._messages.get(chat_id, {}).values() if include_user or r.from_bot]

    def chat(self, chat_id: int) -> EmuChat | None:
        return self._chats.get(chat_id)

    @property
    def pending_updates(self) -> list[JSONDict]:
        return list(self._updates)

    @property
    def seq(self) -> int:
        return self._seq

    def chat_changes(self, chat_id: int, since: int) -> tuple[list[MessageRecord], bool]:
        """Bot messages sent/edited/deleted after `since`, and whether one was sent or
        edited (deletions alone are no reply)."""
        events = [e for e in self._events.get(chat_id, []) if e.seq > since and e.kind != "user"]
        ids = sorted({e.message_id for e in events})
        records = self._messages.get(chat_id, {})
        replied = any(e.kind in ("sent", "edited") for e in events)
        return [records[i] for i in ids if i in records], replied

    async def wait_for_activity(
        self,
        chat_id: int,
        since: int,
        timeout: float = 10.0,  # noqa: ASYNC109 - a deadline reported back, not a cancel scope
        quiet: float = 0.3,
    ) -> JSONDict:
        """Waits until the bot sent or edited something in the chat after `since` and made
        no call about the chat for `quiet` seconds (or until timeout)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            changed, replied = self.chat_changes(chat_id, since)
            now = loop.time()
            chat = self._chats.get(chat_id)
            last_call = chat.last_call if chat else 0.0
            if replied and (now - last_call >= quiet or now >= deadline):
                return self._activity(chat_id, changed, done=True)
            if now >= deadline or self._closing:
                return self._activity(chat_id, changed, done=False)
            pause = deadline - now
            if replied:
                pause = min(pause, last_call + quiet - now)
            await self._activity_signal.wait(pause)

    def _activity(self, chat_id: int, changed: list[MessageRecord], done: bool) -> JSONDict:
        result: JSONDict = {
            "done": done,
            "seq": self._seq,
            "messages": [r.to_json() for r in changed],
        }
        if not done:
            result["calls"] = [c.to_json() for c in self.calls if c.chat_id == chat_id][-10:]
            result["pending_updates"] = len(self._updates)
            result["webhook_url"] = self._webhook.url if self._webhook else ""
            result["last_get_updates_age"] = (
                None
                if self._last_get_updates is None
                else round(time.monotonic() - self._last_get_updates, 2)
            )
        return result
