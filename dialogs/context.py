"""What every dialog handler can reach: the services wired at start-up and the chat's state."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram import Chat, User
from telegram.ext import CallbackContext, ExtBot

from dialogs.messenger import Messenger
from nlp.understand import Interpreter
from services.conversation import Conversation, ConversationStore
from services.identity import ChatRef, UserRef
from services.locator import OfficeDirectory
from services.privacy import Vault
from services.scheduling import BookingRules
from services.settings import Settings

# Set by the update processor for the duration of one update of one chat.
current_conversation: ContextVar[Conversation] = ContextVar("current_conversation")
# Set by the update processor for each update: the messenger it came from, answers go there.
current_messenger: ContextVar[Messenger] = ContextVar("current_messenger")

DEPS_KEY = "deps"
MESSENGER_KEY = "messenger"
# Every messenger this process serves, by name ("telegram", "bale"): one dict shared by all
# its Applications, for what goes to a chat on another messenger than the update's.
MESSENGERS_KEY = "messengers"


@dataclass(frozen=True)
class Deps:
    """The domain services, built once in ``bot`` and handed to the dialogs."""

    settings: Settings
    engine: AsyncEngine  # for what spans one unit of work, e.g. the delivery lock
    sessions: async_sessionmaker[AsyncSession]
    conversations: ConversationStore
    interpreter: Interpreter
    directory: OfficeDirectory
    vault: Vault
    rules: BookingRules
    new_code: Callable[[], str]  # a fresh tracking code (nlp.tracking)


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """PTB's context with typed access to the services and the chat's conversation."""

    @property
    def deps(self) -> Deps:
        return cast(Deps, self.application.bot_data[DEPS_KEY])

    @property
    def messenger(self) -> Messenger:
        return cast(Messenger, self.application.bot_data[MESSENGER_KEY])

    @property
    def messengers(self) -> Mapping[str, Messenger]:
        served = self.application.bot_data.get(MESSENGERS_KEY)
        if served is None:
            return {self.messenger.capabilities.name: self.messenger}
        return cast(Mapping[str, Messenger], served)

    @property
    def conversation(self) -> Conversation:
        return current_conversation.get()


def messenger_name() -> str:
    """The name of the messenger the update at hand came from ("telegram", "bale")."""
    return current_messenger.get().capabilities.name


def chat_ref(chat: Chat) -> ChatRef:
    """The update's chat, on the messenger it came from: ids alone are ambiguous."""
    return ChatRef(messenger_name(), chat.id)


def user_ref(user: User) -> UserRef:
    """The update's user, on the messenger it came from."""
    return UserRef(messenger_name(), user.id)
