"""Typed callback data: a short prefix and fields, packed into Telegram's 64 bytes.

A button from an older version, a forged payload or a stale value fails to parse (``None``)
instead of failing to run.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import re
import typing
from collections.abc import Iterable
from typing import Any, ClassVar

MAX_CALLBACK_BYTES = 64
_SEPARATOR = ":"
_INTEGER = re.compile(r"-?[0-9]+")  # ASCII digits only: int() would also read "٥"
INT64_LIMIT = 2**63


class CallbackData:
    """Base of all button payloads. Subclasses are frozen dataclasses with str/int fields."""

    prefix: ClassVar[str]
    _by_prefix: ClassVar[dict[str, type[CallbackData]]] = {}

    def __init_subclass__(cls, prefix: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not prefix or prefix in CallbackData._by_prefix or _SEPARATOR in prefix:
            raise TypeError(f"callback prefix {prefix!r} must be unique and non-empty")
        cls.prefix = prefix
        CallbackData._by_prefix[prefix] = cls

    def is_valid(self) -> bool:
        """Subclasses narrow the allowed values; the default accepts any. A pure function of
        the values (nothing read from the database or the clock): parses are cached."""
        return True

    def pack(self) -> str:
        parts = [self.prefix]
        for field in dataclasses.fields(self):  # type: ignore[arg-type]
            value = str(getattr(self, field.name))
            if _SEPARATOR in value:
                raise ValueError(f"{field.name} may not contain {_SEPARATOR!r}")
            parts.append(value)
        packed = _SEPARATOR.join(parts)
        if len(packed.encode()) > MAX_CALLBACK_BYTES:
            raise ValueError(f"callback data over {MAX_CALLBACK_BYTES} bytes: {packed!r}")
        return packed

    @staticmethod
    def parse(data: object) -> CallbackData | None:
        """The payload a button carried, or None when it is unknown, stale or malformed."""
        if not isinstance(data, str) or len(data.encode()) > MAX_CALLBACK_BYTES:
            return None
        return _parse(data)


@functools.cache
def _int_fields(prefix: str) -> frozenset[str]:
    hints = typing.get_type_hints(CallbackData._by_prefix[prefix])
    return frozenset(name for name, kind in hints.items() if kind is int)


# Every callback handler's pattern parses the same data in turn (a score of handlers per
# press); payloads are frozen and parsing is a pure function of the string, so it is cached.
@functools.lru_cache(maxsize=4096)
def _parse(data: str) -> CallbackData | None:
    prefix, *values = data.split(_SEPARATOR)
    cls = CallbackData._by_prefix.get(prefix)
    if cls is None:
        return None
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    if len(values) != len(fields):
        return None
    numeric = _int_fields(prefix)
    kwargs: dict[str, Any] = {}
    for field, raw in zip(fields, values, strict=True):
        if field.name in numeric:
            if (
                not _INTEGER.fullmatch(raw)
                or not -INT64_LIMIT <= (number := int(raw)) < INT64_LIMIT
            ):
                return None  # ids are 64-bit in the database: a longer one is no id of ours
            kwargs[field.name] = number
        else:
            kwargs[field.name] = raw
    parsed = cls(**kwargs)
    return parsed if parsed.is_valid() else None


MENU_ACTIONS = ("find", "docs", "book", "track", "mybookings", "help", "home", "complaint")


@dataclasses.dataclass(frozen=True)
class MenuChoice(CallbackData, prefix="m"):
    """A main-menu button."""

    action: str

    def is_valid(self) -> bool:
        return self.action in MENU_ACTIONS


# What a citizen can do with a chosen service.
SERVICE_ACTIONS = ("docs", "find", "book")
_KEY = re.compile(r"[a-z][a-z0-9_]{1,63}")


@dataclasses.dataclass(frozen=True)
class ServicePick(CallbackData, prefix="s"):
    """A service chosen from candidates or a category, and what to do with it."""

    action: str
    key: str

    def is_valid(self) -> bool:
        return self.action in SERVICE_ACTIONS and bool(_KEY.fullmatch(self.key))


@dataclasses.dataclass(frozen=True)
class CategoryPick(CallbackData, prefix="c"):
    """A category of services opened (``key`` empty: the list of categories)."""

    action: str
    key: str

    def is_valid(self) -> bool:
        return self.action in SERVICE_ACTIONS and (not self.key or bool(_KEY.fullmatch(self.key)))


OFFICE_ACTIONS = ("map", "docs", "book")


@dataclasses.dataclass(frozen=True)
class OfficeAction(CallbackData, prefix="o"):
    """A button under an office in the results: show it on a map, its documents, book."""

    action: str
    office_id: int
    service: str

    def is_valid(self) -> bool:
        return (
            self.action in OFFICE_ACTIONS
            and self.office_id > 0
            and bool(_KEY.fullmatch(self.service))
        )


@dataclasses.dataclass(frozen=True)
class FindMore(CallbackData, prefix="fm"):
    """The next page of offices further out, unfiltered: the button as sent before results
    had filters (FindPage now), still in citizens' chats and still honoured."""

    service: str
    page: int
    lat_e4: int
    lon_e4: int

    def is_valid(self) -> bool:
        return (
            bool(_KEY.fullmatch(self.service))
            and 1 <= self.page <= 20
            and -900_000 <= self.lat_e4 <= 900_000
            and -1_800_000 <= self.lon_e4 <= 1_800_000
        )


