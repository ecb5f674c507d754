"""A local emulator of the Telegram Bot API, served over real HTTP with aiohttp.

The unmodified python-telegram-bot talks to it through ``base_url=emulator.base_url``.
Besides the Bot API (``/bot<TOKEN>/<method>``) it serves a JSON control API under
``/_emulator/...`` through which tests and the terminal shell act as users and read what
the bot has sent (see :class:`bot.emulator.client.EmulatorClient`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import math
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout, web

from bot.emulator.formatting import (
    MAX_TEXT_LENGTH,
    EntityParseError,
    detect_commands,
    format_text,
)

log = logging.getLogger(__name__)

JSONDict = dict[str, Any]

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

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
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_INLINE_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
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


class ApiError(Exception):
    """A Bot API error answer: HTTP status = error_code."""

    def __init__(self, code: int, description: str, parameters: JSONDict | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


def bad_request(text: str, parameters: JSONDict | None = None) -> ApiError:
    return ApiError(400, f"Bad Request: {text}", parameters)


class EmulatorInputError(ValueError):
    """Invalid use of the control API (unknown chat, no such button, ...)."""


@dataclass(frozen=True)
class UploadedFile:
    filename: str | None
    content_type: str
    size: int

    def describe(self) -> JSONDict:
        return {"filename": self.filename, "content_type": self.content_type, "size": self.size}


class Params:
    """Request parameters as received (form strings, JSON values or query strings)."""

    def __init__(self, values: JSONDict) -> None:
        self.values = values

    def raw(self, name: str) -> Any:
        return self.values.get(name)

    def has(self, name: str) -> bool:
        return self.values.get(name) not in (None, "")

    def text(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        if isinstance(value, UploadedFile):
            raise bad_request(f"invalid {name}")
        return value if isinstance(value, str) else json.dumps(value)

    def need_text(self, name: str) -> str:
        value = self.text(name)
        if not value:
            raise bad_request(f"{name} is empty")
        return value

    def integer(self, name: str) -> int | None:
        value = self.values.get(name)
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            raise bad_request(f"invalid {name}")
        if isinstance(value, int):
            return value
        try:
            number = float(value) if isinstance(value, float) else float(str(value).strip())
        except ValueError:
            raise bad_request(f"invalid {name}") from None
        if not number.is_integer():
            raise bad_request(f"invalid {name}")
        return int(number)

    def need_int(self, name: str) -> int:
        value = self.integer(name)
        if value is None:
            raise bad_request(f"{name} is empty")
        return value

    def number(self, name: str) -> float | None:
        value = self.values.get(name)
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            raise bad_request(f"invalid {name}")
        try:
            result = float(value) if isinstance(value, int | float) else float(str(value))
        except ValueError:
            raise bad_request(f"invalid {name}") from None
        if not math.isfinite(result):
            raise bad_request(f"invalid {name}")
        return result

    def need_number(self, name: str) -> float:
        value = self.number(name)
        if value is None:
            raise bad_request(f"{name} is empty")
        return value

    def flag(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, bool):
            return value
        if value is None:
            return False
        return str(value).strip().lower() in ("true", "1", "yes")

    def obj(self, name: str) -> Any:
        """A JSON-serialized parameter (reply_markup, entities, ...), decoded."""
        value = self.values.get(name)
        if not isinstance(value, str):
            return value
        if value == "":
            return None
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {name} JSON object") from None


@dataclass
class EmuUser:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "fa"

    def to_dict(self) -> JSONDict:
        data: JSONDict = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        return data


@dataclass
class EmuChat:
    id: int
    type: str  # private | group | supergroup
    title: str | None = None
    username: str | None = None
    user: EmuUser | None = None  # the other side of a private chat
    members: dict[int, str] = field(default_factory=dict)  # user id -> status
    bot_status: str = "member"  # member | administrator | left | kicked (groups)
    started: bool = False  # private: the user has written to the bot
    blocked: bool = False  # private: the user blocked the bot
    migrated_to: int | None = None
    reply_keyboard: JSONDict | None = None  # the reply keyboard currently shown
    menu_button: JSONDict | None = None
    next_message_id: int = 1
    last_call: float = 0.0  # monotonic time of the last Bot API call about this chat

    def to_dict(self) -> JSONDict:
        if self.type == "private" and self.user is not None:
            data = self.user.to_dict()
            data.pop("is_bot")
            data.pop("language_code", None)
            data["type"] = "private"
            return data
        data = {"id": self.id, "type": self.type, "title": self.title or ""}
        if self.username:
            data["username"] = self.username
        return data

    @property
    def kind(self) -> str:
        return "supergroup" if self.type == "supergroup" else "group"


@dataclass
class MessageRecord:
    chat_id: int
    message_id: int
    from_bot: bool
    data: JSONDict  # the current Message object
    sent_at: float
    reply_markup: JSONDict | None = None  # markup as sent, reply keyboards included
    history: list[JSONDict] = field(default_factory=list)  # earlier versions, oldest first
    deleted: bool = False

    def to_json(self) -> JSONDict:
        return {
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "from_bot": self.from_bot,
            "message": self.data,
            "reply_markup": self.reply_markup,
            "history": self.history,
            "edited": bool(self.history),
            "deleted": self.deleted,
            "sent_at": self.sent_at,
        }


@dataclass
class ApiCall:
    index: int
    method: str
    params: JSONDict  # as received; PTB sends form fields, so numbers arrive as strings
    time: float
    chat_id: int | None = None
    ok: bool = True
    error_code: int | None = None
    description: str | None = None

    def to_json(self) -> JSONDict:
        return {
            "index": self.index,
            "method": self.method,
            "params": self.params,
            "time": self.time,
            "chat_id": self.chat_id,
            "ok": self.ok,
            "error_code": self.error_code,
            "description": self.description,
        }


@dataclass
class CallbackRecord:
    id: str
    chat_id: int
    message_id: int
    user_id: int
    data: str
    answered: bool = False


@dataclass
class _ChatEvent:
    seq: int
    message_id: int
    kind: str  # sent | edited | deleted | user


@dataclass
class _Webhook:
    url: str
    secret: str | None
    max_connections: int
    last_error_date: int | None = None
    last_error_message: str | None = None


class _Signal:
    """Wakes every waiter on fire(); waiters pass a timeout."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, seconds: float) -> None:
        event = self._event
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), max(seconds, 0.0))


