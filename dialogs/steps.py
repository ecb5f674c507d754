"""Steps that wait for the next message: they expire, so words typed a day later start
something new instead of landing in a dialog the person has long left."""

from __future__ import annotations

import time

from pydantic import Field

from dialogs.flow import Draft
from services.conversation import Conversation


def _now() -> int:
    return int(time.time())


class Waiting(Draft):
    """A draft that remembers when its step began waiting."""

    since: int = Field(default_factory=_now)


def still_waiting(conversation: Conversation, draft: Waiting | None, minutes: int) -> bool:
    """Whether the step began less than ``minutes`` ago; an expired one is dropped."""
    if draft is not None and time.time() - draft.since < minutes * 60:
        return True
    conversation.reset()
    return False
