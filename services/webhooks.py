"""Signed webhooks to a counter's own system (the Standard Webhooks spec).

Each outbox event goes out as ``{"type", "timestamp", "data"}`` with the headers
``webhook-id`` (the event's id, the same on every retry, so the receiver can drop
repeats), ``webhook-timestamp`` and ``webhook-signature``. 2xx: delivered. 410: the
endpoint is disabled. 429/503 with Retry-After: tried again when the receiver asked. Other
failures: exponential backoff with jitter for about a day, then a dead letter
(``pishkhan outbox list|replay``).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import secrets
from email.utils import parsedate_to_datetime
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks import Webhook

from services.booking import booking_by_id
from services.outbox import LEASE, Claimed, claim_due, delivered, failed, give_up
from services.privacy import Vault
from services.storage.models import Office

log = logging.getLogger(__name__)

TIMEOUT = ClientTimeout(total=15)


def new_webhook_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


async def set_webhook(
    sessions: async_sessionmaker[AsyncSession],
    vault: Vault,
    office_code: str,
    url: str | None,
) -> str | None:
    """Sets (a new secret, returned once) or removes the office's endpoint."""
    async with sessions() as session, session.begin():
        office = await session.scalar(select(Office).where(Office.code == office_code))
        if office is None:
            raise LookupError(f"no office with code {office_code!r}")
        office.webhook_url = url
        office.webhook_disabled_at = None
        if url is None:
            office.webhook_secret_enc = None
            return None
        secret = new_webhook_secret()
        office.webhook_secret_enc = vault.encrypt(secret)
        return secret


def retry_after(header: str | None, now: dt.datetime) -> dt.timedelta | None:
    """Retry-After as seconds or as an HTTP date."""
    if not header:
        return None
    if header.strip().isdigit():
        return dt.timedelta(seconds=int(header.strip()))
    try:
        when = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    return max(dt.timedelta(0), when - now)


def shown_tracking_code(code: str) -> str:
    """``ABCDEFGH`` as citizens are shown it, ``ABCD-EFGH``: the form of
    nlp.tracking.format_tracking_code, which this layer may not import (the tests hold the
    two together)."""
    return f"{code[:4]}-{code[4:]}"


async def payload_of(
    sessions: async_sessionmaker[AsyncSession], event: Claimed, office: Office, now: dt.datetime
) -> dict[str, Any] | None:
    """The event's body: the tracking code as citizens see and say it (``ABCD-EFGH``; the
    counter API takes it either way) and the office by its own code, as in the import; the
    internal id stays beside it for systems that stored it."""
    booking = (
        await booking_by_id(sessions, event.booking_id) if event.booking_id is not None else None
    )
    if booking is None:
        return None
    return {
        "type": event.event_type,
        "timestamp": now.astimezone(dt.UTC).isoformat(),
        "data": {
            "tracking_code": shown_tracking_code(booking.tracking_code),
            "status": booking.status,
            "service": booking.service_key,
            "service_name": booking.service_name,
            "office_code": office.code,
            "office_id": booking.office_id,
            "starts_at": booking.starts_at.isoformat(),
            "ends_at": booking.ends_at.isoformat(),
            "citizen_name": booking.citizen_name,
            "national_code_masked": booking.national_code_masked,
            "mobile_masked": booking.mobile_masked,
        },
    }


NO_ENDPOINT = "no endpoint: set the office's webhook again, then replay"


async def deliver_webhooks(
    sessions: async_sessionmaker[AsyncSession],
    vault: Vault,
    http: ClientSession,
    worker: str,
    now: dt.datetime,
    lease: dt.timedelta = LEASE,
) -> int:
    """One round over the due webhook events; returns how many were accepted."""
    accepted = 0
    for event in await claim_due(sessions, "webhook", worker, now, lease=lease):
        async with sessions() as session:
            office = await session.get(Office, event.office_id) if event.office_id else None
        # Signed with the moment it really leaves: receivers check it against their clock.
        sent_at = dt.datetime.now(dt.UTC)
        body = None if office is None else await payload_of(sessions, event, office, sent_at)
        if office is None or body is None:
            await delivered(sessions, event, now, "nothing to send any more")
            continue
        if not office.webhook_url or office.webhook_disabled_at:
            # Removed (or disabled) after the event was queued: kept for a replay once the
            # operator sets the endpoint again, not dropped.
            await give_up(sessions, event, NO_ENDPOINT)
            continue
        assert office.webhook_secret_enc is not None
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        signature = Webhook(vault.decrypt(office.webhook_secret_enc)).sign(
            event.event_id, sent_at, data
        )
        headers = {
            "content-type": "application/json",
            "webhook-id": event.event_id,
            "webhook-timestamp": str(int(sent_at.timestamp())),
            "webhook-signature": signature,
        }
        try:
            async with http.post(
                office.webhook_url, data=data.encode(), headers=headers, timeout=TIMEOUT
            ) as response:
                status, wait = response.status, response.headers.get("Retry-After")
        except (ClientError, TimeoutError, OSError) as exc:
            await failed(sessions, event, now, f"connection failed: {exc!r}")
            continue
        if 200 <= status < 300:
            accepted += await delivered(sessions, event, now)
        elif status == 410:
            await _disable(sessions, office.id, event, now)
        else:
            await failed(sessions, event, now, f"HTTP {status}", retry_after=retry_after(wait, now))
    return accepted


async def _disable(
    sessions: async_sessionmaker[AsyncSession], office_id: int, claim: Claimed, now: dt.datetime
) -> None:
    """410 Gone: the counter took its endpoint down; stop sending until an operator sets it
    again. The event becomes a dead letter, to be replayed if wanted (if this worker dies in
    between, the next finds the endpoint disabled and does the same)."""
    log.warning("webhook of office %s answered 410: disabled", office_id)
    async with sessions() as session, session.begin():
        office = await session.get(Office, office_id)
        if office is not None:
            office.webhook_disabled_at = now
    await give_up(sessions, claim, "HTTP 410 Gone")