def network_tag(key: str) -> str:
    """A network key in 6 characters: the longest keys do not fit beside the rest of a
    FindPage in 64 bytes. An unknown tag (a network gone since) finds no network."""
    return hashlib.blake2s(key.encode(), digest_size=3).hexdigest()


def tagged_network(tag: str, keys: Iterable[str]) -> str | None:
    """The network among ``keys`` whose tag this is, or None."""
    return next((key for key in keys if network_tag(key) == tag), None)


_TAG = re.compile(r"[0-9a-f]{6}")


@dataclasses.dataclass(frozen=True)
class FindPage(CallbackData, prefix="fp"):
    """Offices from the same point (in 1/10,000 degrees, so the button still works tomorrow,
    whatever the chat has done since), narrowed to those open at the press (``open_now``
    1) and to one network (``network`` its tag, empty for all). Page 0 is a filter changed:
    the results it was under are redrawn; a later page is further out, in a new message."""

    service: str
    page: int
    lat_e4: int
    lon_e4: int
    open_now: int
    network: str

    def is_valid(self) -> bool:
        return (
            bool(_KEY.fullmatch(self.service))
            and 0 <= self.page <= 20
            and -900_000 <= self.lat_e4 <= 900_000
            and -1_800_000 <= self.lon_e4 <= 1_800_000
            and self.open_now in (0, 1)
            and (not self.network or bool(_TAG.fullmatch(self.network)))
        )


_DAY = re.compile(r"\d{8}")  # yyyymmdd (Gregorian)
_MOMENT = re.compile(r"\d{12}")  # yyyymmddHHMM (Asia/Tehran wall clock)


@dataclasses.dataclass(frozen=True)
class BookDay(CallbackData, prefix="bd"):
    """A day chosen for a booking (``booking_id`` > 0: moving that booking)."""

    office_id: int
    service: str
    day: str
    booking_id: int

    def is_valid(self) -> bool:
        return (
            self.office_id > 0
            and bool(_KEY.fullmatch(self.service))
            and bool(_DAY.fullmatch(self.day))
            and self.booking_id >= 0
        )


@dataclasses.dataclass(frozen=True)
class BookTime(CallbackData, prefix="bt"):
    """A time chosen for a booking (``booking_id`` > 0: moving that booking)."""

    office_id: int
    service: str
    moment: str
    booking_id: int

    def is_valid(self) -> bool:
        return (
            self.office_id > 0
            and bool(_KEY.fullmatch(self.service))
            and bool(_MOMENT.fullmatch(self.moment))
            and self.booking_id >= 0
        )


BOOK_STEPS = ("days", "cancel")


@dataclasses.dataclass(frozen=True)
class BookNav(CallbackData, prefix="bn"):
    """Back to the days of the booking in progress, or give it up."""

    step: str

    def is_valid(self) -> bool:
        return self.step in BOOK_STEPS


@dataclasses.dataclass(frozen=True)
class BookConfirm(CallbackData, prefix="bc"):
    """The confirm button of one summary: its nonce makes a second press harmless."""

    nonce: str

    def is_valid(self) -> bool:
        return bool(re.fullmatch(r"[0-9a-f]{16}", self.nonce))


MY_ACTIONS = ("cancel", "cancel_yes", "cancel_no", "reschedule", "on_way")


@dataclasses.dataclass(frozen=True)
class MyBooking(CallbackData, prefix="mb"):
    """A button on one of the citizen's bookings (a list entry or a reminder)."""

    action: str
    booking_id: int

    def is_valid(self) -> bool:
        return self.action in MY_ACTIONS and self.booking_id > 0


