"""Normalization cleans what phones send without breaking numbers, links or meaning."""

from __future__ import annotations

import pytest
from hazm import Normalizer

from bench.nlp_accuracy import load_cases
from nlp.normalize import MAX_LENGTH, clean, matching_key, normalize, shared_normalizer


@pytest.mark.parametrize(
    ("typed", "normalized"),
    [
        ("كارت ملي", "کارت ملی"),  # Arabic kaf and yeh
        ("رسالة إيران أمن مؤسسه", "رساله ایران امن موسسه"),  # what hazm leaves out
        ("خانۀ ما", "خانه ما"),
        ("\u200fسلام\u200e \u202bدنیا\u202c", "سلام دنیا"),  # bidi marks
        ("ســــلام", "سلام"),  # kashida
        ("سلام\x00\x07 دنیا", "سلام دنیا"),  # control characters
        ("می خواهم", "می\u200cخواهم"),  # hazm's half-space
        ("ﻻ ﺳﻼﻡ", "لا سلام"),  # presentation forms
        ("سلاممممم", "سلام"),
    ],
)
def test_phone_text_is_cleaned(typed: str, normalized: str) -> None:
    assert normalize(typed) == normalized


@pytest.mark.parametrize(
    "kept",
    [
        "1403/05/12",
        "۱۴۰۵/۹/۵",
        "10:30",
        "0912-123-4567",
        "1,250,000",
        "3.5",
        "https://my.police.ir/passport",
        "www.ncr.ir",
        "name@example.com",
    ],
)
def test_numbers_dates_and_links_survive_exactly(kept: str) -> None:
    assert kept in normalize(f"نوبت من {kept} است.")


def test_the_length_is_capped() -> None:
    assert len(clean("الف " * 10_000)) == MAX_LENGTH


def test_matching_key_folds_what_differs_only_in_typing() -> None:
    variants = ["كارت مليمو", "کارت‌ملیمو", "کارت ملیمو", "کاااارت ملیمو", "کارت ملیمو!!"]
    keys = {matching_key(v) for v in variants}
    assert keys == {"کارت ملیمو"}
    assert matching_key("آدرس") == matching_key("ادرس")
    assert matching_key("Passport RENEWAL") == "passport renewal"
    assert matching_key("منطقه ۵") == "منطقه 5"


def test_the_shared_normalizer_is_built_once_and_equals_hazms_own() -> None:
    assert shared_normalizer() is shared_normalizer()
    stock = Normalizer(persian_numbers=False)
    for case in load_cases():
        assert shared_normalizer().normalize(case["text"]) == stock.normalize(case["text"])
