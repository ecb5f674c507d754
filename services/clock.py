"""Time as citizens and counters live it: Asia/Tehran (UTC+03:30, no DST since 1402)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

TEHRAN = ZoneInfo("Asia/Tehran")


def tehran_now() -> dt.datetime:
    return dt.datetime.now(TEHRAN)


def tehran_today() -> dt.date:
    return tehran_now().date()
