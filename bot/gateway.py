"""The dialogs' Messenger over python-telegram-bot: one place that calls the Bot API's
send, edit, delete and answer methods, with the fallbacks for what a profile lacks."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from telegram import Bot, BotCommand, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut

from dialogs.messenger import Capabilities, Markup, Messenger, Sent, oversized_callbacks, split_text

log = logging.getLogger(__name__)

TELEGRAM = Capabilities(name="telegram")
# From Bale's SDKs and docs, not checked against its real servers (README, section Bale).
BALE = Capabilities(
    name="bale",
    venue=False,
    commands=False,
    supergroups=False,
    webhook_secret_header=False,
    reliable_edits=False,
    max_callback_bytes=64,
    split_text_at=4000,
    reply_parameters=False,
)
PROFILES: Mapping[str, Capabilities] = {profile.name: profile for profile in (TELEGRAM, BALE)}


def profile_for(messenger: str) -> Capabilities:
    """The profile of a messenger by its name (``telegram``, ``bale``)."""
    try:
        return PROFILES[messenger]
    except KeyError:
        raise ValueError(f"no profile for messenger {messenger!r}") from None


def _not_modified(exc: TelegramError) -> bool:
    return isinstance(exc, BadRequest) and "not modified" in exc.message.lower()


def _sent(message: Message) -> Sent:
    return Sent(message.chat_id, message.message_id)


class TelegramGateway:
    """A Messenger over a PTB ``Bot`` (the Application's, so its rate limiter applies)
    for any messenger whose Bot API is Telegram's, as ``capabilities`` describes it."""

    def __init__(self, bot: Bot, capabilities: Capabilities = TELEGRAM) -> None:
        self.bot = bot
        self._capabilities = capabilities

    @property
    def capabilities(self) -> Capabilities:
        return self._capabilities

    def _check(self, buttons: Markup | None) -> None:
        # The messenger refuses the whole message for one such button: a bug of ours.
        limit = self._capabilities.max_callback_bytes
        for data in oversized_callbacks(buttons, limit):
            log.error("callback data over %d bytes on %s: %r", limit, self._capabilities.name, data)

    def _parts(self, text: str) -> list[str]:
        caps = self._capabilities
        return [text] if len(text) <= caps.max_text else split_text(text, caps.split_text_at)

    async def say(
        self, chat_id: int, text: str, buttons: Markup | None = None, *, reply_to: int | None = None
    ) -> Sent:
        self._check(buttons)
        *first, last = self._parts(text)
        for part in first:
            await self._send(chat_id, part, None, reply_to)
            reply_to = None
        return _sent(await self._send(chat_id, last, buttons, reply_to))

    async def _send(
        self, chat_id: int, text: str, buttons: Markup | None, reply_to: int | None
    ) -> Message:
        if reply_to is None or self._capabilities.reply_parameters:
            return await self.bot.send_message(
                chat_id, text, reply_markup=buttons, reply_to_message_id=reply_to
            )
        # PTB 22 sends reply_to_message_id as reply_parameters, which Bale does not
        # document: the raw field, as its SDKs send it.
        return await self.bot.send_message(
            chat_id,
            text,
            reply_markup=buttons,
            api_kwargs={"reply_to_message_id": reply_to},
        )

    async def edit(
        self, chat_id: int, message_id: int, text: str, buttons: InlineKeyboardMarkup | None = None
    ) -> Sent:
        self._check(buttons)
        first, *rest = self._parts(text)
        try:
            await self.bot.edit_message_text(
                first, chat_id, message_id, reply_markup=None if rest else buttons
            )
        except TelegramError as exc:
            if _not_modified(exc):
                pass  # the same button pressed twice: it already shows this
            elif self._edit_lost(exc):
                log.info("message %s not edited (%s): sent anew", message_id, exc)
                return await self.say(chat_id, text, buttons)
            else:
                raise
        if rest:
            return await self.say(chat_id, "\n".join(rest), buttons)
        return Sent(chat_id, message_id)

    def _edit_lost(self, exc: TelegramError) -> bool:
        """Whether a failed edit is better made a new message: a message Telegram no longer
        lets us edit (deleted, too old, not ours); on a messenger whose edits fail now and
        then, any failure but a flood or a timeout (those the update's retry handles)."""
        if isinstance(exc, BadRequest):
            return True
        if self._capabilities.reliable_edits or isinstance(exc, RetryAfter | TimedOut):
            return False
        return isinstance(exc, NetworkError)

    async def set_buttons(
        self, chat_id: int, message_id: int, buttons: InlineKeyboardMarkup | None
    ) -> bool:
        self._check(buttons)
        try:
            await self.bot.edit_message_reply_markup(chat_id, message_id, reply_markup=buttons)
        except BadRequest as exc:
            if _not_modified(exc):
                return True
            log.info("buttons of message %s not changed: %s", message_id, exc)
            return False
        return True

    async def show_place(
        self, chat_id: int, lat: float, lon: float, title: str, address: str
    ) -> None:
        if self._capabilities.venue:
            await self.bot.send_venue(
                chat_id, latitude=lat, longitude=lon, title=title, address=address
            )
            return
        # No venues: the pin, then what a venue would have shown under it.
        await self.bot.send_location(chat_id, latitude=lat, longitude=lon)
        await self.say(chat_id, f"{title}\n{address}" if address != title else title)

    async def answer_button(self, query_id: str, text: str | None = None) -> None:
        # A query already expired (pressed while the bot was down) or a Bot API failing now
        # cannot be answered: the spinner stops by itself, the step's reply is what counts.
        try:
            await self.bot.answer_callback_query(query_id, text)
        except TelegramError as exc:
            log.info("callback query not answered: %s", exc)

    async def delete(self, chat_id: int, message_id: int) -> bool:
        try:
            return await self.bot.delete_message(chat_id, message_id)
        except BadRequest as exc:
            log.info("message %s not deleted: %s", message_id, exc)
            return False

    async def send_photo(self, chat_id: int, file_id: str, caption: str | None = None) -> Sent:
        return _sent(await self.bot.send_photo(chat_id, file_id, caption=caption))

    async def is_admin(self, chat_id: int, user_id: int) -> bool:
        if chat_id > 0:  # a private chat: no admins but the user
            return False
        try:
            member = await self.bot.get_chat_member(chat_id, user_id)
        except TelegramError:
            return False
        return member.status in ("creator", "administrator")

    async def publish(self, commands: Sequence[tuple[str, str]], description: str) -> None:
        if not self._capabilities.commands:
            log.info("%s has no command list: not published", self._capabilities.name)
            return
        try:
            await self.bot.set_my_commands([BotCommand(name, text) for name, text in commands])
            await self.bot.set_my_description(description)
            await self.bot.set_my_short_description(description)
        except TelegramError as exc:
            log.warning("could not publish the command list: %s", exc)


def messenger_of(bot: Bot | Messenger) -> Messenger:
    """A Messenger for a bare Bot (scripts and tests that hold one), Telegram's profile."""
    return TelegramGateway(bot) if isinstance(bot, Bot) else bot
