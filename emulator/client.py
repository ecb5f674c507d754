"""A client of the emulator's control API: act as citizens and staff, read what the bot sent.

Used by the end-to-end tests, the benchmarks and ``pishkhan shell``; it talks HTTP to the
emulator, so it works the same whether the emulator runs in this process or another one.

    async with EmulatorClient(emulator.root_url) as client:
        maryam = client.person(1001, "مریم")
        reply = await maryam.says("/start")
        reply = await maryam.presses("📄 مدارک لازم")
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from aiohttp import ClientSession, ClientTimeout

JSONDict = dict[str, Any]


class EmulatorRequestError(Exception):
    """The emulator refused a control call (unknown button, no keyboard shown, ...)."""


class NoReply(AssertionError):
    """The bot did not answer in time; the message carries what the emulator saw."""


@dataclass(frozen=True)
class Button:
    """One button as the user sees it."""

    label: str
    callback_data: str | None = None
    url: str | None = None
    request_location: bool = False
    request_contact: bool = False


@dataclass(frozen=True)
class BotMessage:
    """A message the bot sent (in its current, possibly edited, form)."""

    chat_id: int
    message_id: int
    text: str
    buttons: tuple[tuple[Button, ...], ...]  # the inline keyboard, row by row
    reply_keyboard: tuple[tuple[Button, ...], ...]  # a reply keyboard this message showed
    removes_keyboard: bool
    location: tuple[float, float] | None
    venue_title: str | None
    venue_address: str | None
    edited: bool
    deleted: bool
    raw: JSONDict = field(repr=False, compare=False)

    @property
    def labels(self) -> list[str]:
        return [b.label for row in self.buttons for b in row]

    @classmethod
    def from_json(cls, record: JSONDict) -> BotMessage:
        message: JSONDict = record["message"]
        inline = (message.get("reply_markup") or {}).get("inline_keyboard") or []
        sent_markup: JSONDict = record.get("reply_markup") or {}
        location = message.get("location")
        venue = message.get("venue") or {}
        return cls(
            chat_id=int(record["chat_id"]),
            message_id=int(record["message_id"]),
            text=str(message.get("text") or message.get("caption") or ""),
            buttons=_rows(inline),
            reply_keyboard=_rows(sent_markup.get("keyboard") or []),
            removes_keyboard=bool(sent_markup.get("remove_keyboard")),
            location=(location["latitude"], location["longitude"]) if location else None,
            venue_title=venue.get("title"),
            venue_address=venue.get("address"),
            edited=bool(record.get("edited")),
            deleted=bool(record.get("deleted")),
            raw=record,
        )


def _rows(rows: list[list[Any]]) -> tuple[tuple[Button, ...], ...]:
    def button(raw: Any) -> Button:
        if isinstance(raw, str):
            return Button(raw)
        return Button(
            label=str(raw.get("text", "")),
            callback_data=raw.get("callback_data"),
            url=raw.get("url"),
            request_location=bool(raw.get("request_location")),
            request_contact=bool(raw.get("request_contact")),
        )

    return tuple(tuple(button(b) for b in row) for row in rows)


@dataclass(frozen=True)
class Reply:
    """What the bot sent, edited or deleted in one chat in answer to one action."""

    messages: tuple[BotMessage, ...]
    answered: bool  # the bot sent or edited something before the wait ran out
    seq: int

    @property
    def text(self) -> str:
        """The texts of the messages still shown, in order, one per paragraph."""
        return "\n\n".join(m.text for m in self.messages if not m.deleted and m.text)

    @property
    def labels(self) -> list[str]:
        return [label for m in self.messages if not m.deleted for label in m.labels]

    @property
    def last(self) -> BotMessage:
        shown = [m for m in self.messages if not m.deleted]
        if not shown:
            raise NoReply("the bot showed no message")
        return shown[-1]


class EmulatorClient:
    """HTTP client of ``/_emulator/...``; see the module docstring."""

    def __init__(self, root_url: str, *, reply_timeout: float = 10.0, quiet: float = 0.3) -> None:
        self.root_url = root_url.rstrip("/")
        self.reply_timeout = reply_timeout
        self.quiet = quiet
        self._session: ClientSession | None = None

    async def __aenter__(self) -> EmulatorClient:
        self._session = ClientSession(timeout=ClientTimeout(total=self.reply_timeout + 30))
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _call(self, verb: str, path: str, body: JSONDict | None = None) -> Any:
        if self._session is None:
            raise RuntimeError("use the client as an async context manager")
        async with self._session.request(
            verb, f"{self.root_url}/_emulator/{path}", json=body
        ) as response:
            answer = await response.json()
        if not answer.get("ok"):
            raise EmulatorRequestError(answer.get("error", f"HTTP {response.status}"))
        return answer["result"]

    # --- people and chats ------------------------------------------------------------------

    def person(
        self,
        user_id: int,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
    ) -> Person:
        """A Telegram user; by default acting in their private chat with the bot."""
        user: JSONDict = {"id": user_id, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        return Person(self, user, chat_id=user_id)

    async def add_group(self, chat_id: int, title: str, *, supergroup: bool = True) -> JSONDict:
        body = {"id": chat_id, "title": title, "type": "supergroup" if supergroup else "group"}
        result: JSONDict = await self._call("POST", "chats", body)
        return result

    async def chat_state(self, chat_id: int) -> JSONDict:
        result: JSONDict = await self._call("GET", f"chats/{chat_id}")
        return result

    async def messages(self, chat_id: int) -> list[BotMessage]:
        """Every message the bot has sent to a chat, oldest first."""
        records = await self._call("GET", f"chats/{chat_id}/messages")
        return [BotMessage.from_json(r) for r in records]

    async def calls(self, method: str | None = None) -> list[JSONDict]:
        """Bot API calls the bot made, optionally of one method."""
        result: list[JSONDict] = await self._call(
            "GET", "calls" + (f"?method={method}" if method else "")
        )
        return result

    async def fail(
        self,
        method: str,
        status: int = 500,
        seconds: float = 10.0,
        *,
        chat_id: int | None = None,
        retry_after: int | None = None,
        description: str | None = None,
    ) -> None:
        """``method`` answers ``status`` for a while, as ``BotApiEmulator.fail`` does (a
        flood: 429, or Bale's 420, with ``retry_after``)."""
        body: JSONDict = {"method": method, "status": status, "seconds": seconds}
        for key, value in (
            ("chat_id", chat_id),
            ("retry_after", retry_after),
            ("description", description),
        ):
            if value is not None:
                body[key] = value
        await self._call("POST", "faults", body)

    async def callback_answers(self, chat_id: int) -> list[JSONDict]:
        result: list[JSONDict] = await self._call("GET", f"callback_answers?chat_id={chat_id}")
        return result

    async def state(self) -> JSONDict:
        result: JSONDict = await self._call("GET", "state")
        return result

    async def inject_raw_update(self, update: JSONDict) -> int | None:
        """Queues an update as Telegram would send it (update_id is assigned)."""
        result = await self._call("POST", "updates", {"raw": update})
        return None if result["update_id"] is None else int(result["update_id"])

    async def wait(self, chat_id: int, since: int, *, within: float | None = None) -> Reply:
        """What the bot sent or edited in a chat after ``since``, once it has gone quiet."""
        result = await self._call(
            "POST",
            f"chats/{chat_id}/wait",
            {
                "since": since,
                "timeout": self.reply_timeout if within is None else within,
                "quiet": self.quiet,
            },
        )
        return Reply(
            # Only the bot's own messages: a user's message it deleted is in the history.
            messages=tuple(BotMessage.from_json(r) for r in result["messages"] if r["from_bot"]),
            answered=bool(result["done"]),
            seq=int(result["seq"]),
        )


class Person:
    """A user acting in one chat (their private chat unless ``in_chat`` says otherwise)."""

    def __init__(self, client: EmulatorClient, user: JSONDict, chat_id: int) -> None:
        self.client = client
        self.user = user
        self.chat_id = chat_id

    @property
    def id(self) -> int:
        return int(self.user["id"])

    def in_chat(self, chat_id: int) -> Person:
        """The same user acting in a group."""
        return Person(self.client, self.user, chat_id)

    def _actor(self) -> JSONDict:
        body: JSONDict = {"user": self.user}
        if self.chat_id != self.id:
            body["chat"] = {"id": self.chat_id}
        return body

    async def _act(self, path: str, body: JSONDict, expect_reply: bool) -> Reply:
        result = await self.client._call("POST", path, {**self._actor(), **body})
        if result.get("delivered") is False:
            raise NoReply(f"the bot does not receive this message in chat {self.chat_id}")
        reply = await self.client.wait(self.chat_id, int(result["seq"]))
        if expect_reply and not reply.answered:
            raise NoReply(f"no answer in chat {self.chat_id} to {body}")
        return reply

    async def says(
        self, text: str, *, reply_to: int | None = None, expect_reply: bool = True
    ) -> Reply:
        """Sends a text message (a command when it starts with ``/``), optionally as a
        reply to message ``reply_to``."""
        body: JSONDict = {"text": text}
        if reply_to is not None:
            body["reply_to_message_id"] = reply_to
        return await self._act("updates", body, expect_reply)

    async def sends_photo(
        self, file_id: str | None = None, *, caption: str = "", expect_reply: bool = True
    ) -> Reply:
        """Sends a photo (Telegram's sizes of it; the largest has ``file_id``)."""
        photo: JSONDict = {"file_id": file_id, "caption": caption}
        return await self._act("updates", {"photo": photo}, expect_reply)

    async def shares_location(
        self, latitude: float, longitude: float, *, expect_reply: bool = True
    ) -> Reply:
        return await self._act(
            "updates", {"location": {"latitude": latitude, "longitude": longitude}}, expect_reply
        )

    async def shares_contact(self, phone_number: str, *, expect_reply: bool = True) -> Reply:
        """Shares a phone number; by default the user's own (as Telegram's contact button)."""
        contact = {
            "phone_number": phone_number,
            "first_name": self.user["first_name"],
            "user_id": self.id,
        }
        return await self._act("updates", {"contact": contact}, expect_reply)

    async def presses(
        self,
        label: str,
        *,
        message_id: int | None = None,
        data: str | None = None,
        expect_reply: bool = True,
    ) -> Reply:
        """Presses the inline button with this label (or a unique label containing it) on
        the newest message showing it, or on ``message_id``. ``data`` replaces the button's
        callback data, as an old message or a forged client would send it."""
        body: JSONDict = {"label": label}
        if message_id is not None:
            body["message_id"] = message_id
        if data is not None:
            body["data"] = data
        return await self._act("press", body, expect_reply)

    async def taps(
        self,
        label: str,
        *,
        latitude: float | None = None,
        longitude: float | None = None,
        phone_number: str | None = None,
        expect_reply: bool = True,
    ) -> Reply:
        """Taps a button of the reply keyboard shown in the chat."""
        body: JSONDict = {"label": label}
        if latitude is not None and longitude is not None:
            body.update(latitude=latitude, longitude=longitude)
        if phone_number is not None:
            body["phone_number"] = phone_number
        return await self._act("tap", body, expect_reply)
