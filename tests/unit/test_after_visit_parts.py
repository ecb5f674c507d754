"""The small parts of ratings, complaints and supervision: buttons, codes, names, masks,
the /stats lines."""

from __future__ import annotations

import pytest

from dialogs import texts
from dialogs.callbacks import (
    CallbackData,
    ComplaintConfirm,
    ComplaintStep,
    Rate,
    SuperviseAction,
    SuperviseReject,
)
from dialogs.feedback import RATE, RateDraft, RateStep
from dialogs.steps import still_waiting
from dialogs.supervision import _pages, stats_lines
from nlp.names import best_names
from nlp.tracking import (
    is_complaint_code,
    is_valid_tracking_code,
    new_complaint_code,
    new_tracking_code,
)
from services.conversation import Conversation
from services.identity import TELEGRAM
from services.privacy import mask_name
from services.reports import OfficeFigures


@pytest.mark.parametrize(
    "payload",
    [
        Rate("stars", 12, 5),
        Rate("wait", 12, 4),
        Rate("comment", 12, 0),
        ComplaintStep("office", 2**40),
        ComplaintStep("kind", 6),
        ComplaintConfirm("0123456789abcdef"),
        SuperviseAction("reply", 2**40),
        SuperviseReject(7, 3),
    ],
)
def test_after_visit_buttons_round_trip_within_telegrams_limit(payload: CallbackData) -> None:
    packed = payload.pack()
    assert len(packed.encode()) <= 64
    assert CallbackData.parse(packed) == payload


@pytest.mark.parametrize(
    "data",
    [
        "rt:stars:12:6",
        "rt:wait:12:5",
        "rt:comment:12:1",
        "rt:sing:12:1",
        "rt:stars:0:3",
        "cs:teleport:1",
        "cs:kind:-1",
        "cc:XYZ",
        "sv:delete:5",
        "sv:ack:0",
        "sj:5:10",
    ],
)
def test_forged_after_visit_buttons_do_not_parse(data: str) -> None:
    assert CallbackData.parse(data) is None


def test_complaint_codes_are_tracking_codes_that_start_with_c_and_bookings_never_do() -> None:
    for _ in range(300):
        complaint, booking = new_complaint_code(), new_tracking_code()
        assert is_valid_tracking_code(complaint) and is_complaint_code(complaint)
        assert is_valid_tracking_code(booking) and not is_complaint_code(booking)


def test_an_office_is_found_by_the_words_of_its_name() -> None:
    names = [
        "دفتر پیشخوان دولت شماره ۲۸۳ تبریز",
        "دفتر پیشخوان دولت شماره ۲۸۳۰ تبریز",
        "دفتر پلیس +۱۰ کد ۱۰۱",
        "دفتر پلیس +۱۰ کد ۱۰۲",
        "اداره پست مرکزی شیراز",
    ]
    assert best_names("پیشخوان ۲۸۳ تبریز", names)[0] == 0
    assert best_names("پلیس +10 کد 101", names) == [2]
    assert best_names("پیشخان دولت ۲۸۳۰", names) == [1]  # a typo in a word, not in a number
    assert best_names("پست شیراز", names) == [4]
    assert best_names("ناکجاآباد", names) == []
    assert best_names("   ", names) == []


def test_names_are_masked_to_a_first_letter() -> None:
    assert mask_name("مریم احمدی") == "م*** ا***"
    assert mask_name("") == ""


def _figures(**overrides: object) -> OfficeFigures:
    values: dict[str, object] = {
        "office_id": 1, "code": "T-1", "name": "دفتر یک", "network_key": "police10",
        "province": "تهران", "county": "تهران", "city": "تهران", "bookings": 8,
        "appointments": 8, "no_shows": 2, "ratings": 2, "average_rating": 3.5, "complaints": 3,
        "open_complaints": 1,
    }  # fmt: skip
    values.update(overrides)
    return OfficeFigures(**values)  # type: ignore[arg-type]


def test_stats_lines_in_persian_digits() -> None:
    (line,) = stats_lines([_figures()])
    assert line == texts.STATS_LINE.format(
        office="دفتر یک",
        code="T-1",
        bookings="۸",
        no_show_rate="۲۵٪",
        rating="۳٫۵",
        ratings="۲",
        complaints="۳",
        open="۱",
    )
    (empty,) = stats_lines(
        [_figures(bookings=0, appointments=0, no_shows=0, ratings=0, average_rating=None)]
    )
    assert "نیامده: —" in empty and "امتیاز: — (۰ نظر)" in empty


def test_long_stats_are_split_under_telegrams_limit() -> None:
    lines = stats_lines([_figures(code=f"T-{n}") for n in range(60)])
    pages = _pages(lines)
    assert len(pages) > 1 and all(len(page) <= 4096 for page in pages)
    assert sum(page.count("🏢") for page in pages) == 60


def test_a_waiting_step_expires_and_is_dropped() -> None:
    conversation = Conversation(messenger=TELEGRAM, chat_id=1, user_id=1)
    RATE.go(conversation, RateStep.COMMENT, RateDraft(booking=5))
    assert still_waiting(conversation, RATE.draft(conversation), 30)
    assert RATE.at(conversation, RateStep.COMMENT)
    conversation.data["since"] -= 31 * 60
    assert not still_waiting(conversation, RATE.draft(conversation), 30)
    assert conversation.flow is None and conversation.data == {}
