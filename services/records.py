"""Validated shapes of catalogue, office and closure data, shared by the shipped sample,
imports and the command line."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from services.clock import LATIN_DIGITS, jalali_moment, next_midnight

WEEKDAYS = ("sat", "sun", "mon", "tue", "wed", "thu", "fri")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
# Keys travel in buttons' callback data (64 bytes with an office id, a time and a booking
# id beside them): 32 characters at most leaves them room.
_KEY = r"^[a-z][a-z0-9_]{1,31}$"

Key = Annotated[str, Field(pattern=_KEY)]
ShortText = Annotated[str, Field(min_length=1, max_length=300)]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class NetworkRecord(_Record):
    key: Key
    name_fa: ShortText
    short_fa: ShortText
    description_fa: str = ""


class CategoryRecord(_Record):
    key: Key
    name_fa: ShortText


class DocumentRecord(_Record):
    name_fa: ShortText
    note_fa: str = ""


class FeeRecord(_Record):
    amount_rial: int = Field(ge=0)
    year: int = Field(ge=1300, le=1500, description="Jalali year the fee applies to")
    note_fa: str = ""
    source: str = ""


class OnlineRecord(_Record):
    url: str = Field(pattern=r"^https?://\S+$")
    name_fa: str = ""
    note_fa: str = ""


class ServiceRecord(_Record):
    key: Key
    name_fa: ShortText
    category: Key
    aliases: list[str] = []
    networks: list[Key] = Field(min_length=1)
    documents: list[DocumentRecord] = []
    fee: FeeRecord | None = None
    typical_duration_fa: str = ""
    slot_minutes: int = Field(default=15, ge=5, le=240)
    online: OnlineRecord | None = None
    visit_required: bool = True
    essential: bool = False
    notes_fa: str = ""
    sources: list[str] = []

    @model_validator(mode="after")
    def _online_when_no_visit(self) -> ServiceRecord:
        if not self.visit_required and self.online is None:
            raise ValueError("a service that needs no visit must give its online alternative")
        return self


Interval = tuple[str, str]


class OfficeRecord(_Record):
    code: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]
    name: ShortText
    network: Key
    province: ShortText
    county: str = ""
    city: ShortText
    district: int | None = Field(default=None, ge=1, le=99)
    address: str = ""
    lat: float = Field(ge=24.0, le=40.5, description="inside Iran")
    lon: float = Field(ge=43.5, le=64.0, description="inside Iran")
    phone: str = Field(default="", max_length=32)
    hours: dict[str, list[Interval]]
    services: list[Key] = Field(min_length=1)
    desks: int = Field(default=1, ge=1, le=50)
    active: bool = True
    notes_fa: str = ""
    # The office's own word on a service it offers, e.g. «فقط صبح‌ها» or «با نوبت قبلی».
    service_notes: dict[Key, str] = {}

    @field_validator("service_notes")
    @classmethod
    def _notes_for_offered_services(
        cls, notes: dict[str, str], info: ValidationInfo
    ) -> dict[str, str]:
        stray = sorted(set(notes) - set(info.data.get("services", notes)))
        if stray:
            raise ValueError(f"notes for services the office does not offer: {stray}")
        return notes

    @field_validator("hours")
    @classmethod
    def _weekly_hours(cls, hours: dict[str, list[Interval]]) -> dict[str, list[Interval]]:
        unknown = set(hours) - set(WEEKDAYS)
        if unknown:
            raise ValueError(f"unknown day(s) {sorted(unknown)}; use {', '.join(WEEKDAYS)}")
        for day, intervals in hours.items():
            previous_end = ""
            for start, end in intervals:
                if not (_TIME.match(start) and _TIME.match(end)):
                    raise ValueError(f"{day}: times must be HH:MM, got {start}-{end}")
                if start >= end:
                    raise ValueError(f"{day}: {start}-{end} closes before it opens")
                if start < previous_end:
                    raise ValueError(f"{day}: intervals overlap or are out of order")
                previous_end = end
        if not any(hours.values()):
            raise ValueError("the office is never open")
        return {day: list(hours.get(day, [])) for day in WEEKDAYS}

    @field_validator("services")
    @classmethod
    def _unique_services(cls, services: list[str]) -> list[str]:
        if len(set(services)) != len(services):
            raise ValueError("a service is listed twice")
        return services


class CatalogueFile(_Record):
    """The catalogue file: networks, categories and services (all optional but services)."""

    version: str = ""
    notice_fa: str = ""
    networks: list[NetworkRecord] = []
    categories: list[CategoryRecord] = []
    services: list[ServiceRecord]


# Citizens read the reason inside their notice; a paragraph is plenty.
REASON_MAX_LENGTH = 300
PlaceName = Annotated[str, Field(max_length=100)]


class ClosureRecord(_Record):
    """A closure as an operator writes it: where (by scope), from when to when, and why.

    Whether the place exists and suits the scope is for ``services.closures`` to say, against
    the offices stored.
    """

    scope: Literal["office", "city", "province", "nation"]
    office: str | None = Field(default=None, max_length=64)
    province: PlaceName | None = None
    city: PlaceName | None = None
    starts_at: dt.datetime = Field(alias="from")
    ends_at: dt.datetime | None = Field(default=None, alias="to")
    reason_fa: str = Field(alias="reason", max_length=REASON_MAX_LENGTH)

    @field_validator("office", "province", "city", mode="before")
    @classmethod
    def _blank_is_absent(cls, value: Any) -> Any:
        if isinstance(value, str):
            return value.strip() or None
        return value

    @field_validator("office")
    @classmethod
    def _latin_code(cls, code: str | None) -> str | None:
        return code.translate(LATIN_DIGITS) if code else code

    @field_validator("reason_fa")
    @classmethod
    def _reason_given(cls, reason: str) -> str:
        if not reason:
            raise PydanticCustomError("reason_missing", "say why, in Persian: citizens read it")
        return reason

    @field_validator("starts_at", mode="before")
    @classmethod
    def _jalali_start(cls, value: Any) -> dt.datetime:
        return _jalali(value, end_of_day=False)

    @field_validator("ends_at", mode="before")
    @classmethod
    def _jalali_end(cls, value: Any) -> dt.datetime | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return _jalali(value, end_of_day=True)  # a date alone: through that whole day

    @property
    def ends(self) -> dt.datetime:
        """The end as written, or the end of the day it starts."""
        return self.ends_at or next_midnight(self.starts_at)


def _jalali(value: Any, *, end_of_day: bool) -> dt.datetime:
    if not isinstance(value, str):
        # Not a timestamp or a Gregorian datetime: operators write Jalali text.
        raise PydanticCustomError(
            "jalali_date", "write the date as text, like 1405/09/10 or 1405/09/10 08:00"
        )
    try:
        return jalali_moment(value, end_of_day=end_of_day)
    except ValueError as exc:
        raise PydanticCustomError(
            "jalali_date", "unreadable date: {why}", {"why": str(exc)}
        ) from None