@dataclasses.dataclass(frozen=True)
class TrackCode(CallbackData, prefix="tc"):
    """Show the timeline of this tracking code."""

    code: str

    def is_valid(self) -> bool:
        return bool(re.fullmatch(r"[0-9A-Z]{8}", self.code))


# "back": the card's own buttons again, after the list of reasons or of documents.
STAFF_ACTIONS = (
    "confirm", "arrived", "done", "no_show", "docs", "ready", "cancel", "show", "back",
)  # fmt: skip


@dataclasses.dataclass(frozen=True)
class StaffAction(CallbackData, prefix="sa"):
    """A button under a booking in the office's group."""

    action: str
    booking_id: int

    def is_valid(self) -> bool:
        return self.action in STAFF_ACTIONS and self.booking_id > 0


@dataclasses.dataclass(frozen=True)
class StaffCancel(CallbackData, prefix="sx"):
    """Cancel a booking, for one of the offered reasons (index)."""

    booking_id: int
    reason: int

    def is_valid(self) -> bool:
        return self.booking_id > 0 and 0 <= self.reason < 10


MAX_DOCUMENTS = 16  # the longest list in the catalogue has 11
STAFF_DOCS_STEPS = ("toggle", "send")


@dataclasses.dataclass(frozen=True)
class StaffDocs(CallbackData, prefix="sd"):
    """The documents a clerk marks as missing: ``chosen`` is a bit per document of the
    service's list (as chosen so far); ``toggle`` flips document ``index``, ``send`` sets
    the request's status with the chosen ones."""

    step: str
    booking_id: int
    chosen: int
    index: int

    def is_valid(self) -> bool:
        return (
            self.step in STAFF_DOCS_STEPS
            and 0 < self.booking_id < 2**63
            and 0 <= self.chosen < 2**MAX_DOCUMENTS
            and 0 <= self.index < MAX_DOCUMENTS
        )


# --- After the visit ---------------------------------------------------------------------

RATE_STEPS = ("stars", "wait", "comment")


@dataclasses.dataclass(frozen=True)
class Rate(CallbackData, prefix="rt"):
    """A rating button under the ask after a visit: stars 1-5, a wait band (1-based index
    of services.storage.models.WAIT_BANDS), or 0 to skip the step."""

    step: str
    booking_id: int
    value: int

    def is_valid(self) -> bool:
        limit = {"stars": 5, "wait": 4, "comment": 0}.get(self.step, -1)
        return self.booking_id > 0 and 0 <= self.value <= limit


COMPLAINT_STEPS = ("booking", "office", "kind", "photo", "cancel", "start")


@dataclasses.dataclass(frozen=True)
class ComplaintStep(CallbackData, prefix="cs"):
    """A button of the complaint dialog: the visit or office it is about, its kind (an
    index), no photo, give up; ``start`` opens the dialog about one booking."""

    step: str
    value: int

    def is_valid(self) -> bool:
        return self.step in COMPLAINT_STEPS and 0 <= self.value < 2**53


@dataclasses.dataclass(frozen=True)
class ComplaintConfirm(CallbackData, prefix="cc"):
    """The confirm button of one complaint summary: its nonce makes a second press harmless."""

    nonce: str

    def is_valid(self) -> bool:
        return bool(re.fullmatch(r"[0-9a-f]{16}", self.nonce))


SUPERVISE_ACTIONS = ("ack", "reply", "resolve", "reject", "show", "photo")


@dataclasses.dataclass(frozen=True)
class SuperviseAction(CallbackData, prefix="sv"):
    """A button under a complaint in a supervisor chat."""

    action: str
    complaint_id: int

    def is_valid(self) -> bool:
        return self.action in SUPERVISE_ACTIONS and self.complaint_id > 0


@dataclasses.dataclass(frozen=True)
class SuperviseReject(CallbackData, prefix="sj"):
    """Reject a complaint, for one of the offered reasons (index)."""

    complaint_id: int
    reason: int

    def is_valid(self) -> bool:
        return self.complaint_id > 0 and 0 <= self.reason < 10


@dataclasses.dataclass(frozen=True)
class OpenMore(CallbackData, prefix="so"):
    """The next page of a supervisor chat's open complaints: those after this complaint,
    the last one shown."""

    after: int

    def is_valid(self) -> bool:
        return 0 < self.after < 2**63
