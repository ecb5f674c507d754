"""Prometheus metrics: what this process counts (updates, their latency, Telegram's rate
limit) and what the database holds (bookings, the outbox), read at scrape time.

With several worker processes, ``PROMETHEUS_MULTIPROC_DIR`` must name an empty directory
before ``prometheus_client`` is first imported in each of them: every process then writes
its counts to files there and any of them serves the sum. The database figures are added
once per scrape, never per process. Labels carry only small fixed sets of values: no chat
ids, national codes, mobiles or tracking codes.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from telegram import Update
from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter

from services.operations import Figures

log = logging.getLogger(__name__)

# Read once, as prometheus_client itself does when first imported: the two must agree.
MULTIPROCESS_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None
if MULTIPROCESS_DIR is not None:  # a missing folder would fail the first update counted
    os.makedirs(MULTIPROCESS_DIR, exist_ok=True)

UPDATE_TYPES = tuple(str(kind) for kind in Update.ALL_TYPES)
SLOW_UPDATE = 2.0  # seconds; slower updates are logged as warnings

UPDATES = Counter("pishkhan_updates", "Incoming updates, by type", ["type"])
UPDATE_SECONDS = Histogram(
    "pishkhan_update_seconds",
    "Time to handle one update, its conversation's lock and state included",
    ["type"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
RATE_LIMIT_WAITS = Counter(
    "pishkhan_rate_limit_waits",
    "Times Telegram's rate limit (429 retry_after) made us wait: 'retry' when the request "
    "was sent again after the wait, 'postpone' when an outbox event was put off",
    ["kind"],
)


def update_type(update: object) -> str:
    """The kind of update (``message``, ``callback_query`` ...), or ``other``."""
    if isinstance(update, Update):
        for kind in UPDATE_TYPES:
            if getattr(update, kind, None) is not None:
                return kind
    return "other"


@contextmanager
def observed_update(update: object) -> Iterator[None]:
    """Counts the update and times its handling; logs it with structured fields."""
    kind = update_type(update)
    UPDATES.labels(kind).inc()
    started = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - started
        UPDATE_SECONDS.labels(kind).observe(elapsed)
        chat = update.effective_chat if isinstance(update, Update) else None
        fields = {
            "update_id": update.update_id if isinstance(update, Update) else None,
            "update_type": kind,
            "chat_kind": chat.type if chat else None,
            "duration_ms": round(elapsed * 1000, 1),
        }
        level = logging.WARNING if elapsed >= SLOW_UPDATE else logging.DEBUG
        log.log(level, "%s update handled in %.0f ms", kind, elapsed * 1000, extra=fields)


Processor = TypeVar("Processor")
ProcessUpdate = Callable[[Processor, object, Awaitable[Any]], Coroutine[Any, Any, None]]


def observed(method: ProcessUpdate[Processor]) -> ProcessUpdate[Processor]:
    """For an update processor's ``do_process_update``: each update counted and timed."""

    @functools.wraps(method)
    async def wrapper(self: Processor, update: object, coroutine: Awaitable[Any]) -> None:
        with observed_update(update):
            await method(self, update, coroutine)

    return wrapper


Result = bool | dict[str, Any] | list[dict[str, Any]]


class CountingRateLimiter(AIORateLimiter):
    """PTB's AIORateLimiter, counting each wait it makes after a 429 from Telegram."""

    def __init__(self, *, max_retries: int = 0, **limits: float) -> None:
        super().__init__(max_retries=max_retries, **limits)
        self._retries = max_retries

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        retries = rate_limit_args or self._retries  # as the parent decides
        refused = 0

        async def counted(*call_args: Any, **call_kwargs: Any) -> Result:
            nonlocal refused
            try:
                return await callback(*call_args, **call_kwargs)
            except RetryAfter:
                refused += 1
                if refused <= retries:  # else the parent re-raises instead of waiting
                    RATE_LIMIT_WAITS.labels("retry").inc()
                raise

        return await super().process_request(counted, args, kwargs, endpoint, data, rate_limit_args)


def count_postponed() -> None:
    """An outbox delivery was put off because Telegram answered 429."""
    RATE_LIMIT_WAITS.labels("postpone").inc()


class _Snapshot:
    """One scrape: this process's (or every worker's) metrics and the database figures."""

    def __init__(self, live: Collector, figures: Figures | None) -> None:
        self._live, self._figures = live, figures

    def collect(self) -> Iterable[Metric]:
        yield from self._live.collect()
        up = GaugeMetricFamily(
            "pishkhan_database_up", "1 when the database answered this scrape's queries"
        )
        up.add_metric([], 0 if self._figures is None else 1)
        yield up
        if self._figures is None:
            return
        figures = self._figures
        bookings = GaugeMetricFamily(
            "pishkhan_bookings", "Bookings (requests) by their current status", labels=["status"]
        )
        for status, count in figures.bookings.items():
            bookings.add_metric([status], count)
        yield bookings
        yield CounterMetricFamily(
            "pishkhan_bookings_created",
            "Bookings ever made (rows are never deleted)",
            value=sum(figures.bookings.values()),
        )
        families = {
            "pending": GaugeMetricFamily(
                "pishkhan_outbox_pending", "Outbox events not yet delivered", labels=["channel"]
            ),
            "dead": GaugeMetricFamily(
                "pishkhan_outbox_dead_letters",
                "Outbox events given up on, waiting for an operator's replay",
                labels=["channel"],
            ),
            "lag": GaugeMetricFamily(
                "pishkhan_outbox_lag_seconds",
                "How long the most overdue pending event has been due (0: none due)",
                labels=["channel"],
            ),
        }
        for channel, outbox in figures.outbox.items():
            families["pending"].add_metric([channel], outbox.pending)
            families["dead"].add_metric([channel], outbox.dead)
            families["lag"].add_metric([channel], outbox.lag.total_seconds())
        yield from families.values()


CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4  # what generate_latest writes


def exposition(figures: Figures | None) -> bytes:
    """The text a scrape gets; ``figures`` None when the database did not answer."""
    live: Collector = REGISTRY
    if MULTIPROCESS_DIR is not None:
        live = CollectorRegistry()
        MultiProcessCollector(live, MULTIPROCESS_DIR)  # type: ignore[no-untyped-call]
    return generate_latest(_Snapshot(live, figures))
