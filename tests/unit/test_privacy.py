"""National codes and mobiles never reach a log line whole."""

from __future__ import annotations

import json
import logging

from bot.logs import JsonFormatter, ScrubPersonalData
from services.privacy import mask_mobile, mask_national_code, scrub


def test_masks_keep_only_what_identifies_the_record() -> None:
    assert mask_national_code("0012345679") == "001*****79"
    assert mask_mobile("09121234567") == "0912***4567"


def test_scrub_masks_numbers_in_any_digit_script_and_spacing() -> None:
    line = "کد ملی ۰۰۱۲۳۴۵۶۷۹ و همراه +98 912 123 4567 و 0912-123-4567، اتاق 12"
    scrubbed = scrub(line)
    assert "۰۰۱۲۳۴۵۶۷۹" not in scrubbed
    assert "123 4567" not in scrubbed and "123-4567" not in scrubbed
    assert scrubbed.count("*") >= 3 * 6
    assert "اتاق 12" in scrubbed


def test_log_records_are_scrubbed_including_arguments() -> None:
    record = logging.LogRecord(
        "t", logging.INFO, __file__, 1, "national code %s", ("0012345679",), None
    )
    ScrubPersonalData().filter(record)
    assert record.getMessage() == "national code 00******79"


def test_json_logs_carry_the_structured_fields_scrubbed() -> None:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "handled", None, None)
    fields = {"update_id": 912345678, "chat_kind": "private 09121234567", "duration_ms": 12.5}
    record.__dict__.update(fields, unrelated="kept out")
    ScrubPersonalData().filter(record)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["update_id"] == 912345678  # an update id is no personal number
    assert entry["duration_ms"] == 12.5
    assert entry["chat_kind"] == "private 09*******67"
    assert "unrelated" not in entry and "update_type" not in entry


def test_scrub_keeps_iso_dates_and_times_but_masks_numbers_joined_to_them() -> None:
    line = "booking at 2026-12-05T08:00:00+03:30, sent 2026-12-04 21:15:07.25Z, day 2026-12-05."
    assert scrub(line) == line
    # A national code or mobile typed to look like a date, or next to one, is still masked.
    for typed in ("2026-12-05-34", "2026-12-05 34", "12 2026-12-05", "09121234567T08:00"):
        assert "*" in scrub(typed), typed
    assert scrub("0912 123 4567 on 2026-12-05") == "09*******67 on 2026-12-05"
