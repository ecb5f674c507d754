"""Operators write weekly hours the way they post them on the door."""

from __future__ import annotations

import pytest

from services.importing import parse_hours


def test_ranges_several_shifts_and_closed_days() -> None:
    hours = parse_hours("sat-wed 08:00-13:00,16:00-19:00; thu 08:00-12:00; fri closed")
    assert hours["sat"] == hours["wed"] == [("08:00", "13:00"), ("16:00", "19:00")]
    assert hours["thu"] == [("08:00", "12:00")]
    assert hours["fri"] == []


def test_a_range_may_wrap_past_friday() -> None:
    hours = parse_hours("thu-sun 09:00-12:00")
    assert [day for day, spans in hours.items() if spans] == ["sat", "sun", "thu", "fri"]


@pytest.mark.parametrize("text", ["monday 08:00-12:00", "sat 08:00", "sat-xyz 08:00-12:00"])
def test_unreadable_hours_say_what_is_wrong(text: str) -> None:
    with pytest.raises(ValueError):
        parse_hours(text)
