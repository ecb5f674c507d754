"""Citizens who type their city in Latin letters, Finglish or English, are placed there as
if they had typed it in Persian; ordinary Latin words are not taken for towns."""

from __future__ import annotations

import re
from typing import Any

import pytest

from dialogs.understanding import build_interpreter
from nlp.latin_places import (
    CONSONANT_SPELLINGS,
    LatinPlaceNames,
    skeleton_of_latin,
    skeleton_of_persian,
    spelling_pattern,
)
from nlp.normalize import matching_key
from nlp.understand import Interpreter, PlaceMatch
from services.catalogue import shipped_service_names
from services.places import divisions


@pytest.fixture(scope="module")
def interpreter() -> Interpreter:
    return build_interpreter(shipped_service_names())


def place_of(interpreter: Interpreter, text: str) -> PlaceMatch | None:
    return interpreter.understand(text).place


def assert_place(found: PlaceMatch | None, **expected: Any) -> None:
    assert found is not None
    for name, value in expected.items():
        assert getattr(found, name) == value, (name, found)


@pytest.mark.parametrize(
    ("text", "city"),
    [
        ("daftar pishkhan mashhad koja hast", "مشهد"),
        ("nazdiktarin pishkhan too Mashad", "مشهد"),
        ("passport office in Mashhad", "مشهد"),
        ("tehran kojaye pishkhan baze", "تهران"),
        ("tehroon daftar police +10 kojast", "تهران"),
        ("taviz pelak in Isfahan, where should I go?", "اصفهان"),
        ("too esfahan sabt vafat koja anjam midan", "اصفهان"),
        ("where can I renew my driving licence in Shiraz", "شیراز"),
        ("soo pishine too tabriz koja midan", "تبریز"),
        ("appointment for fuel card in karaj", "کرج"),
        ("taviz pelak dar ahvaz koja anjam mishe", "اهواز"),
        ("fuel card office in Ahwaz", "اهواز"),
        ("daftar khadamat ghazaii too qom", "قم"),
        ("adam soe pishine ghom koja begiram", "قم"),
        ("book an appointment in Kermanshah for passport", "کرمانشاه"),
        ("rasht kart sookht almosana", "رشت"),
        ("office in Urmia for passport", "ارومیه"),
        ("pishkhan dar bandar abbas", "بندرعباس"),
        ("shahr-e kord pishkhan koja", "شهرکرد"),
        ("yasuj kart sookht", "یاسوج"),
    ],
)
def test_a_city_typed_in_latin_letters_is_found(
    interpreter: Interpreter, text: str, city: str
) -> None:
    assert_place(place_of(interpreter, text), city=city)


def test_the_province_comes_with_the_city(interpreter: Interpreter) -> None:
    assert_place(
        place_of(interpreter, "pishkhan mashhad"),
        province="خراسان رضوی",
        county="مشهد",
        city="مشهد",
    )


@pytest.mark.parametrize(
    ("text", "province"),
    [
        ("ostan gilan daftar police 10", "گیلان"),
        ("in mazandaran province where is the nearest pishkhan", "مازندران"),
        ("pishkhan in East Azerbaijan", "آذربایجان شرقی"),
        ("ostan sistan va baluchestan", "سیستان و بلوچستان"),
        ("ostan markazi daftar pishkhan", "مرکزی"),
    ],
)
def test_a_province_typed_in_latin_letters_is_found(
    interpreter: Interpreter, text: str, province: str
) -> None:
    assert_place(place_of(interpreter, text), province=province, city=None)


@pytest.mark.parametrize(
    ("text", "district"),
    [
        ("tehran mantaghe 5 pishkhan koja hast", 5),
        ("mantaghe 5", 5),
        ("pishkhan dolat mantaqe-ye 2 tehran", 2),
        ("mantagheye panj daftar police 10", 5),
        ("nearest police +10 office in tehran district 14", 14),
        ("district 22", 22),
    ],
)
def test_a_tehran_district_typed_in_latin_letters_is_found(
    interpreter: Interpreter, text: str, district: int
) -> None:
    assert_place(place_of(interpreter, text), city="تهران", district=district)


