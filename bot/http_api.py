"""The bot's HTTP server: the counter API (per-office bearer token), its OpenAPI document,
/healthz and /metrics (Prometheus). Errors answer in one shape,
``{"error": {"code", "message"}}``, and change nothing."""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.metrics import CONTENT_TYPE, exposition
from nlp.hygiene import clean_user_text
from services.booking import BookingRefused, BookingView, Refusal, change_status
from services.clock import TEHRAN, tehran_now
from services.counter_api import booking_of_office, office_of_token, status_note
from services.operations import Figures, database_answers, figures
from services.staff import AGENDA_YEARS, agenda
from services.storage.models import BOOKING_STATUSES

log = logging.getLogger(__name__)

SESSIONS = web.AppKey("sessions", async_sessionmaker[AsyncSession])
METRICS_TOKEN = web.AppKey("metrics_token", str)
OFFICE = web.RequestKey("office_id", int)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# A health check or a scrape must answer quickly even when the database hangs.
DATABASE_TIMEOUT = 3.0
NOTE_MAX = 500

# --- the document ----------------------------------------------------------------------------

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}
BOOKING = {
    "type": "object",
    "required": ["tracking_code", "status", "service", "starts_at", "ends_at"],
    "properties": {
        "tracking_code": {"type": "string", "pattern": "^[0-9A-Z]{8}$"},
        "status": {"type": "string", "enum": list(BOOKING_STATUSES)},
        "service": {"type": "string"},
        "service_name": {"type": "string"},
        "starts_at": {"type": "string", "format": "date-time"},
        "ends_at": {"type": "string", "format": "date-time"},
        "citizen_name": {"type": ["string", "null"]},
        "national_code_masked": {"type": "string"},
        "mobile_masked": {"type": "string"},
    },
}
AGENDA = {
    "type": "object",
    "required": ["date", "bookings"],
    "properties": {
        "date": {"type": "string", "format": "date"},
        "bookings": {"type": "array", "items": BOOKING},
    },
}
HEALTH = {
    "type": "object",
    "required": ["status", "database", "time"],
    "properties": {
        "status": {"const": "ok"},
        "database": {"const": "ok"},
        "time": {"type": "string", "format": "date-time"},
    },
}
STATUS_CHANGE = {
    "type": "object",
    "required": ["status"],
    "additionalProperties": False,
    "properties": {
        "status": {"type": "string", "enum": list(BOOKING_STATUSES)},
        "note": {
            "type": "string",
            "maxLength": NOTE_MAX,
            "description": "shown to the citizen and the staff; control and bidi characters"
            " are removed and long numbers (national codes, mobiles) masked",
        },
    },
}


def _answers(ok: dict[str, Any], *errors: str) -> dict[str, Any]:
    reasons = {
        "401": "missing or wrong bearer token",
        "404": "no such request at this office",
        "409": "the request cannot move to that status from where it is, or not at this "
        "moment (arrived and done from the booking's day on, no-show once its time is over)",
        "422": "the body or a parameter is not valid",
    }
    found = {"200": {"description": "OK", "content": {"application/json": {"schema": ok}}}}
    for status in errors:
        found[status] = {
            "description": reasons[status],
            "content": {"application/json": {"schema": ERROR}},
        }
    return found


OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Pishkhan counter API",
        "version": "1.0.0",
        "description": "A counter's own system reads its agenda and moves its requests on.",
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
    },
    "security": [{"bearer": []}],
    "paths": {
        "/api/v1/agenda": {
            "get": {
                "summary": "The office's bookings of a day, by time",
                "parameters": [
                    {
                        "name": "date",
                        "in": "query",
                        "required": False,
                        "description": "YYYY-MM-DD (Gregorian); today in Tehran if left"
                        " out, 422 if empty. A day outside the years"
                        f" {AGENDA_YEARS.start}-{AGENDA_YEARS.stop - 1} has no bookings:"
                        " 200 with an empty list",
                        "schema": {"type": "string", "format": "date"},
                    }
                ],
                "responses": _answers(AGENDA, "401", "422"),
            }
        },
        "/api/v1/requests/{tracking_code}/status": {
            "post": {
                "summary": "Move a request on; the citizen is told",
                "parameters": [
                    {
                        "name": "tracking_code",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": STATUS_CHANGE}},
                },
                "responses": _answers(BOOKING, "401", "404", "409", "422"),
            }
        },
        "/healthz": {
            "get": {
                "summary": "The bot and its database answer",
                "security": [],
                "responses": {
                    "200": {
                        "description": "healthy",
                        "content": {"application/json": {"schema": HEALTH}},
                    },
                    "503": {
                        "description": "the database did not answer in time",
                        "content": {"application/json": {"schema": ERROR}},
                    },
                },
            }
        },
        "/metrics": {
            "get": {
                "summary": "Prometheus metrics: updates, latency, rate limits, bookings, outbox",
                "description": "Open on the private address unless PISHKHAN_METRICS_TOKEN is"
                " set; then the scraper sends it as a bearer token.",
                "security": [{}, {"bearer": []}],
                "responses": {
                    "200": {
                        "description": "Prometheus text format 0.0.4; without the database"
                        " figures (and with pishkhan_database_up 0) when it did not answer",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    },
                    "401": {
                        "description": "a metrics token is set and was not sent",
                        "content": {"application/json": {"schema": ERROR}},
                    },
                },
            }
        },
    },
}

