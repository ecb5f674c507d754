"""The one way the dialogs talk to a chat, in the project's words: say, edit, show a place.

A messenger's abilities are data (``Capabilities``); what one lacks is made up for in its
gateway (``bot.gateway``), so the dialogs never ask which messenger they talk to. Keyboards
stay python-telegram-bot's markup classes, as data: every messenger we aim at is
Telegram-shaped. Errors other than the fallbacks a gateway handles come through as
``telegram.error`` types, which the retry of an update (``bot.app.on_error``) and the
outbox rely on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from telegram import ForceReply, InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove

# Inline buttons under a message, or a keyboard in place of the citizen's.
Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply


@dataclass(frozen=True)
class Capabilities:
    """What one messenger's Bot API can do."""

    name: str
    venue: bool = True  # sendVenue; without it, a location and the name and address as text
    commands: bool = True  # setMyCommands and the bot's descriptions
    max_text: int = 4096  # characters a message may hold
    split_text_at: int = 4000  # a longer text goes as several messages of at most this
    max_callback_bytes: int = 64  # a button's callback_data
    reliable_edits: bool = True  # False: an edit that fails for any lasting reason is a new message
    supergroups: bool = True
    webhook_secret_header: bool = True  # the webhook's calls carry our secret in a header
    reply_parameters: bool = True  # replies as reply_parameters; else the older reply_to_message_id


@dataclass(frozen=True)
class Sent:
    """A message the bot put in a chat."""

    chat_id: int
    message_id: int


class Messenger(Protocol):
    """A chat service as the dialogs see it."""

    @property
    def capabilities(self) -> Capabilities: ...

    async def say(
        self, chat_id: int, text: str, buttons: Markup | None = None, *, reply_to: int | None = None
    ) -> Sent:
        """A new message; a text over the profile's limit goes in parts, the buttons under
        the last, which is returned."""

    async def edit(
        self, chat_id: int, message_id: int, text: str, buttons: InlineKeyboardMarkup | None = None
    ) -> Sent:
        """The message shows this instead; where it cannot (too old, deleted, not ours, or
        a failed edit on a messenger whose edits are unreliable), a new message, returned.
        Unchanged content is no failure: the same message comes back."""

    async def set_buttons(
        self, chat_id: int, message_id: int, buttons: InlineKeyboardMarkup | None
    ) -> bool:
        """Other buttons (None: none) under the message; False where it cannot be edited."""

    async def show_place(
        self, chat_id: int, lat: float, lon: float, title: str, address: str
    ) -> None:
        """A place on the map with its name and address."""

    async def answer_button(self, query_id: str, text: str | None = None) -> None:
        """Stops a button's spinner (with a short notice); never raises, a failure is logged."""

    async def delete(self, chat_id: int, message_id: int) -> bool:
        """The message is gone; False where the messenger refused."""

    async def send_photo(self, chat_id: int, file_id: str, caption: str | None = None) -> Sent:
        """A photo the messenger already holds."""

    async def is_admin(self, chat_id: int, user_id: int) -> bool:
        """An admin of the group; False in private chats and when the messenger cannot say."""

    async def publish(self, commands: Sequence[tuple[str, str]], description: str) -> None:
        """The command list and the bot's description, best effort (skipped where the
        messenger has no such thing)."""


def split_text(text: str, limit: int) -> list[str]:
    """The text in parts of at most ``limit`` characters, cut after a line where one ends
    near the limit, else after a space, else anywhere."""
    parts: list[str] = []
    while len(text) > limit:
        window = text[:limit]
        cut = window.rfind("\n")
        if cut < limit // 2:
            cut = window.rfind(" ")
        if cut < limit // 2:
            cut = limit - 1
        parts.append(text[: cut + 1].rstrip())
        text = text[cut + 1 :].lstrip("\n")
    parts.append(text)
    return [part for part in parts if part] or [text]


def oversized_callbacks(buttons: Markup | None, limit: int) -> list[str]:
    """The callback data of inline buttons longer than ``limit`` bytes (a messenger
    refuses the whole message for one of them)."""
    if not isinstance(buttons, InlineKeyboardMarkup):
        return []
    return [
        data
        for row in buttons.inline_keyboard
        for button in row
        if isinstance(data := button.callback_data, str) and len(data.encode()) > limit
    ]
