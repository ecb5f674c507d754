"""Who is who across messengers: every chat and user id is one messenger's, and the same
number on two messengers is two different people, so ids always travel with their
messenger's name."""

from __future__ import annotations

from dataclasses import dataclass

TELEGRAM = "telegram"
BALE = "bale"
MESSENGERS = (TELEGRAM, BALE)


@dataclass(frozen=True)
class ChatRef:
    """A chat on one messenger."""

    messenger: str
    chat_id: int


@dataclass(frozen=True)
class UserRef:
    """A user on one messenger."""

    messenger: str
    user_id: int


def press_key(user: UserRef, nonce: str) -> str:
    """A confirm button's idempotency key: one effect per press of one user. Telegram's
    keep the form they had before other messengers, so a press from then is still known."""
    key = f"{user.user_id}:{nonce}"
    return key if user.messenger == TELEGRAM else f"{user.messenger}:{key}"
