"""A flow's steps, its typed draft, and the router its handlers register on.

In the spirit of aiogram's ``@router.message(Form.name)``, on the project's database-backed
conversation (services.conversation): a flow declares its steps as an Enum and its draft as
a pydantic model; handlers register per step and input kind on the flow's router; the
dispatcher (dialogs.dispatch) picks one by the stored (flow, step) and what arrived. No flow
names another flow's steps, and the order in which routers are included decides nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from telegram import Update

from dialogs.callbacks import CallbackData
from dialogs.context import BotContext
from services.conversation import Conversation

# The key of a draft's version in the stored conversation data.
VERSION_KEY = "v"


class Draft(BaseModel):
    """What a flow has gathered so far, stored with the conversation between updates.

    ``VERSION`` goes up when a field changes meaning; a stored draft of another version is
    dropped politely (the dispatcher says so and starts afresh), never misread. Drafts
    stored before versions existed carry none and count as version 1."""

    model_config = ConfigDict(extra="ignore")
    VERSION: ClassVar[int] = 1


class NoDraft(Draft):
    """A flow whose steps need nothing kept."""


class Input(enum.Enum):
    """What a message brings; a button press and a command are routed on their own."""

    TEXT = "text"
    LOCATION = "location"
    CONTACT = "contact"
    PHOTO = "photo"
    OTHER = "other"  # stickers, voice, files: anything else a person sends


class Chats(enum.Enum):
    """Where a handler listens."""

    PRIVATE = "private"
    GROUPS = "groups"
    ANY = "any"

    def admits(self, chat_type: str) -> bool:
        if self is Chats.ANY:
            return True
        return (chat_type == "private") == (self is Chats.PRIVATE)


D = TypeVar("D", bound=Draft)
S = TypeVar("S", bound=enum.Enum)


class Flow(Generic[S, D]):
    """A flow's name, its steps and its draft type: how its state is read and written."""

    def __init__(self, name: str, steps: type[S], draft: type[D]) -> None:
        self.name, self.steps, self.draft_type = name, steps, draft

    def at(self, conversation: Conversation, *steps: S) -> bool:
        """Whether the chat is in this flow (at one of ``steps``, when given)."""
        if conversation.flow != self.name:
            return False
        return not steps or any(conversation.step == step.value for step in steps)

    def step(self, conversation: Conversation) -> S | None:
        """The stored step, or None when the chat is elsewhere or the step is unknown."""
        if conversation.flow != self.name:
            return None
        try:
            return self.steps(conversation.step)
        except ValueError:
            return None

    def draft(self, conversation: Conversation) -> D | None:
        """The stored draft, or None when the chat is elsewhere or the draft is of another
        version or shape (a deploy changed it)."""
        if conversation.flow != self.name:
            return None
        data = conversation.data
        if data.get(VERSION_KEY, 1) != self.draft_type.VERSION:
            return None
        try:
            return self.draft_type.model_validate(data)
        except ValidationError:
            return None

    def go(self, conversation: Conversation, step: S, draft: D) -> None:
        """On to ``step`` with ``draft`` as the whole of what the flow keeps."""
        data = draft.model_dump(mode="json")
        data[VERSION_KEY] = self.draft_type.VERSION
        conversation.flow, conversation.step, conversation.data = self.name, step.value, data

    def readable(self, conversation: Conversation) -> bool:
        """Whether the stored state of this flow can be continued after a deploy."""
        return self.step(conversation) is not None and self.draft(conversation) is not None


Handler = Callable[[Update, BotContext], Awaitable[None]]
# A text handler returns False to hand the text over to understanding (dialogs.understanding
# runs it as if no step waited); True when it took the text.
TextHandler = Callable[[Update, BotContext, str], Awaitable[bool]]
ButtonHandler = Callable[[Update, BotContext], Awaitable[None]]

H = TypeVar("H", bound=Callable[..., Awaitable[Any]])


