"""Buttons carry typed data; a forged or stale payload is refused, never run."""

from __future__ import annotations

import pytest

from dialogs.callbacks import CallbackData, MenuChoice


def test_a_menu_button_round_trips() -> None:
    packed = MenuChoice("docs").pack()
    assert packed == "m:docs"
    assert CallbackData.parse(packed) == MenuChoice("docs")


@pytest.mark.parametrize(
    "data", ["m:teleport", "m", "m:docs:extra", "zz:docs", "", None, "m:" + "x" * 80, 17]
)
def test_forged_or_stale_payloads_do_not_parse(data: object) -> None:
    assert CallbackData.parse(data) is None


def test_packing_refuses_what_telegram_would_reject() -> None:
    with pytest.raises(ValueError):
        MenuChoice("a" * 70).pack()
    with pytest.raises(ValueError):
        MenuChoice("a:b").pack()
