"""The fee line: a figure of an earlier Jalali year says it may have changed since."""

from __future__ import annotations

import datetime as dt

import pytest

from dialogs import texts
from dialogs.documents import fee_text
from services.catalogue import Fee, ServiceDetails

FIRST_OF_1405 = dt.date(2026, 3, 21)  # 1 Farvardin 1405
LAST_OF_1404 = dt.date(2026, 3, 20)


def _service(fee: Fee | None) -> ServiceDetails:
    return ServiceDetails(
        key="passport_issue", name_fa="گذرنامه", category_key="police", networks_fa=(),
        documents=(), fee=fee, typical_duration_fa="", online=None, visit_required=True,
        essential=False, notes_fa="",
    )  # fmt: skip


@pytest.mark.parametrize("amount", [11_620_000, 0])
def test_a_fee_of_last_year_says_it_may_have_changed(amount: int) -> None:
    service = _service(Fee(amount, 1404, ""))
    old = texts.DOCS_FEE_OLD.format(year="۱۴۰۴")
    assert fee_text(service, FIRST_OF_1405).endswith(old)
    assert old not in fee_text(service, LAST_OF_1404)  # still its own year


def test_a_fee_of_this_year_and_an_unknown_fee_say_nothing_more() -> None:
    assert fee_text(_service(Fee(4_000_000, 1405, "")), FIRST_OF_1405) == texts.DOCS_FEE.format(
        year="۱۴۰۵", rial="۴٬۰۰۰٬۰۰۰", toman="۴۰۰٬۰۰۰"
    )
    assert fee_text(_service(None), FIRST_OF_1405) == texts.DOCS_FEE_UNKNOWN