Handler = Callable[[Params, ApiCall], Awaitable[Any]]


FIRST_UPDATE_ID = 100_001


class BotApiEmulator:
    """Telegram Bot API emulator; see the module docstring."""

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
    ) -> None:
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
        self._events: dict[int, list[_ChatEvent]] = {}
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
        self._webhook: _Webhook | None = None
        self._webhook_task: asyncio.Task[None] | None = None

        # method (lower case) -> (HTTP status, monotonic time the failure ends, chat or None)
        self._faults: dict[str, tuple[int, float, int | None]] = {}
        self._per_chat_per_second: float | None = None
        self._per_group_per_minute: int | None = None
        self._last_send: dict[int, float] = {}
        self._group_sends: dict[int, deque[float]] = {}

        self._updates_signal = _Signal()
        self._activity_signal = _Signal()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None
        self._port: int | None = None
        self._host = "127.0.0.1"

        self._methods: dict[str, Handler] = {
            name.lower(): handler
            for name, handler in {
                "getMe": self._get_me,
                "getUpdates": self._get_updates,
                "setWebhook": self._set_webhook,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "sendMessage": self._send_message,
                "sendLocation": self._send_location,
                "sendVenue": self._send_venue,
                "sendContact": self._send_contact,
                "sendPhoto": self._send_photo,
                "sendDocument": self._send_document,
                "sendChatAction": self._send_chat_action,
                "editMessageText": self._edit_message_text,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "answerCallbackQuery": self._answer_callback_query,
                "deleteMessage": self._delete_message,
                "deleteMessages": self._delete_messages,
                "setMyCommands": self._set_my_commands,
                "getMyCommands": self._get_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "setChatMenuButton": self._set_chat_menu_button,
                "setMyDescription": self._set_my_description,
                "getMyDescription": self._get_my_description,
                "setMyShortDescription": self._set_my_short_description,
                "getMyShortDescription": self._get_my_short_description,
                "getChatMenuButton": self._get_chat_menu_button,
                "getChat": self._get_chat,
                "getChatMember": self._get_chat_member,
                "getChatAdministrators": self._get_chat_administrators,
                "getChatMemberCount": self._get_chat_member_count,
                "leaveChat": self._leave_chat,
                "close": self._true,
                "logOut": self._true,
            }.items()
        }

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        self._add_control_routes(app)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown_path)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self._host = host
        self._port = int(self._runner.addresses[0][1])
        self._session = ClientSession()
        self._closing = False

    async def stop(self) -> None:
        self._closing = True
        self._updates_signal.fire()
        self._activity_signal.fire()
        await self._stop_webhook_task()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> BotApiEmulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the emulator is not started")
        return self._port

    @property
    def root_url(self) -> str:
        return f"http://{self._host}:{self.port}"

    @property
    def base_url(self) -> str:
        """PTB's base_url form: PTB appends the token."""
        return f"{self.root_url}/bot"

    @property
    def bot_user(self) -> JSONDict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    # --- set-up for tests ---------------------------------------------------------------------

    def add_user(
        self,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "fa",
    ) -> EmuUser:
        """Creates or updates a user and its private chat (chat id = user id)."""
        if user_id <= 0:
            raise EmulatorInputError("user ids are positive")
        user = self._users.get(user_id)
        if user is None:
            user = self._users[user_id] = EmuUser(user_id, first_name)
        user.first_name = first_name
        user.last_name, user.username, user.language_code = last_name, username, language_code
        if user_id not in self._chats:
            self._chats[user_id] = EmuChat(user_id, "private", user=user)
        return user

    def add_group(
        self,
        chat_id: int,
        title: str,
        *,
        chat_type: str | None = None,
        username: str | None = None,
        bot_status: str = "member",
    ) -> EmuChat:
        """Creates or updates a group (negative id; -100... means a supergroup)."""
        if chat_id >= 0:
            raise EmulatorInputError("group chat ids are negative")
        kind = chat_type or ("supergroup" if str(chat_id).startswith("-100") else "group")
        if kind not in ("group", "supergroup"):
            raise EmulatorInputError(f"unknown group type {kind!r}")
        if bot_status not in ("member", "administrator", "left", "kicked"):
            raise EmulatorInputError(f"unknown bot status {bot_status!r}")
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = EmuChat(chat_id, kind, bot_status=bot_status)
        chat.title, chat.username, chat.type = title, username, kind
        return chat

    def add_member(self, chat_id: int, user_id: int, status: str = "member") -> None:
        """Puts a known user into a group (creator | administrator | member)."""
        chat = self._group(chat_id)
        if user_id not in self._users:
            raise EmulatorInputError(f"unknown user {user_id}")
        if status not in ("creator", "administrator", "member", "left", "kicked"):
            raise EmulatorInputError(f"unknown member status {status!r}")
        chat.members[user_id] = status

    def set_bot_status(self, chat_id: int, status: str) -> None:
        chat = self._group(chat_id)
        if status not in ("member", "administrator", "left", "kicked"):
            raise EmulatorInputError(f"unknown bot status {status!r}")
        chat.bot_status = status

    def fail(
        self, method: str, status: int = 500, seconds: float = 10.0, chat_id: int | None = None
    ) -> None:
        """``method`` answers ``status`` (an outage of Telegram's, 500, 502...) for the next
        ``seconds``, for every chat or only ``chat_id``'s; ``seconds=0`` ends it."""
        ends = time.monotonic() + seconds
        if seconds <= 0:
            self._faults.pop(method.lower(), None)
        else:
            self._faults[method.lower()] = (status, ends, chat_id)

    def _check_fault(self, method: str, chat_id: int | None) -> None:
        fault = self._faults.get(method.lower())
        if fault is None:
            return
        status, ends, only = fault
        if time.monotonic() >= ends:
            del self._faults[method.lower()]
        elif only is None or only == chat_id:
            raise ApiError(status, "Internal Server Error" if status == 500 else "Bad Gateway")

    def flood_limits(
        self, per_chat_per_second: float | None = None, per_group_per_minute: int | None = None
    ) -> None:
        """Answers excess sends with 429 and retry_after; None switches a limit off."""
        self._per_chat_per_second = per_chat_per_second or None
        self._per_group_per_minute = per_group_per_minute or None
        self._last_send.clear()
        self._group_sends.clear()

    def block_user(self, user_id: int, blocked: bool = True) -> None:
        """The user blocks (or unblocks) the bot: sends answer 403, as in Telegram."""
        chat = self._chats.get(user_id)
        if chat is None or chat.type != "private" or chat.user is None:
            raise EmulatorInputError(f"unknown user {user_id}")
        if chat.blocked == blocked:
            return
        chat.blocked = blocked
        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        self._queue_update(
            {
                "my_chat_member": {
                    "chat": chat.to_dict(),
                    "from": chat.user.to_dict(),
                    "date": int(time.time()),
                    "old_chat_member": self._member_object(self.bot_user, old),
                    "new_chat_member": self._member_object(self.bot_user, new),
                }
            }
        )

    def migrate_group(self, chat_id: int, to_chat_id: int) -> EmuChat:
        """Upgrades a group to a supergroup: the old id answers 400 with migrate_to_chat_id."""
        old = self._group(chat_id)
        if not str(to_chat_id).startswith("-100"):
            raise EmulatorInputError("a supergroup id starts with -100")
        new = self.add_group(
            to_chat_id, old.title or "", chat_type="supergroup", bot_status=old.bot_status
        )
        new.members = dict(old.members)
        old.migrated_to = to_chat_id
        now = int(time.time())
        self._queue_update(
            {
                "message": {
                    "message_id": self._next_message_id(old),
                    "from": self.bot_user,
                    "chat": old.to_dict(),
                    "date": now,
                    "migrate_to_chat_id": to_chat_id,
                }
            }
        )
        self._queue_update(
            {
                "message": {
                    "message_id": self._next_message_id(new),
                    "from": self.bot_user,
                    "chat": new.to_dict(),
                    "date": now,
                    "migrate_from_chat_id": chat_id,
                }
            }
        )
        return new

    # --- acting as users ----------------------------------------------------------------------

    def inject_message(
        self,
        chat_id: int,
        user_id: int,
        *,
        text: str | None = None,
        entities: list[JSONDict] | None = None,
        location: JSONDict | None = None,
        contact: JSONDict | None = None,
        reply_to_message_id: int | None = None,
        photo: JSONDict | None = None,
    ) -> JSONDict:
        """A user writes in a chat (or sends a photo: ``{"file_id", "caption"}``); returns
        message_id, update_id (None if the bot does not receive it, e.g. group privacy
        mode), delivered and seq."""
        chat, user = self._acting(chat_id, user_id)
        msg: JSONDict = {
            "message_id": self._next_message_id(chat),
            "from": user.to_dict(),
            "chat": chat.to_dict(),
            "date": int(time.time()),
        }
        if reply_to_message_id is not None:
            replied = self._messages.get(chat.id, {}).get(reply_to_message_id)
            if replied is None or replied.deleted:
                raise EmulatorInputError(f"no message {reply_to_message_id} in chat {chat.id}")
            msg["reply_to_message"] = _without_reply(replied.data)
        if text is not None:
            if not text.strip():
                raise EmulatorInputError("empty text")
            msg["text"] = text
            found = entities if entities is not None else detect_commands(text)
            if found:
                msg["entities"] = found
        elif location is not None:
            msg["location"] = {
                "latitude": float(location["latitude"]),
                "longitude": float(location["longitude"]),
            }
        elif contact is not None:
            if not contact.get("phone_number"):
                raise EmulatorInputError("a contact needs phone_number")
            card = {
                "phone_number": str(contact["phone_number"]),
                "first_name": str(contact.get("first_name") or user.first_name),
            }
            for key in ("last_name", "user_id", "vcard"):
                if contact.get(key) is not None:
                    card[key] = contact[key]
            msg["contact"] = card
        elif photo is not None:
            file_id = str(photo.get("file_id") or f"emu-photo-{next(self._ids)}")
            msg["photo"] = [
                {"file_id": f"{file_id}-small", "file_unique_id": f"u{file_id}s",
                 "width": 90, "height": 120},
                {"file_id": file_id, "file_unique_id": f"u{file_id}",
                 "width": 960, "height": 1280},
            ]  # fmt: skip
            if photo.get("caption"):
                msg["caption"] = str(photo["caption"])
        else:
            raise EmulatorInputError("a message needs text, location, contact or photo")
        if chat.type == "private":
            chat.started = True
            chat.blocked = False
        self._store(MessageRecord(chat.id, msg["message_id"], False, msg, time.time()), "user")
        delivered = self._bot_receives(chat, msg)
        update_id = self._queue_update({"message": msg}) if delivered else None
        return {
            "message_id": msg["message_id"],
            "update_id": update_id,
            "delivered": delivered,
            "seq": self._seq,
        }

    def press(
        self,
        chat_id: int,
        user_id: int,
        label: str,
        message_id: int | None = None,
        data: str | None = None,
    ) -> JSONDict:
        """Presses an inline callback button (exact label, else a unique label containing it)
        on the newest bot message showing it; returns callback_query_id, update_id, seq.

        ``data`` replaces the button's callback data, as a message drawn by an older version
        of the bot, or a forged client, would send it.
        """
        chat, user = self._acting(chat_id, user_id)
        record, button = self._find_inline_button(chat, label, message_id)
        if "callback_data" not in button:
            raise EmulatorInputError(
                f"button {button.get('text')!r} is not a callback button: {button}"
            )
        if data is not None:
            button = {**button, "callback_data": data}
        query_id = str(4_000_000_000_000 + next(self._ids))
        self._callbacks[query_id] = CallbackRecord(
            query_id, chat.id, record.message_id, user.id, str(button["callback_data"])
        )
        update_id = self._queue_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user.to_dict(),
                    "message": record.data,
                    "chat_instance": str(abs(chat.id) * 7919 % 10**15),
                    "data": button["callback_data"],
                }
            }
        )
        return {
            "callback_query_id": query_id,
            "update_id": update_id,
            "message_id": record.message_id,
            "data": button["callback_data"],
            "seq": self._seq,
        }

    def tap(
        self,
        chat_id: int,
        user_id: int,
        label: str,
        *,
        latitude: float | None = None,
        longitude: float | None = None,
        phone_number: str | None = None,
    ) -> JSONDict:
        """Taps a button of the reply keyboard currently shown in the chat."""
        chat, user = self._acting(chat_id, user_id)
        keyboard = chat.reply_keyboard
        if not keyboard:
            raise EmulatorInputError(f"no reply keyboard is shown in chat {chat.id}")
        rows: list[list[JSONDict]] = keyboard["keyboard"]
        button = _pick_button(
            [b for row in rows for b in row],
            label,
            lambda: f"reply keyboard in chat {chat.id}: {_labels(rows)}",
        )
        if button.get("request_location"):
            if latitude is None or longitude is None:
                raise EmulatorInputError(f"button {label!r} shares a location: give lat/lon")
            return self.inject_message(
                chat.id, user.id, location={"latitude": latitude, "longitude": longitude}
            )
        if button.get("request_contact"):
            if not phone_number:
                raise EmulatorInputError(f"button {label!r} shares a contact: give a phone")
            return self.inject_message(
                chat.id,
                user.id,
                contact={
                    "phone_number": phone_number,
                    "first_name": user.first_name,
                    "last_name": user.last_name,
                    "user_id": user.id,
                },
            )
        unsupported = [k for k in button if k != "text" and button[k]]
        if unsupported:
            raise EmulatorInputError(f"button {label!r} uses unsupported {unsupported}")
        return self.inject_message(chat.id, user.id, text=str(button["text"]))

    def inject_update(self, update: JSONDict) -> int | None:
        """Queues a raw update (update_id is assigned); None if allowed_updates filters it."""
        update = {k: v for k, v in update.items() if k != "update_id"}
        return self._queue_update(update)

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

    # --- Bot API: HTTP ------------------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        call = ApiCall(len(self.calls), method, {}, time.time())
        self.calls.append(call)
        try:
            values = await _read_params(request)
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
        return _json_response({"ok": True, "result": result})

    async def _invoke(self, method: str, params: Params, call: ApiCall) -> Any:
        handler = self._methods.get(method.lower())
        if handler is None:
            raise ApiError(404, "Not Found")
        call.chat_id = self._chat_id_of(params)
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
        return _json_response(body, status=exc.code)

    async def _handle_unknown_path(self, request: web.Request) -> web.Response:
        return _json_response(
            {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
        )

    # --- Bot API: chats -----------------------------------------------------------------------

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

    # --- Bot API: updates and webhooks --------------------------------------------------------

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
        secret = p.text("secret_token") or None
        if secret is not None and not _SECRET_TOKEN.fullmatch(secret):
            raise bad_request("secret token contains unallowed characters")
        max_connections = p.integer("max_connections") or 40
        if not 1 <= max_connections <= 100:
            raise bad_request("bad webhook: max_connections must be between 1 and 100")
        self._set_allowed_updates(p)
        if p.flag("drop_pending_updates"):
            self._updates.clear()
        self._webhook = _Webhook(url, secret, max_connections)
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

    async def _stop_webhook_task(self) -> None:
        task, self._webhook_task = self._webhook_task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

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
        self, hook: _Webhook, update: JSONDict
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

    # --- Bot API: sending ---------------------------------------------------------------------

    def _check_flood(self, chat: EmuChat) -> None:
        now = time.monotonic()
        rate = self._per_chat_per_second
        if rate:
            last = self._last_send.get(chat.id)
            interval = 1.0 / rate
            if last is not None and now - last < interval:
                _raise_flood(interval - (now - last))
        limit = self._per_group_per_minute
        if limit and chat.type != "private":
            window = self._group_sends.setdefault(chat.id, deque())
            while window and window[0] <= now - 60.0:
                window.popleft()
            if len(window) >= limit:
                _raise_flood(window[0] + 60.0 - now)

    def _count_send(self, chat: EmuChat) -> None:
        now = time.monotonic()
        self._last_send[chat.id] = now
        if chat.type != "private":
            self._group_sends.setdefault(chat.id, deque()).append(now)

    def _formatted(
        self, p: Params, text: str, mode_key: str, entities_key: str
    ) -> tuple[str, list[JSONDict]]:
        try:
            return format_text(text, p.text(mode_key), p.obj(entities_key))
        except EntityParseError as exc:
            raise bad_request(f"can't parse entities: {exc}") from None
        except ValueError as exc:
            raise bad_request(str(exc)) from None

    def _markup(self, p: Params, *, inline_only: bool = False) -> JSONDict | None:
        markup = p.obj("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = _validate_inline_keyboard(markup["inline_keyboard"])
            return {"inline_keyboard": rows} if rows else None
        if inline_only:
            raise bad_request("inline keyboard expected")
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise bad_request('field "keyboard" must be an Array of Arrays')
            normal = [[_keyboard_button(b) for b in row] for row in rows]
            if not any(normal):
                raise bad_request("keyboard must be non-empty")
            return {**markup, "keyboard": normal}
        if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
            return markup
        raise bad_request("can't parse reply keyboard markup JSON object")

    def _reply_to(self, chat: EmuChat, p: Params) -> JSONDict | None:
        target = p.integer("reply_to_message_id")
        allow_missing = p.flag("allow_sending_without_reply")
        reply_parameters = p.obj("reply_parameters")
        if isinstance(reply_parameters, dict):
            target = reply_parameters.get("message_id")
            allow_missing = bool(reply_parameters.get("allow_sending_without_reply"))
        if target is None:
            return None
        record = self._messages.get(chat.id, {}).get(int(target))
        if record is None or record.deleted:
            if allow_missing:
                return None
            raise bad_request("message to be replied not found")
        return _without_reply(record.data)

    def _send(
        self, chat: EmuChat, content: JSONDict, p: Params, markup: JSONDict | None
    ) -> JSONDict:
        self._check_flood(chat)
        reply_to = self._reply_to(chat, p)
        msg: JSONDict = {
            "message_id": self._next_message_id(chat),
            "from": self.bot_user,
            "chat": chat.to_dict(),
            "date": int(time.time()),
        }
        if reply_to is not None:
            msg["reply_to_message"] = reply_to
        msg.update(content)
        if markup is not None and "inline_keyboard" in markup:
            msg["reply_markup"] = markup
        elif markup is not None and "keyboard" in markup:
            chat.reply_keyboard = markup
        elif markup is not None and markup.get("remove_keyboard"):
            chat.reply_keyboard = None
        self._count_send(chat)
        record = MessageRecord(chat.id, msg["message_id"], True, msg, time.time(), markup)
        self._store(record, "sent")
        return msg

    async def _send_message(self, p: Params, call: ApiCall) -> JSONDict:
        chat = self._writable_chat(p)
        raw = p.text("text")
        if not raw:
            raise bad_request("message text is empty")
        text, entities = self._formatted(p, raw, "parse_mode", "entities")
        if not text:
            raise bad_request("message text is empty")
        if len(text) > MAX_TEXT_LENGTH:
            raise bad_request("message is too long")
        content: JSONDict = {"text": text}
        if entities:
            content["entities"] = entities
        return self._send(chat, content, p, self._markup(p))

    def _location(self, p: Params) -> JSONDict:
        lat, lon = p.need_number("latitude"), p.need_number("longitude")
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise bad_request("wrong latitude or longitude")
        location: JSONDict = {"latitude": lat, "longitude": lon}
        for key in ("horizontal_accuracy", "live_period", "heading", "proximity_alert_radius"):
            if p.has(key):
                location[key] = p.number(key)
        return location

    async def _send_location(self, p: Params, call: ApiCall) -> JSONDict:
        chat = self._writable_chat(p)
        return self._send(chat, {"location": self._location(p)}, p, self._markup(p))

    async def _send_venue(self, p: Params, call: ApiCall) -> JSONDict:
        chat = self._writable_chat(p)
        location = self._location(p)
        venue: JSONDict = {
            "location": location,
            "title": p.need_text("title"),
            "address": p.need_text("address"),
        }
        for key in ("foursquare_id", "foursquare_type", "google_place_id", "google_place_type"):
            if p.has(key):
                venue[key] = p.text(key)
        return self._send(chat, {"location": location, "venue": venue}, p, self._markup(p))

    async def _send_contact(self, p: Params, call: ApiCall) -> JSONDict:
        chat = self._writable_chat(p)
        contact: JSONDict = {
            "phone_number": p.need_text("phone_number"),
            "first_name": p.need_text("first_name"),
        }
        for key in ("last_name", "vcard"):
            if p.has(key):
                contact[key] = p.text(key)
        return self._send(chat, {"contact": contact}, p, self._markup(p))

    def _file(self, p: Params, key: str) -> JSONDict:
        raw = p.raw(key)
        if raw in (None, ""):
            raise bad_request(f"there is no {key} in the request")
        if isinstance(raw, str) and raw.startswith("attach://"):
            raw = p.raw(raw.removeprefix("attach://"))
        file_id = f"emu-file-{next(self._ids)}"
        info: JSONDict = {"file_id": file_id, "file_unique_id": f"u{file_id}"}
        if isinstance(raw, UploadedFile):
            info["file_size"] = raw.size
            if raw.filename:
                info["file_name"] = raw.filename
            info["mime_type"] = raw.content_type
        return info

    def _caption(self, p: Params) -> JSONDict:
        raw = p.text("caption")
        if not raw:
            return {}
        text, entities = self._formatted(p, raw, "parse_mode", "caption_entities")
        if len(text) > 1024:
            raise bad_request("message caption is too long")
        content: JSONDict = {"caption": text} if text else {}
        if entities:
            content["caption_entities"] = entities
        return content

    async def _send_photo(self, p: Params, call: ApiCall) -> JSONDict:
        chat = self._writable_chat(p)
        info = self._file(p, "photo")
        photo = {
            "file_id": info["file_id"],
            "file_unique_id": info["file_unique_id"],
            "width": 800,
            "height": 600,
            "file_size": info.get("file_size", 0),
        }
        return self._send(chat, {"photo": [photo], **self._caption(p)}, p, self._markup(p))

    async def _send_document(self, p: Params, call: ApiCall) -> JSONDict:
        chat = self._writable_chat(p)
        document = self._file(p, "document")
        return self._send(chat, {"document": document, **self._caption(p)}, p, self._markup(p))

    async def _send_chat_action(self, p: Params, call: ApiCall) -> bool:
        self._writable_chat(p)
        if p.text("action") not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    # --- Bot API: editing and deleting --------------------------------------------------------

    def _editable(self, p: Params) -> MessageRecord:
        if p.has("inline_message_id"):
            raise bad_request("message to edit not found")
        chat = self._chat(p)
        if chat.type == "private" and chat.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        record = self._messages.get(chat.id, {}).get(p.need_int("message_id"))
        if record is None or record.deleted:
            raise bad_request("message to edit not found")
        if not record.from_bot:
            raise bad_request("message can't be edited")
        return record

    def _apply_edit(self, record: MessageRecord, new: JSONDict) -> JSONDict:
        if all(new.get(k) == record.data.get(k) for k in ("text", "entities", "reply_markup")):
            raise bad_request(_NOT_MODIFIED)
        record.history.append(record.data)
        new["edit_date"] = int(time.time())
        record.data = new
        record.reply_markup = new.get("reply_markup")
        self._store(record, "edited")
        return new

    async def _edit_message_text(self, p: Params, call: ApiCall) -> JSONDict:
        record = self._editable(p)
        if "text" not in record.data:
            raise bad_request("there is no text in the message to edit")
        raw = p.text("text")
        if not raw:
            raise bad_request("message text is empty")
        text, entities = self._formatted(p, raw, "parse_mode", "entities")
        if not text:
            raise bad_request("message text is empty")
        if len(text) > MAX_TEXT_LENGTH:
            raise bad_request("MESSAGE_TOO_LONG")
        markup = self._markup(p, inline_only=True)
        new = {
            k: v
            for k, v in record.data.items()
            if k not in ("text", "entities", "reply_markup", "edit_date")
        }
        new["text"] = text
        if entities:
            new["entities"] = entities
        if markup is not None:
            new["reply_markup"] = markup
        return self._apply_edit(record, new)

    async def _edit_message_reply_markup(self, p: Params, call: ApiCall) -> JSONDict:
        record = self._editable(p)
        markup = self._markup(p, inline_only=True)
        new = {k: v for k, v in record.data.items() if k not in ("reply_markup", "edit_date")}
        if markup is not None:
            new["reply_markup"] = markup
        return self._apply_edit(record, new)

    def _delete(self, chat: EmuChat, message_id: int) -> None:
        record = self._messages.get(chat.id, {}).get(message_id)
        if record is None or record.deleted:
            raise bad_request("message to delete not found")
        if chat.type != "private" and not record.from_bot and chat.bot_status != "administrator":
            raise bad_request("message can't be deleted")
        record.deleted = True
        self._store(record, "deleted")

    async def _delete_message(self, p: Params, call: ApiCall) -> bool:
        self._delete(self._chat(p), p.need_int("message_id"))
        return True

    async def _delete_messages(self, p: Params, call: ApiCall) -> bool:
        chat = self._chat(p)
        ids = p.obj("message_ids")
        if not isinstance(ids, list) or not ids or len(ids) > 100:
            raise bad_request("message_ids must be a non-empty array of at most 100 ids")
        for message_id in ids:
            with contextlib.suppress(ApiError):
                self._delete(chat, int(message_id))
        return True

    def _store(self, record: MessageRecord, kind: str) -> None:
        self._messages.setdefault(record.chat_id, {})[record.message_id] = record
        self._seq += 1
        self._events.setdefault(record.chat_id, []).append(
            _ChatEvent(self._seq, record.message_id, kind)
        )
        self._activity_signal.fire()

    # --- Bot API: callbacks, commands, chats --------------------------------------------------

    async def _answer_callback_query(self, p: Params, call: ApiCall) -> bool:
        query_id = p.need_text("callback_query_id")
        query = self._callbacks.get(query_id)
        if query is None or query.answered:
            raise bad_request(_QUERY_TOO_OLD)
        call.chat_id = query.chat_id
        text = p.text("text") or ""
        if len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        query.answered = True
        self.callback_answers.append(
            {
                "callback_query_id": query_id,
                "chat_id": query.chat_id,
                "message_id": query.message_id,
                "data": query.data,
                "text": text,
                "show_alert": p.flag("show_alert"),
                "url": p.text("url"),
                "time": time.time(),
            }
        )
        return True

    def _commands_key(self, p: Params) -> str:
        scope = p.obj("scope") or {"type": "default"}
        if not isinstance(scope, dict) or not isinstance(scope.get("type"), str):
            raise bad_request("can't parse scope JSON object")
        return json.dumps(scope, sort_keys=True) + "|" + (p.text("language_code") or "")

    async def _set_my_commands(self, p: Params, call: ApiCall) -> bool:
        commands = p.obj("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("commands must be an array of at most 100 commands")
        clean: list[JSONDict] = []
        for item in commands:
            if not isinstance(item, dict) or not _COMMAND_NAME.fullmatch(
                str(item.get("command", ""))
            ):
                raise bad_request("BOT_COMMAND_INVALID")
            description = str(item.get("description", "")).strip()
            if not 1 <= len(description) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            clean.append({"command": item["command"], "description": description})
        key = self._commands_key(p)
        if clean:
            self._commands[key] = clean
        else:
            self._commands.pop(key, None)
        return True

    async def _get_my_commands(self, p: Params, call: ApiCall) -> list[JSONDict]:
        return self._commands.get(self._commands_key(p), [])

    async def _delete_my_commands(self, p: Params, call: ApiCall) -> bool:
        self._commands.pop(self._commands_key(p), None)
        return True

    def _set_description(self, kind: str, limit: int, p: Params) -> bool:
        text = p.text(kind) or ""
        if len(text) > limit:
            raise bad_request(f"{kind.upper()}_INVALID")
        language = p.text("language_code") or ""
        if text:
            self._descriptions[kind][language] = text
        else:
            self._descriptions[kind].pop(language, None)
        return True

    def _get_description(self, kind: str, p: Params) -> JSONDict:
        texts = self._descriptions[kind]
        return {kind: texts.get(p.text("language_code") or "", texts.get("", ""))}

    async def _set_my_description(self, p: Params, call: ApiCall) -> bool:
        return self._set_description("description", 512, p)

    async def _get_my_description(self, p: Params, call: ApiCall) -> JSONDict:
        return self._get_description("description", p)

    async def _set_my_short_description(self, p: Params, call: ApiCall) -> bool:
        return self._set_description("short_description", 120, p)

    async def _get_my_short_description(self, p: Params, call: ApiCall) -> JSONDict:
        return self._get_description("short_description", p)

    async def _set_chat_menu_button(self, p: Params, call: ApiCall) -> bool:
        button = p.obj("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in (
            "default",
            "commands",
            "web_app",
        ):
            raise bad_request("can't parse menu_button JSON object")
        if p.has("chat_id"):
            chat = self._chat(p)
            if chat.type != "private":
                raise bad_request("menu button can be set only in private chats")
            chat.menu_button = button
        else:
            self._default_menu_button = button
        return True

    async def _get_chat_menu_button(self, p: Params, call: ApiCall) -> JSONDict:
        if p.has("chat_id"):
            chat = self._chat(p)
            return chat.menu_button or self._default_menu_button
        return self._default_menu_button

    async def _get_chat(self, p: Params, call: ApiCall) -> JSONDict:
        chat = self._chat(p, check_migrated=False)
        info = chat.to_dict()
        info.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        if chat.migrated_to is not None:
            info["migrate_to_chat_id"] = chat.migrated_to  # not in the Bot API; for debugging
        return info

    def _member_object(self, user: JSONDict, status: str) -> JSONDict:
        if status == "creator":
            return {"status": "creator", "user": user, "is_anonymous": False}
        if status == "administrator":
            return {"status": "administrator", "user": user, **_ADMIN_RIGHTS}
        if status == "kicked":
            return {"status": "kicked", "user": user, "until_date": 0}
        return {"status": status, "user": user}

    async def _get_chat_member(self, p: Params, call: ApiCall) -> JSONDict:
        chat = self._chat(p)
        user_id = p.need_int("user_id")
        if user_id == self.bot_id:
            status = "member" if chat.type == "private" else chat.bot_status
            return self._member_object(self.bot_user, status)
        user = self._users.get(user_id)
        if user is None:
            raise bad_request("user not found")
        if chat.type == "private":
            status = "member" if user_id == chat.id else "left"
        else:
            status = chat.members.get(user_id, "left")
        return self._member_object(user.to_dict(), status)

    async def _get_chat_administrators(self, p: Params, call: ApiCall) -> list[JSONDict]:
        chat = self._chat(p)
        if chat.type == "private":
            raise bad_request("there are no administrators in the private chat")
        admins = [
            self._member_object(self._users[uid].to_dict(), status)
            for uid, status in chat.members.items()
            if status in ("creator", "administrator")
        ]
        if chat.bot_status == "administrator":
            admins.append(self._member_object(self.bot_user, "administrator"))
        return admins

    async def _get_chat_member_count(self, p: Params, call: ApiCall) -> int:
        chat = self._chat(p)
        if chat.type == "private":
            return 2
        present = [s for s in chat.members.values() if s not in ("left", "kicked")]
        return len(present) + (chat.bot_status in ("member", "administrator"))

    async def _leave_chat(self, p: Params, call: ApiCall) -> bool:
        chat = self._chat(p)
        if chat.type == "private":
            raise bad_request("chat member status can't be changed in private chats")
        if chat.bot_status in ("left", "kicked"):
            raise ApiError(403, f"Forbidden: bot is not a member of the {chat.kind} chat")
        old, chat.bot_status = chat.bot_status, "left"
        self._queue_update(
            {
                "my_chat_member": {
                    "chat": chat.to_dict(),
                    "from": self.bot_user,
                    "date": int(time.time()),
                    "old_chat_member": self._member_object(self.bot_user, old),
                    "new_chat_member": self._member_object(self.bot_user, "left"),
                }
            }
        )
        return True

    async def _get_me(self, p: Params, call: ApiCall) -> JSONDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _true(self, p: Params, call: ApiCall) -> bool:
        return True

    # --- user side helpers --------------------------------------------------------------------

    def _acting(self, chat_id: int, user_id: int) -> tuple[EmuChat, EmuUser]:
        user = self._users.get(user_id)
        if user is None:
            raise EmulatorInputError(f"unknown user {user_id}")
        chat = self._chats.get(chat_id)
        if chat is None:
            raise EmulatorInputError(f"unknown chat {chat_id}")
        if chat.type == "private" and chat.id != user_id:
            raise EmulatorInputError(f"user {user_id} is not in private chat {chat_id}")
        if chat.type != "private" and chat.members.get(user_id) in (None, "left", "kicked"):
            raise EmulatorInputError(f"user {user_id} is not a member of group {chat_id}")
        if chat.migrated_to is not None:
            raise EmulatorInputError(f"group {chat_id} became supergroup {chat.migrated_to}")
        return chat, user

    def _bot_receives(self, chat: EmuChat, msg: JSONDict) -> bool:
        """Group privacy mode: without admin rights the bot only gets commands, replies to
        its messages and mentions."""
        if chat.type == "private":
            return True
        if chat.bot_status in ("left", "kicked"):
            return False
        if not self.privacy_mode or chat.bot_status == "administrator":
            return True
        reply = msg.get("reply_to_message")
        if reply and reply.get("from", {}).get("id") == self.bot_id:
            return True
        text = str(msg.get("text", ""))
        mention = "@" + self.bot_username.lower()
        if text.startswith("/"):
            first = text.split(maxsplit=1)[0].lower()
            return "@" not in first or first.endswith(mention)
        return mention in text.lower()

    def _find_inline_button(
        self, chat: EmuChat, label: str, message_id: int | None
    ) -> tuple[MessageRecord, JSONDict]:
        records = [
            r
            for r in reversed(self.messages(chat.id))
            if not r.deleted and r.data.get("reply_markup", {}).get("inline_keyboard")
        ]
        if message_id is not None:
            records = [r for r in records if r.message_id == message_id]
            if not records:
                raise EmulatorInputError(
                    f"bot message {message_id} in chat {chat.id} has no inline keyboard"
                )

        def buttons(r: MessageRecord) -> list[JSONDict]:
            return [b for row in r.data["reply_markup"]["inline_keyboard"] for b in row]

        def visible() -> str:
            shown = [
                f"message {r.message_id}: {_labels(r.data['reply_markup']['inline_keyboard'])}"
                for r in records[:5]
            ]
            return "; ".join(shown) or "none"

        for record in records:
            for button in buttons(record):
                if button.get("text") == label:
                    return record, button
        for record in records:
            matches = [b for b in buttons(record) if label in str(b.get("text", ""))]
            if len(matches) == 1:
                return record, matches[0]
            if matches:
                raise EmulatorInputError(
                    f"{len(matches)} buttons contain {label!r} on message "
                    f"{record.message_id}: {[b.get('text') for b in matches]}"
                )
        raise EmulatorInputError(
            f"no inline button {label!r} in chat {chat.id}; visible buttons: {visible()}"
        )

    # --- control API --------------------------------------------------------------------------

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
                return _json_response({"ok": False, "error": _error_text(exc)}, status=400)
            except Exception as exc:
                log.exception("emulator control call failed")
                return _json_response({"ok": False, "error": repr(exc)}, status=500)
            return _json_response({"ok": True, "result": result})

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


# --- module helpers ---------------------------------------------------------------------------


def _json_response(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False))


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


async def _read_params(request: web.Request) -> JSONDict:
    """Query string, then a JSON, urlencoded or multipart body, like the Bot API accepts."""
    values: JSONDict = dict(request.query)
    if not request.can_read_body:
        return values
    if request.content_type == "application/json":
        raw = await request.read()
        if raw.strip():
            try:
                body = json.loads(raw)
            except ValueError:
                raise bad_request("can't parse JSON object") from None
            if not isinstance(body, dict):
                raise bad_request("can't parse JSON object")
            values.update(body)
        return values
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                size = len(value.file.read())
                values[key] = UploadedFile(value.filename, value.content_type, size)
            else:
                values[key] = value
    return values


def _raise_flood(wait: float) -> None:
    retry_after = max(1, math.ceil(wait))
    raise ApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )


def _without_reply(message: JSONDict) -> JSONDict:
    return {k: v for k, v in message.items() if k != "reply_to_message"}


def _labels(rows: list[list[JSONDict]]) -> list[list[str]]:
    return [[str(b.get("text", "")) for b in row] for row in rows]


def _pick_button(buttons: list[JSONDict], label: str, describe: Callable[[], str]) -> JSONDict:
    exact = [b for b in buttons if b.get("text") == label]
    if exact:
        return exact[0]
    partial = [b for b in buttons if label in str(b.get("text", ""))]
    if len(partial) == 1:
        return partial[0]
    if partial:
        raise EmulatorInputError(
            f"{len(partial)} buttons contain {label!r}: {[b.get('text') for b in partial]}"
        )
    raise EmulatorInputError(f"no button {label!r}; {describe()}")


def _keyboard_button(button: Any) -> JSONDict:
    if isinstance(button, str):
        button = {"text": button}
    if (
        not isinstance(button, dict)
        or not isinstance(button.get("text"), str)
        or not button["text"]
    ):
        raise bad_request("can't parse keyboard button: Text must be non-empty")
    return button


def _validate_inline_keyboard(rows: Any) -> list[list[JSONDict]]:
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise bad_request('field "inline_keyboard" must be an Array of Arrays')
    for row in rows:
        for button in row:
            if not isinstance(button, dict):
                raise bad_request(
                    "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
                )
            if not isinstance(button.get("text"), str) or not button["text"]:
                raise bad_request("can't parse inline keyboard button: Text must be non-empty")
            actions = [k for k in _INLINE_ACTIONS if k in button]
            if len(actions) != 1:
                raise bad_request(
                    "can't parse inline keyboard button: Text buttons are "
                    "unallowed in the inline keyboard"
                )
            if actions[0] == "callback_data":
                data = button["callback_data"]
                if not isinstance(data, str) or not 1 <= len(data.encode()) <= 64:
                    raise bad_request("BUTTON_DATA_INVALID")
            if actions[0] == "url" and not str(button["url"]).strip():
                raise bad_request("BUTTON_URL_INVALID")
    return [list(row) for row in rows if row]
