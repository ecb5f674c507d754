"""What the emulator remembers: users, chats, messages, calls, callback queries."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

from emulator.params import (
    JSONDict,
)


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
class ChatEvent:
    seq: int
    message_id: int
    kind: str  # sent | edited | deleted | user


@dataclass(frozen=True)
class Fault:
    """A failure a test injected: a method answers this error until ``ends``."""

    status: int
    ends: float  # monotonic time
    chat_id: int | None  # None: every chat
    description: str
    parameters: JSONDict | None = None


@dataclass
class Webhook:
    url: str
    secret: str | None
    max_connections: int
    last_error_date: int | None = None
    last_error_message: str | None = None


class Signal:
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


def without_reply(message: JSONDict) -> JSONDict:
    return {k: v for k, v in message.items() if k != "reply_to_message"}
