"""Outages and flood control that tests switch on."""

from __future__ import annotations

import math
import time
from collections import deque

from emulator.params import (
    ApiError,
)
from emulator.records import (
    EmuChat,
    Fault,
)
from emulator.state import EmulatorState


class Limits(EmulatorState):
    """Outages (``fail``) and flood limits, checked by the HTTP dispatch and the sends."""

    def fail(
        self,
        method: str,
        status: int = 500,
        seconds: float = 10.0,
        chat_id: int | None = None,
        *,
        retry_after: int | None = None,
        description: str | None = None,
    ) -> None:
        """``method`` answers ``status`` for the next ``seconds``, for every chat or only
        ``chat_id``'s; ``seconds=0`` ends it. An outage is 500, 502...; a flood is 429 or
        Bale's 420, with ``parameters.retry_after`` when ``retry_after`` is given (a 429
        always has one); ``description`` replaces the usual text for the status."""
        if seconds <= 0:
            self._faults.pop(method.lower(), None)
            return
        if status == 429 and retry_after is None:
            retry_after = 1
        parameters = {"retry_after": retry_after} if retry_after is not None else None
        self._faults[method.lower()] = Fault(
            status,
            time.monotonic() + seconds,
            chat_id,
            description or _description(status, retry_after),
            parameters,
        )

    def _check_fault(self, method: str, chat_id: int | None) -> None:
        fault = self._faults.get(method.lower())
        if fault is None:
            return
        if time.monotonic() >= fault.ends:
            del self._faults[method.lower()]
        elif fault.chat_id is None or fault.chat_id == chat_id:
            raise ApiError(fault.status, fault.description, fault.parameters)

    def flood_limits(
        self, per_chat_per_second: float | None = None, per_group_per_minute: int | None = None
    ) -> None:
        """Answers excess sends with 429 and retry_after; None switches a limit off."""
        self._per_chat_per_second = per_chat_per_second or None
        self._per_group_per_minute = per_group_per_minute or None
        self._last_send.clear()
        self._group_sends.clear()

    def _check_flood(self, chat: EmuChat) -> None:
        now = time.monotonic()
        rate = self._per_chat_per_second
        if rate:
            last = self._last_send.get(chat.id)
            interval = 1.0 / rate
            if last is not None and now - last < interval:
                _raise_flood(interval - (now - last))
        limit = self._per_group_per_minute
        if limit and chat.type != "private":
            window = self._group_sends.setdefault(chat.id, deque())
            while window and window[0] <= now - 60.0:
                window.popleft()
            if len(window) >= limit:
                _raise_flood(window[0] + 60.0 - now)

    def _count_send(self, chat: EmuChat) -> None:
        now = time.monotonic()
        self._last_send[chat.id] = now
        if chat.type != "private":
            self._group_sends.setdefault(chat.id, deque()).append(now)


def _raise_flood(wait: float) -> None:
    retry_after = max(1, math.ceil(wait))
    raise ApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )


def _description(status: int, retry_after: int | None) -> str:
    if status == 429:
        return f"Too Many Requests: retry after {retry_after}"
    if status == 420:
        return "Flood: bot limit exceed"  # as Bale's SDKs spell it
    return _DESCRIPTIONS.get(status, "Bad Gateway")


_DESCRIPTIONS = {
    400: "Bad Request",
    403: "Forbidden",
    500: "Internal Server Error",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
