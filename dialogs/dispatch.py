"""Picks the one handler for an update: by the chat's stored (flow, step) and what arrived.

Built from the routers of every flow (dialogs.flow); two handlers that could both take the
same update are refused when the dispatcher is built, so the order of the routers decides
nothing. Understanding free text is the handler of text when no step waits for it, or
when the step hands the text over.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from telegram import Message, MessageEntity, Update
from telegram.ext import filters

from dialogs import texts
from dialogs.callbacks import CallbackData
from dialogs.context import BotContext
from dialogs.flow import ButtonEntry, Chats, CommandEntry, Flow, Handler, Input, Router, StepEntry
from dialogs.formatting import fa_number
from dialogs.replies import send

log = logging.getLogger(__name__)

# A citizen's request fits in a few lines; longer text is a paste or an attack. Steps that
# take words as they are (a complaint's description) have their own limits.
MAX_TEXT_LENGTH = 1000

_SCOPES = (Chats.PRIVATE, Chats.GROUPS)


class AmbiguousRoutes(Exception):
    """Two handlers registered for the same input: a programming error, found at start."""


def _kind_of(message: Message) -> Input:
    if message.text is not None:
        return Input.TEXT
    if message.location is not None:
        return Input.LOCATION
    if message.contact is not None:
        return Input.CONTACT
    if message.photo:
        return Input.PHOTO
    return Input.OTHER


def _scopes(chats: Chats) -> tuple[Chats, ...]:
    return _SCOPES if chats is Chats.ANY else (chats,)


class Dispatcher:
    """The one PTB handler of the application (a TypeHandler on every Update)."""

    def __init__(self, routers: Sequence[Router]) -> None:
        self._flows: dict[str, Flow[Any, Any]] = {}
        self._steps: dict[tuple[str | None, str | None, Input, Chats], StepEntry] = {}
        self._buttons: dict[type[CallbackData], list[ButtonEntry]] = {}
        self._commands: dict[tuple[str, Chats], CommandEntry] = {}
        stale: list[Handler] = []
        unknown: list[Handler] = []
        for router in routers:
            if router.flow is not None:
                if router.flow.name in self._flows:
                    raise AmbiguousRoutes(f"two routers for flow {router.flow.name!r}")
                self._flows[router.flow.name] = router.flow
            for entry in router.steps:
                for scope in _scopes(entry.chats):
                    key = (entry.flow, entry.step, entry.kind, scope)
                    if key in self._steps:
                        raise AmbiguousRoutes(f"two handlers for {key}")
                    self._steps[key] = entry
            for button in router.buttons:
                same = self._buttons.setdefault(button.kind, [])
                if (button.when is None and same) or any(b.when is None for b in same):
                    raise AmbiguousRoutes(f"two handlers for {button.kind.__name__}")
                same.append(button)
            for command in router.commands:
                for name in command.names:
                    for scope in _scopes(command.chats):
                        if (name, scope) in self._commands:
                            raise AmbiguousRoutes(f"two handlers for /{name} in {scope}")
                        self._commands[(name, scope)] = command
            stale += router.stale
            unknown += router.unknown_command
        if len(stale) != 1 or len(unknown) != 1:
            raise AmbiguousRoutes("exactly one stale-button and one unknown-command handler")
        self._stale, self._unknown = stale[0], unknown[0]

    async def __call__(self, update: Update, context: BotContext) -> None:
        if update.callback_query is not None:
            await self._button(update, context)
            return
        message = update.effective_message
        chat = update.effective_chat
        if message is None or chat is None:
            return
        scope = Chats.PRIVATE if chat.type == "private" else Chats.GROUPS
        if _is_command(message):
            await self._command(update, context, message, scope)
            return
        if filters.StatusUpdate.ALL.check_update(update):
            return  # members joining, a title changed: nothing a person asked
        await self._message(update, context, message, scope)

    async def _button(self, update: Update, context: BotContext) -> None:
        query = update.callback_query
        assert query is not None
        payload = CallbackData.parse(query.data) if query.message is not None else None
        entries = self._buttons.get(type(payload), []) if payload is not None else []
        chosen = [e for e in entries if e.when is None or e.when(payload)]
        if len(chosen) > 1:
            raise AmbiguousRoutes(f"{len(chosen)} handlers took {type(payload).__name__}")
        await (chosen[0].handler if chosen else self._stale)(update, context)

    async def _command(
        self, update: Update, context: BotContext, message: Message, scope: Chats
    ) -> None:
        text = message.text or ""
        length = message.entities[0].length
        name, _, addressed = text[1:length].partition("@")
        if addressed and addressed.lower() != (context.bot.username or "").lower():
            return  # another bot's command in a group
        entry = self._commands.get((name.lower(), scope))
        context.args = text.split()[1:]
        if entry is not None:
            await entry.handler(update, context)
        elif scope is Chats.PRIVATE:
            await self._unknown(update, context)

    async def _message(
        self, update: Update, context: BotContext, message: Message, scope: Chats
    ) -> None:
        kind = _kind_of(message)
        conversation = context.conversation
        flow = self._flows.get(conversation.flow or "")
        if conversation.flow is not None and (flow is None or not flow.readable(conversation)):
            await self._left_behind(update, context, scope)
        entry = self._steps.get((conversation.flow, conversation.step, kind, scope))
        text = message.text or ""
        if entry is not None:
            if kind is not Input.TEXT:
                await entry.handler(update, context)
                return
            if not entry.any_length and await _too_long(update, text):
                return
            if await entry.handler(update, context, text):
                return
        default = self._steps.get((None, None, kind, scope))
        if default is None and kind in (Input.CONTACT, Input.PHOTO):
            default = self._steps.get((None, None, Input.OTHER, scope))
        if default is None:
            return  # nothing to say (a group's chatter)
        if kind is Input.TEXT:
            if await _too_long(update, text):
                return
            await default.handler(update, context, text)
            return
        await default.handler(update, context)

    async def _left_behind(self, update: Update, context: BotContext, scope: Chats) -> None:
        """A stored step or draft a deploy no longer knows: dropped, with a word to the
        citizen, and what they sent handled as if no step waited."""
        conversation = context.conversation
        log.info(
            "dropped a conversation at %s/%s: not readable", conversation.flow, conversation.step
        )
        conversation.reset()
        if scope is Chats.PRIVATE:
            await send(update, texts.STEP_LEFT_BEHIND)


def _is_command(message: Message) -> bool:
    entities = message.entities
    return bool(
        message.text
        and entities
        and entities[0].type == MessageEntity.BOT_COMMAND
        and entities[0].offset == 0
    )


async def _too_long(update: Update, text: str) -> bool:
    if len(text) <= MAX_TEXT_LENGTH:
        return False
    await send(
        update,
        texts.MESSAGE_TOO_LONG.format(
            length=fa_number(len(text)), limit=fa_number(MAX_TEXT_LENGTH)
        ),
    )
    return True
