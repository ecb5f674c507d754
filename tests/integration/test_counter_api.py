"""A counter's own system over HTTP: its agenda and status updates, and every wrong call
answered without changing anything; checked against the OpenAPI document the server serves."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import ClientSession, web
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.http_api import OPENAPI, build_http_app
from services.booking import BookingView, book
from services.counter_api import new_api_token
from services.storage.models import Booking, BookingEvent, OutboxEvent
from tests.helpers.booking_data import NOW, RULES, TEN, VAULT, new_code, office_with_desks, request
from tests.helpers.booking_data import valid_national_code as code


class Api:
    def __init__(self, http: ClientSession, root: str, spec: dict[str, Any]) -> None:
        self.http, self.root, self.spec = http, root, spec

    async def call(
        self, method: str, path: str, token: str | None, *, template: str, **kwargs: Any
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.http.request(
            method, self.root + path, headers=headers, **kwargs
        ) as response:
            body = await response.json()
            status = response.status
        # Every answer is one the document promises, in the shape it promises.
        answers = self.spec["paths"][template][method.lower()]["responses"]
        assert str(status) in answers, (status, body)
        schema = answers[str(status)]["content"]["application/json"]["schema"]
        Draft202012Validator(schema).validate(body)
        return status, body


@pytest.fixture
async def world(
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[tuple[Api, str, str, BookingView]]:
    office_id = await office_with_desks(sessions, desks=2)
    other_id = await office_with_desks(sessions, desks=2, code="T-2")
    view, _ = await book(sessions, VAULT, RULES, request(office_id, 1, code(1)), NOW, new_code)
    await book(sessions, VAULT, RULES, request(other_id, 2, code(2)), NOW, new_code)
    token = await new_api_token(sessions, "T-1")
    other_token = await new_api_token(sessions, "T-2")
    runner = web.AppRunner(build_http_app(sessions))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    root = f"http://127.0.0.1:{runner.addresses[0][1]}"
    async with ClientSession() as http:
        async with http.get(root + "/openapi.json") as response:
            spec = await response.json()
        yield Api(http, root, spec), token, other_token, view
    await runner.cleanup()


async def visit_starts(
    sessions: async_sessionmaker[AsyncSession], booking_id: int, start: dt.datetime
) -> None:
    """The booking is moved to ``start`` (the API reads the real clock: time cannot be
    made to pass for it, the visit is brought to the time instead)."""
    async with sessions() as session, session.begin():
        booking = await session.get(Booking, booking_id)
        assert booking is not None and booking.starts_at and booking.ends_at
        booking.ends_at = start + (booking.ends_at - booking.starts_at)
        booking.starts_at = start


async def test_arrived_done_and_no_show_wait_for_the_visit(
    world: tuple[Api, str, str, BookingView], sessions: async_sessionmaker[AsyncSession]
) -> None:
    """A visit is not "arrived" or "done" before its day, nor "no_show" while it runs: 409
    with a reason, and nothing changes; on the day it goes through."""
    api, token, _, view = world
    template = "/api/v1/requests/{tracking_code}/status"
    path = f"/api/v1/requests/{view.tracking_code}/status"
    now = dt.datetime.now(dt.UTC)
    await visit_starts(sessions, view.id, now + dt.timedelta(days=3))
    for wanted in ("checked_in", "no_show"):
        status, body = await api.call(
            "POST", path, token, template=template, json={"status": wanted}
        )
        assert status == 409, body
        assert body["error"]["code"] in ("before_its_day", "slot_not_over")
        assert "booking" in body["error"]["message"]
    await visit_starts(sessions, view.id, now - dt.timedelta(days=2))
    status, body = await api.call(
        "POST", path, token, template=template, json={"status": "checked_in"}
    )
    assert (status, body["error"]["code"]) == (409, "after_its_day")
    async with sessions() as session:
        assert list(await session.scalars(select(BookingEvent.status))) == ["booked", "booked"]
        told = await session.scalar(
            select(func.count())
            .select_from(OutboxEvent)
            .where(OutboxEvent.event_type == "request.status_changed")
        )
    assert told == 0  # the citizen heard of nothing
    status, body = await api.call(
        "POST", path, token, template=template, json={"status": "no_show"}
    )
    assert (status, body["status"]) == (200, "no_show")  # its day is over: it can be said now


def test_the_served_document_is_valid_openapi() -> None:
    validate(OPENAPI)


async def test_agenda_and_a_status_update_that_reaches_the_timeline(
    world: tuple[Api, str, str, BookingView], sessions: async_sessionmaker[AsyncSession]
) -> None:
    api, token, _, view = world
    status, body = await api.call(
        "GET", f"/api/v1/agenda?date={TEN.date()}", token, template="/api/v1/agenda"
    )
    assert status == 200
    assert [b["tracking_code"] for b in body["bookings"]] == [view.tracking_code]
    assert body["bookings"][0]["national_code_masked"] == view.national_code_masked
    template = "/api/v1/requests/{tracking_code}/status"
    path = f"/api/v1/requests/{view.tracking_code}/status"
    status, body = await api.call(
        "POST", path, token, template=template, json={"status": "confirmed"}
    )
    assert status == 200 and body["status"] == "confirmed"
    await visit_starts(sessions, view.id, dt.datetime.now(dt.UTC))  # the visit's day came
    status, body = await api.call(
        "POST", path, token, template=template,
        json={"status": "checked_in", "note": "پرونده در دفتر"},
    )  # fmt: skip
    assert status == 200
    async with sessions() as session:
        events = list(
            await session.scalars(
                select(BookingEvent.status).where(BookingEvent.booking_id == view.id)
            )
        )
        told = list(
            await session.scalars(
                select(OutboxEvent.event_type).where(OutboxEvent.channel == "citizen")
            )
        )
    assert events == ["booked", "confirmed", "checked_in"]
    assert told.count("request.status_changed") == 2  # the citizen hears of each


async def test_wrong_calls_are_refused_and_change_nothing(
    world: tuple[Api, str, str, BookingView], sessions: async_sessionmaker[AsyncSession]
) -> None:
    api, token, other_token, view = world
    template = "/api/v1/requests/{tracking_code}/status"
    path = f"/api/v1/requests/{view.tracking_code}/status"
    ok = {"status": "confirmed"}
    cases = [
        (None, {"json": ok}, 401, "unauthorized"),
        ("pk_not-a-real-token", {"json": ok}, 401, "unauthorized"),
        (other_token, {"json": ok}, 404, "not_found"),  # another office's booking
        (token, {"data": b"{not json"}, 422, "invalid_json"),
        (token, {"json": ["confirmed"]}, 422, "invalid_body"),
        (token, {"json": {"status": "teleported"}}, 422, "invalid_status"),
        (token, {"json": {"status": "confirmed", "extra": 1}}, 422, "invalid_body"),
        (token, {"json": {"status": "done"}}, 409, "bad_transition"),  # not checked in yet
    ]
    for bearer, kwargs, expected, error in cases:
        status, body = await api.call("POST", path, bearer, template=template, **kwargs)
        assert (status, body["error"]["code"]) == (expected, error)
    status, body = await api.call(
        "GET", "/api/v1/agenda?date=1405-13-40", token, template="/api/v1/agenda"
    )
    assert (status, body["error"]["code"]) == (422, "invalid_date")
    async with sessions() as session:
        assert list(await session.scalars(select(BookingEvent.status))) == ["booked", "booked"]


async def test_healthz_answers_without_a_token(world: tuple[Api, str, str, BookingView]) -> None:
    api, *_ = world
    status, body = await api.call("GET", "/healthz", None, template="/healthz")
    assert status == 200 and body["status"] == "ok" and body["database"] == "ok"


def test_every_route_is_documented() -> None:
    app = build_http_app(None)  # type: ignore[arg-type]
    routes = {
        (r.method.lower(), r.resource.canonical)
        for r in app.router.routes()
        if r.resource is not None and r.method != "HEAD"
    }
    documented = {(m, p) for p, ops in OPENAPI["paths"].items() for m in ops}
    assert routes - {("get", "/openapi.json")} == documented


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1999-12-31", "3000-01-01"])
async def test_a_far_off_day_has_an_empty_agenda(
    world: tuple[Api, str, str, BookingView], day: str
) -> None:
    api, token, *_ = world
    status, body = await api.call(
        "GET", f"/api/v1/agenda?date={day}", token, template="/api/v1/agenda"
    )
    assert (status, body) == (200, {"date": day, "bookings": []})


async def test_an_empty_date_is_refused_not_read_as_today(
    world: tuple[Api, str, str, BookingView],
) -> None:
    api, token, *_ = world
    status, body = await api.call("GET", "/api/v1/agenda?date=", token, template="/api/v1/agenda")
    assert (status, body["error"]["code"]) == (422, "invalid_date")


async def test_a_status_note_is_stored_cleaned_and_its_long_numbers_masked(
    world: tuple[Api, str, str, BookingView], sessions: async_sessionmaker[AsyncSession]
) -> None:
    """A NUL (which PostgreSQL cannot store) and a bidi override are gone; a national code
    or mobile in the note never reaches the citizen's or staff's screens in full."""
    api, token, _, view = world
    template = "/api/v1/requests/{tracking_code}/status"
    path = f"/api/v1/requests/{view.tracking_code}/status"
    note = "پرونده\x00 \u202eبا کد ملی 0499370899 و ۰۹۱۲۱۲۳۴۵۶۷ ثبت شد"
    status, body = await api.call(
        "POST", path, token, template=template, json={"status": "confirmed", "note": note}
    )
    assert status == 200 and body["status"] == "confirmed"
    async with sessions() as session:
        stored = await session.scalar(
            select(BookingEvent.note_fa).where(
                BookingEvent.booking_id == view.id, BookingEvent.status == "confirmed"
            )
        )
    assert stored == "پرونده با کد ملی 04******99 و ۰۹*******۶۷ ثبت شد"


async def test_a_body_nested_too_deep_is_refused_as_invalid_json(
    world: tuple[Api, str, str, BookingView],
) -> None:
    api, token, _, view = world
    template = "/api/v1/requests/{tracking_code}/status"
    path = f"/api/v1/requests/{view.tracking_code}/status"
    status, body = await api.call(
        "POST", path, token, template=template, data=b"[" * 30_000 + b"]" * 30_000
    )
    assert (status, body["error"]["code"]) == (422, "invalid_json")