@pytest.mark.parametrize(
    "text",
    [
        # Short words and words of the language.
        "man ham mikham ba khanomam biam baraye gozarname",
        "to kodom daftar mishe sabt fot kard",
        "pool ezafe gereftan az man",
        "bime bikari sabtenam",
        "nobat baraye shanbe mikham",
        "too hamoon daftar gozarname gereftam",
        "dar bank pardakht kardam",
        "in do ta madrak lazeme?",
        # English sentences whose words look like towns.
        "book an appointment for passport",
        "I want to turn in my old card, please save it",
        "is the office open in here? sorry, I will never store my card",
        "what are the bus fares",
        "shift the appointment to Monday",
        "mantaghe",
        "district of the office",
        # A tracking code typed in halves: yzzd would read as Yazd.
        "peygiri 7zgk yzzd",
    ],
)
def test_ordinary_latin_words_are_not_places(interpreter: Interpreter, text: str) -> None:
    assert place_of(interpreter, text) is None


def test_a_town_in_latin_letters_needs_a_finglish_cue(interpreter: Interpreter) -> None:
    """Abyek is a county: named on its own. Parand is a town of Robat Karim: only after
    «too», «dar» or «shahr», never after English «in», which precedes too many words."""
    assert_place(place_of(interpreter, "abyek pishkhan"), city="آبیک")
    assert place_of(interpreter, "parand pishkhan") is None
    assert_place(place_of(interpreter, "pishkhan too parand"), city="پرند")
    assert_place(place_of(interpreter, "shahre parand"), city="پرند")


def test_spellings_of_one_name_are_one_place() -> None:
    names = LatinPlaceNames(matching_key(d.name) for d in divisions())
    for typed in ("tehran", "teheran", "tehroon", "tehrun"):
        assert names.names_typed((typed,)) == ("تهران",)
    for typed in ("mashhad", "mashad", "meshed"):
        assert names.names_typed((typed,)) == ("مشهد",)
    for typed in ("esfahan", "isfahan", "esfehan"):
        assert names.names_typed((typed,)) == ("اصفهان",)
    for typed in ("qom", "ghom", "qum"):
        assert names.names_typed((typed,)) == ("قم",)
    assert names.names_typed(("kermanshah",)) == ("کرمانشاه",)
    assert names.names_typed(("khorram", "abad")) == ("خرم اباد",)
    # One word typed is first the one-word name: چابهار before چاه بهار.
    assert names.names_typed(("chabahar",))[0] == "چابهار"


@pytest.mark.parametrize("typed", ["turn", "train", "tran", "mishod", "shine", "tehrani"])
def test_a_word_with_the_same_consonants_is_not_the_name(typed: str) -> None:
    names = LatinPlaceNames(["تهران", "مشهد", "صحنه"])
    assert names.names_typed((typed,)) == ()


def test_every_spelling_of_a_letter_has_the_letters_skeleton() -> None:
    """The index is only as good as this: a spelling the pattern accepts must share the
    name's skeleton, or it would never be looked at."""
    for letter, spellings in CONSONANT_SPELLINGS.items():
        assert {skeleton_of_latin(s) for s in spellings} == {skeleton_of_persian(letter)}


def test_whatever_a_pattern_accepts_shares_the_names_skeleton() -> None:
    for name in ("مشهد", "اهواز", "خرم اباد", "چهارمحال و بختیاری", "ارومیه", "خواف"):
        pattern = re.compile(spelling_pattern(name))
        for typed in (
            "mashhad",
            "mashad",
            "ahvaz",
            "ahwaz",
            "khorramabad",
            "chaharmahalvabakhtiari",
            "orumiyeh",
            "khaf",
            "khvaf",
        ):
            if pattern.fullmatch(typed):
                assert skeleton_of_latin(typed) == skeleton_of_persian(name), (name, typed)
