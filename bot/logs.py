"""Logging set-up: personal data scrubbed from every record, noisy libraries kept quiet."""

from __future__ import annotations

import json
import logging

from services.privacy import scrub

# Fields a call may add with ``extra=``, written as JSON keys of their own.
FIELDS = ("update_id", "update_type", "chat_kind", "duration_ms")
# Numbers that are never personal and stay numbers (an update id is long enough to look
# like a mobile to scrub); every other field value is scrubbed as text.
PLAIN_NUMBERS = frozenset({"update_id", "duration_ms"})


class ScrubPersonalData(logging.Filter):
    """Masks national codes, mobiles and other long numbers in the final message and the
    structured fields."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg, record.args = scrub(message), None
        for name in FIELDS:
            value = getattr(record, name, None)
            plain = isinstance(value, int | float) and not isinstance(value, bool)
            if value is not None and not (plain and name in PLAIN_NUMBERS):
                setattr(record, name, scrub(str(value)))
        if record.exc_info and record.exc_info[1] is not None:
            # Exception texts may quote user input; keep the type and a scrubbed message.
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str = "INFO", *, as_json: bool = False) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(ScrubPersonalData())
    handler.setFormatter(
        JsonFormatter()
        if as_json
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL, and Telegram URLs carry the bot token; PTB logs whole
    # update bodies at DEBUG. Neither belongs in an operator's log.
    for noisy in ("httpx", "httpcore", "telegram", "aiosqlite", "apscheduler"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
