"""User text is cleaned of what no database or screen should get, and of nothing else."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nlp.hygiene import ZWJ, ZWNJ, clean_user_text

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
# Every control character but newline and tab (C0, DEL, C1), the invisible format
# characters that are no letter of any text, bidi controls, two lone surrogates.
CONTROLS = "".join(map(chr, [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)]))
INVISIBLE = "\u200b\u2060\u2061\u2062\u2063\u2064\u206a\u206b\u206c\u206d\u206e\u206f"
UNWANTED = CONTROLS + INVISIBLE + "\ufeff\ufff9\ufffa\ufffb\ud800\udfff" + BIDI_CONTROLS


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("شکایت\x00 من", "شکایت من"),
        ("مریم\u202eیدمحا", "مریمیدمحا"),  # a right-to-left override, as in a spoofed name
        ("\u2067علی\u2069 رضایی", "علی رضایی"),
        ("می\u200cخواهم", "می\u200cخواهم"),  # the half-space is Persian spelling
        ("👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧"),  # ZWJ joins an emoji family
        ("خط اول\nخط دوم", "خط اول\nخط دوم"),
        ("ستون\tدوم", "ستون دوم"),
        ("\ufeffسلام\u200b", "سلام"),
        ("abc\ud83d", "abc"),  # half of a surrogate pair: cannot even be encoded
        ("\u200fسلام", "\u200fسلام"),  # a right-to-left mark reorders nothing: kept
    ],
)
def test_what_is_removed_and_what_is_kept(typed: str, kept: str) -> None:
    assert clean_user_text(typed) == kept


@given(st.text())
def test_cleaned_text_has_nothing_unwanted_stores_anywhere_and_is_stable(text: str) -> None:
    cleaned = clean_user_text(text)
    assert not set(cleaned) & set(UNWANTED + "\t")
    cleaned.encode("utf-8")  # no lone surrogate left
    assert clean_user_text(cleaned) == cleaned
    assert len(cleaned) <= len(text)


# Surrogates (category Cs) are unwanted as a whole range, not just the two named above.
@given(
    st.text(alphabet=st.characters(exclude_characters=UNWANTED + "\t", exclude_categories=["Cs"]))
)
def test_text_without_unwanted_characters_is_left_exactly_as_it_is(text: str) -> None:
    assert clean_user_text(text) == text


@given(st.lists(st.sampled_from(["سلام", ZWNJ, ZWJ, "\n", *UNWANTED, "\t"])))
def test_only_the_unwanted_characters_go_in_any_mix(parts: list[str]) -> None:
    text = "".join(parts)
    expected = "".join(" " if p == "\t" else p for p in parts if p not in UNWANTED)
    assert clean_user_text(text) == expected