# --- handlers --------------------------------------------------------------------------------


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


def _booking_json(view: BookingView) -> dict[str, Any]:
    return {
        "tracking_code": view.tracking_code,
        "status": view.status,
        "service": view.service_key,
        "service_name": view.service_name,
        "starts_at": view.starts_at.isoformat(),
        "ends_at": view.ends_at.isoformat(),
        "citizen_name": view.citizen_name,
        "national_code_masked": view.national_code_masked,
        "mobile_masked": view.mobile_masked,
    }


@web.middleware
async def bearer_token(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every /api/ call names its office by its token; nothing else is looked at first."""
    if not request.path.startswith("/api/"):
        return await handler(request)
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    office_id = (
        await office_of_token(request.app[SESSIONS], token.strip())
        if scheme.lower() == "bearer" and token.strip()
        else None
    )
    if office_id is None:
        return _error(401, "unauthorized", "send Authorization: Bearer <the office's token>")
    request[OFFICE] = office_id
    return await handler(request)


async def get_agenda(request: web.Request) -> web.Response:
    if "date" not in request.query:
        day = tehran_now().date()
    else:
        raw = request.query["date"]
        try:
            day = dt.date.fromisoformat(raw)
        except ValueError:
            return _error(422, "invalid_date", f"date must be YYYY-MM-DD, got {raw[:20]!r}")
    bookings = await agenda(request.app[SESSIONS], request[OFFICE], day)
    return web.json_response(
        {"date": day.isoformat(), "bookings": [_booking_json(b) for b in bookings]}
    )


# Why a status that fits the request's place cannot be set at this moment (409).
TIMING_MESSAGES = {
    Refusal.BEFORE_ITS_DAY: "{status!r} can be set from the booking's own day (Asia/Tehran) on",
    Refusal.AFTER_ITS_DAY: "the booking's day is over: {status!r} is for its own day; "
    "set 'no_show' instead",
    Refusal.SLOT_NOT_OVER: "{status!r} can be set once the booking's time is over",
}


async def post_status(request: web.Request) -> web.Response:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        return _error(422, "invalid_json", "the body must be a JSON object")
    if not isinstance(body, dict) or set(body) - {"status", "note"}:
        return _error(422, "invalid_body", 'the body is {"status": "...", "note": "..."}')
    status, note = body.get("status"), body.get("note", "")
    if status not in BOOKING_STATUSES:
        return _error(422, "invalid_status", f"status must be one of {', '.join(BOOKING_STATUSES)}")
    if not isinstance(note, str) or len(note := clean_user_text(note)) > NOTE_MAX:
        return _error(422, "invalid_note", f"note must be text of at most {NOTE_MAX} characters")
    sessions = request.app[SESSIONS]
    booking_id = await booking_of_office(
        sessions, request[OFFICE], request.match_info["tracking_code"]
    )
    if booking_id is None:
        return _error(404, "not_found", "no request with this tracking code at this office")
    try:
        view = await change_status(
            sessions,
            booking_id,
            status,
            tehran_now(),
            actor_kind="counter_api",
            actor_ref=f"office:{request[OFFICE]}",
            note_fa=status_note(note),
        )
    except BookingRefused as refused:
        if refused.refusal not in TIMING_MESSAGES and refused.refusal is not Refusal.BAD_TRANSITION:
            raise
        message = TIMING_MESSAGES.get(refused.refusal, "the request cannot move to {status!r} now")
        return _error(409, refused.refusal.value, message.format(status=status))
    return web.json_response(_booking_json(view))


async def healthz(request: web.Request) -> web.Response:
    try:
        async with asyncio.timeout(DATABASE_TIMEOUT):
            await database_answers(request.app[SESSIONS])
    except Exception as exc:  # any failure of the database is "not healthy"
        log.warning("healthz: the database did not answer: %s", type(exc).__name__)
        return _error(
            503, "database_unavailable", f"the database did not answer ({type(exc).__name__})"
        )
    now = tehran_now().astimezone(TEHRAN).isoformat()
    return web.json_response({"status": "ok", "database": "ok", "time": now})


async def metrics(request: web.Request) -> web.Response:
    expected = request.app[METRICS_TOKEN]
    if expected:
        scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            sent.strip().encode(), expected.encode()
        ):
            return _error(401, "unauthorized", "send Authorization: Bearer <the metrics token>")
    snapshot: Figures | None
    try:
        async with asyncio.timeout(DATABASE_TIMEOUT):
            snapshot = await figures(request.app[SESSIONS], tehran_now())
    except Exception as exc:  # still serve this process's own metrics
        log.warning("metrics: the database did not answer: %s", type(exc).__name__)
        snapshot = None
    return web.Response(body=exposition(snapshot), headers={"Content-Type": CONTENT_TYPE})


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(OPENAPI)


def build_http_app(
    sessions: async_sessionmaker[AsyncSession], *, metrics_token: str = ""
) -> web.Application:
    """The counter API, /healthz and /metrics (behind ``metrics_token`` when one is set)."""
    app = web.Application(middlewares=[bearer_token], client_max_size=64 * 1024)
    app[SESSIONS] = sessions
    app[METRICS_TOKEN] = metrics_token
    app.router.add_get("/api/v1/agenda", get_agenda)
    app.router.add_post("/api/v1/requests/{tracking_code}/status", post_status)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/openapi.json", openapi)
    return app