@dataclass(frozen=True)
class StepEntry:
    """A handler for one input kind at one step (or at none: when no step waits for it)."""

    flow: str | None
    step: str | None
    kind: Input
    chats: Chats
    handler: Callable[..., Awaitable[Any]]
    # Text handlers only: whether the step takes text of any length (with its own limit).
    any_length: bool = False


@dataclass(frozen=True)
class ButtonEntry:
    kind: type[CallbackData]
    handler: ButtonHandler
    when: Callable[[Any], bool] | None = None


@dataclass(frozen=True)
class CommandEntry:
    names: tuple[str, ...]
    chats: Chats
    handler: Handler


@dataclass
class Router:
    """One flow's (or one concern's) handlers, registered with decorators."""

    name: str
    flow: Flow[Any, Any] | None = None
    steps: list[StepEntry] = field(default_factory=list)
    buttons: list[ButtonEntry] = field(default_factory=list)
    commands: list[CommandEntry] = field(default_factory=list)
    stale: list[ButtonHandler] = field(default_factory=list)
    unknown_command: list[Handler] = field(default_factory=list)

    def _on(
        self, kind: Input, steps: tuple[enum.Enum, ...], chats: Chats, any_length: bool = False
    ) -> Callable[[H], H]:
        if steps and self.flow is None:
            raise TypeError(f"router {self.name!r} has no flow, so no steps")
        for step in steps:
            if self.flow is not None and not isinstance(step, self.flow.steps):
                raise TypeError(f"{step!r} is not a step of flow {self.flow.name!r}")

        def register(handler: H) -> H:
            flow = self.flow.name if self.flow is not None and steps else None
            for step in steps or (None,):
                value = step.value if step is not None else None
                self.steps.append(StepEntry(flow, value, kind, chats, handler, any_length))
            return handler

        return register

    def text(
        self, *steps: enum.Enum, chats: Chats = Chats.PRIVATE, any_length: bool = False
    ) -> Callable[[H], H]:
        """Text at these steps (none given: text when no step waits for it)."""
        return self._on(Input.TEXT, steps, chats, any_length)

    def location(self, *steps: enum.Enum, chats: Chats = Chats.PRIVATE) -> Callable[[H], H]:
        return self._on(Input.LOCATION, steps, chats)

    def contact(self, *steps: enum.Enum, chats: Chats = Chats.PRIVATE) -> Callable[[H], H]:
        return self._on(Input.CONTACT, steps, chats)

    def photo(self, *steps: enum.Enum, chats: Chats = Chats.PRIVATE) -> Callable[[H], H]:
        return self._on(Input.PHOTO, steps, chats)

    def other(self, chats: Chats = Chats.PRIVATE) -> Callable[[H], H]:
        """Any other message (a sticker, a voice note) when no step takes it."""
        return self._on(Input.OTHER, (), chats)

    def button(
        self, kind: type[CallbackData], *, when: Callable[[Any], bool] | None = None
    ) -> Callable[[H], H]:
        """A press of a button carrying ``kind`` (and, if given, ``when`` of its payload:
        two handlers may share a kind when their conditions never both hold)."""

        def register(handler: H) -> H:
            self.buttons.append(ButtonEntry(kind, handler, when))
            return handler

        return register

    def command(self, *names: str, chats: Chats = Chats.PRIVATE) -> Callable[[H], H]:
        def register(handler: H) -> H:
            self.commands.append(CommandEntry(names, chats, handler))
            return handler

        return register

    def stale_button(self) -> Callable[[H], H]:
        """A press no registered button takes: an old message's, or forged data."""

        def register(handler: H) -> H:
            self.stale.append(handler)
            return handler

        return register

    def unknown(self) -> Callable[[H], H]:
        """A command no router knows, in a private chat."""

        def register(handler: H) -> H:
            self.unknown_command.append(handler)
            return handler

        return register
