"""A counter's own system receives each booking event, signed, once, however it misbehaves."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import ClientSession, web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks import Webhook

from nlp.tracking import format_tracking_code
from services.booking import book
from services.outbox import (
    LEASE,
    claim_due,
    dead_letters,
    delivered,
    failed,
    give_up,
    postpone,
    replay,
)
from services.storage.models import Office, OutboxEvent
from services.webhooks import NO_ENDPOINT, deliver_webhooks, set_webhook
from tests.helpers.booking_data import NOW, RULES, VAULT, new_code, office_with_desks, request
from tests.helpers.booking_data import valid_national_code as code


@dataclass
class Receiver:
    """A counter's HTTP endpoint that answers as told, and remembers what it accepted."""

    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    accepted: dict[str, dict[str, Any]] = field(default_factory=dict)  # by webhook-id
    calls: int = 0
    secret: str = ""
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.calls += 1
        status, headers = self.answers.pop(0) if self.answers else (200, {})
        body = await request.read()
        if status == 200:
            verified = Webhook(self.secret).verify(body, dict(request.headers))
            self.accepted.setdefault(request.headers["webhook-id"], verified)  # de-duplicated
        return web.Response(status=status, headers=headers)


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, web.AppRunner]]:
    hook = Receiver()
    app = web.Application()
    app.router.add_post("/hook", hook.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    hook.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    yield hook, runner
    await runner.cleanup()


async def _office_with_hook(
    sessions: async_sessionmaker[AsyncSession], url: str
) -> tuple[int, str]:
    office_id = await office_with_desks(sessions, desks=2)
    async with sessions() as session:
        office_code = (await session.get(Office, office_id)).code  # type: ignore[union-attr]
    secret = await set_webhook(sessions, VAULT, office_code, url)
    assert secret is not None and secret.startswith("whsec_")
    return office_id, secret


async def _next_due(sessions: async_sessionmaker[AsyncSession]) -> dt.datetime:
    async with sessions() as session:
        due = await session.scalar(
            select(OutboxEvent.next_attempt_at).where(
                OutboxEvent.channel == "webhook", OutboxEvent.status == "pending"
            )
        )
        assert due is not None
        return due


async def test_down_then_failing_then_accepting_delivers_once_signed(
    sessions: async_sessionmaker[AsyncSession],
    receiver: tuple[Receiver, web.AppRunner],
) -> None:
    hook, _ = receiver
    dead_url = "http://127.0.0.1:9/hook"  # nothing listens: the counter's system is down
    office_id, secret = await _office_with_hook(sessions, dead_url)
    hook.secret = secret
    view, _ = await book(sessions, VAULT, RULES, request(office_id, 1, code(1)), NOW, new_code)
    async with ClientSession() as http:
        assert await deliver_webhooks(sessions, VAULT, http, "w", NOW) == 0
        async with sessions() as session, session.begin():
            office = await session.get(Office, office_id)
            assert office is not None
            office.webhook_url = hook.url  # back up, same secret
        hook.answers = [(500, {}), (500, {}), (500, {})]
        now = NOW
        for _ in range(4):
            now = max(now, await _next_due(sessions)) + dt.timedelta(seconds=1)
            await deliver_webhooks(sessions, VAULT, http, "w", now)
    assert hook.calls == 4
    ((event_id, body),) = hook.accepted.items()
    assert body["type"] == "booking.created"
    # The code as the citizen was shown it, and the office by its own code.
    assert body["data"]["tracking_code"] == format_tracking_code(view.tracking_code)
    assert "-" in body["data"]["tracking_code"]
    async with sessions() as session:
        office = await session.get(Office, office_id)
    assert office is not None and body["data"]["office_code"] == office.code
    assert body["data"]["national_code_masked"] == view.national_code_masked
    async with sessions() as session:
        event = await session.scalar(select(OutboxEvent).where(OutboxEvent.event_id == event_id))
        assert event is not None and event.status == "delivered" and event.attempts == 5


async def test_retry_after_is_honoured_and_410_disables_the_endpoint(
    sessions: async_sessionmaker[AsyncSession],
    receiver: tuple[Receiver, web.AppRunner],
) -> None:
    hook, _ = receiver
    office_id, hook.secret = await _office_with_hook(sessions, hook.url)
    await book(sessions, VAULT, RULES, request(office_id, 1, code(1)), NOW, new_code)
    hook.answers = [(429, {"Retry-After": "120"})]
    async with ClientSession() as http:
        await deliver_webhooks(sessions, VAULT, http, "w", NOW)
        assert await _next_due(sessions) == NOW + dt.timedelta(seconds=120)
        assert (
            await deliver_webhooks(sessions, VAULT, http, "w", NOW + dt.timedelta(seconds=60)) == 0
        )
        assert hook.calls == 1  # not before the receiver asked
        hook.answers = [(410, {})]
        await deliver_webhooks(sessions, VAULT, http, "w", NOW + dt.timedelta(seconds=121))
        async with sessions() as session:
            office = await session.get(Office, office_id)
            assert office is not None and office.webhook_disabled_at is not None
        # While disabled, new bookings write no webhook events at all.
        await book(sessions, VAULT, RULES, request(office_id, 2, code(2)), NOW, new_code)
        async with sessions() as session:
            pending = await session.scalars(
                select(OutboxEvent).where(
                    OutboxEvent.channel == "webhook", OutboxEvent.status == "pending"
                )
            )
            assert list(pending) == []
        (dead,) = await dead_letters(sessions)
        assert dead.last_error == "HTTP 410 Gone"
        # The operator sets the endpoint again and replays the dead letter.
        async with sessions() as session:
            office_code = (await session.get(Office, office_id)).code  # type: ignore[union-attr]
        hook.secret = await set_webhook(sessions, VAULT, office_code, hook.url) or ""
        assert await replay(sessions, None, NOW) == 1
        assert (
            await deliver_webhooks(sessions, VAULT, http, "w", NOW + dt.timedelta(seconds=200)) == 1
        )
    assert len(hook.accepted) == 1
    assert json.dumps(next(iter(hook.accepted.values())), ensure_ascii=False)


async def test_an_event_claimed_by_a_worker_that_died_is_delivered_by_the_next(
    sessions: async_sessionmaker[AsyncSession],
    receiver: tuple[Receiver, web.AppRunner],
) -> None:
    """A worker killed mid-delivery leaves its events leased; when the lease runs out,
    another worker (or the same bot restarted) delivers them: nothing is lost."""
    hook, _ = receiver
    office_id, hook.secret = await _office_with_hook(sessions, hook.url)
    await book(sessions, VAULT, RULES, request(office_id, 1, code(1)), NOW, new_code)
    (claimed,) = await claim_due(sessions, "webhook", "worker-that-dies", NOW)
    async with ClientSession() as http:
        # While the dead worker's lease holds, nobody sends it twice…
        assert await deliver_webhooks(sessions, VAULT, http, "next", NOW) == 0
        # …and once it has run out, the next worker does.
        later = NOW + LEASE + dt.timedelta(seconds=1)
        assert await deliver_webhooks(sessions, VAULT, http, "next", later) == 1
    assert list(hook.accepted) == [claimed.event_id]


async def test_a_worker_whose_lease_ran_out_cannot_undo_the_next_workers_delivery(
    sessions: async_sessionmaker[AsyncSession],
    receiver: tuple[Receiver, web.AppRunner],
) -> None:
    """A slow worker finishing after its lease ran out (and another worker delivered the
    event meanwhile) must not record its failure over that delivery: the event would be
    sent a second time, or die though the counter has it."""
    hook, _ = receiver
    office_id, hook.secret = await _office_with_hook(sessions, hook.url)
    await book(sessions, VAULT, RULES, request(office_id, 1, code(1)), NOW, new_code)
    (slow,) = await claim_due(sessions, "webhook", "slow", NOW)
    later = NOW + LEASE + dt.timedelta(seconds=1)
    async with ClientSession() as http:
        assert await deliver_webhooks(sessions, VAULT, http, "next", later) == 1
    assert not await failed(sessions, slow, later, "HTTP 500 (answered late)")
    assert not await give_up(sessions, slow, "gave up late")
    assert not await delivered(sessions, slow, later)
    await postpone(sessions, [slow], later + dt.timedelta(hours=1))
    async with sessions() as session:
        event = await session.get(OutboxEvent, slow.id)
        assert event is not None
        assert (event.status, event.attempts, event.last_error) == ("delivered", 1, None)
        assert event.claimed_by == "next"
    assert list(hook.accepted) == [slow.event_id]

    # While its claim holds, the same worker's outcome is recorded.
    await book(sessions, VAULT, RULES, request(office_id, 2, code(2)), NOW, new_code)
    (held,) = await claim_due(sessions, "webhook", "slow", later)
    assert await failed(sessions, held, later, "HTTP 500")
    async with sessions() as session:
        event = await session.get(OutboxEvent, held.id)
        assert event is not None and (event.status, event.attempts) == ("pending", 1)


async def test_events_queued_before_the_endpoint_was_removed_wait_as_dead_letters(
    sessions: async_sessionmaker[AsyncSession],
    receiver: tuple[Receiver, web.AppRunner],
) -> None:
    hook, _ = receiver
    office_id, _ = await _office_with_hook(sessions, hook.url)
    await book(sessions, VAULT, RULES, request(office_id, 1, code(3)), NOW, new_code)
    async with sessions() as session:
        office_code = (await session.get(Office, office_id)).code  # type: ignore[union-attr]
    await set_webhook(sessions, VAULT, office_code, None)  # removed with the event queued
    async with ClientSession() as http:
        assert await deliver_webhooks(sessions, VAULT, http, "w", NOW) == 0
        (dead,) = await dead_letters(sessions)
        assert dead.last_error == NO_ENDPOINT
        hook.secret = await set_webhook(sessions, VAULT, office_code, hook.url) or ""
        assert await replay(sessions, None, NOW) == 1
        assert await deliver_webhooks(sessions, VAULT, http, "w", NOW) == 1
    assert len(hook.accepted) == 1 and hook.calls == 1
