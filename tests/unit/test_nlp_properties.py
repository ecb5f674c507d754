"""Whatever arrives, extraction and understanding answer instead of raising; valid codes and
mobiles survive every way of typing them."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialogs.understanding import build_interpreter
from nlp.extract import extract, find_mobiles, find_national_codes, parse_mobile
from nlp.normalize import matching_key
from nlp.understand import Interpreter
from services.catalogue import shipped_service_names

TODAY = dt.date(2026, 11, 25)
DIGIT_SCRIPTS = ("0123456789", "۰۱۲۳۴۵۶۷۸۹", "٠١٢٣٤٥٦٧٨٩")
VALID_CODES = ("0499370899", "0076229645", "1583250689", "0012345679")
SEPARATORS = st.sampled_from(["", "", "", " ", "-", "\u200c", "  "])


@pytest.fixture(scope="module")
def interpreter() -> Interpreter:
    return build_interpreter(shipped_service_names())


def typed(digits: str, draw: st.DrawFn) -> str:
    """The digits as a phone might send them: scripts mixed, separators between."""
    out = []
    for digit in digits:
        script = draw(st.sampled_from(DIGIT_SCRIPTS))
        out.append(script[int(digit)] + draw(SEPARATORS))
    return "".join(out).rstrip(" -\u200c")


@st.composite
def typed_national_code(draw: st.DrawFn) -> tuple[str, str]:
    code = draw(st.sampled_from(VALID_CODES))
    return code, typed(code, draw)


@st.composite
def typed_mobile(draw: st.DrawFn) -> tuple[str, str]:
    rest = draw(st.text("0123456789", min_size=7, max_size=7))
    operator = draw(st.sampled_from(["912", "935", "901", "921", "990"]))
    prefix = draw(st.sampled_from(["0", "+98", "0098", "98", ""]))
    number = "0" + operator + rest
    digits = (prefix.lstrip("+") + operator + rest) if prefix else operator + rest
    plus = "+" if prefix == "+98" else ""
    return number, plus + typed(digits, draw)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=300))
def test_any_text_is_answered_not_raised(interpreter: Interpreter, text: str) -> None:
    result = interpreter.understand(text, TODAY)
    assert result.intent is not None
    extract(text, TODAY)
    matching_key(text)


# No deadline: a huge message takes longer than Hypothesis's 200 ms on a busy machine, and
# this test is about not raising; speed is measured in bench/nlp_speed.py.
@settings(
    max_examples=100,
    deadline=None,
    # Large on purpose: a huge message is the case under test.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
@given(st.text(alphabet=st.characters(codec="utf-8"), min_size=3000, max_size=6000))
def test_huge_messages_are_answered_not_raised(interpreter: Interpreter, text: str) -> None:
    interpreter.understand(text, TODAY)


@given(typed_national_code(), st.sampled_from(["", "کد ملی ", "کدملیم: ", "code "]))
def test_a_valid_national_code_survives_any_typing(case: tuple[str, str], before: str) -> None:
    code, text = case
    assert find_national_codes(f"{before}{text} هست") == [code]


@given(typed_mobile())
def test_a_valid_mobile_survives_any_typing(case: tuple[str, str]) -> None:
    number, text = case
    assert parse_mobile(text) == number
    assert find_mobiles(f"شماره من {text} است") == [number]
