"""Steps that wait for the next message: they expire, so words typed a day later start
something new instead of landing in a dialog the person has long left."""

from __future__ import annotations

import time

from services.conversation import Conversation

STAMP = "since"


def stamp() -> dict[str, int]:
    """Conversation data marking when the step began waiting."""
    return {STAMP: int(time.time())}


def still_waiting(conversation: Conversation, minutes: int) -> bool:
    """Whether the step began less than ``minutes`` ago; an expired one is dropped."""
    since = conversation.data.get(STAMP)
    if isinstance(since, int) and time.time() - since < minutes * 60:
        return True
    conversation.reset()
    return False
