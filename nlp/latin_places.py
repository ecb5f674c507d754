"""Place names typed in Latin letters: «mashhad», «Mashad», «tehroon», «Isfahan», «ghom».

Persian script writes consonants and long vowels but not short vowels, so a Persian name
stands for a family of Latin spellings. Each division name (in its matching key) becomes a
pattern of the spellings people use: every letter as the Latin letters it is typed as
(ق as q or gh; ش as sh; و as v, w, u, o or oo), an optional short vowel after each
consonant, long ا as a or aa (or oo, u before ن and م: «tehroon»). A typed word is looked
up by its consonant skeleton (a coarse key both scripts share) and then checked against the
patterns of the names with that skeleton, so «turn» (skeleton trn, like تهران) is not
Tehran: its ا must be typed as a vowel and its ه as h. English names that follow no Persian
spelling (Urmia, East Azerbaijan) are a small table of their own.

Which matches count as places (cues, common words) is ``nlp.understand``'s business.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache

# English names (and spellings) that the Persian letters do not give, as joined Latin.
EXONYMS = {
    "urmia": "ارومیه",
    "orumia": "ارومیه",
    "nishapur": "نیشابور",
    "eastazerbaijan": "اذربایجان شرقی",
    "eastazarbaijan": "اذربایجان شرقی",
    "westazerbaijan": "اذربایجان غربی",
    "westazarbaijan": "اذربایجان غربی",
    "northkhorasan": "خراسان شمالی",
    "southkhorasan": "خراسان جنوبی",
    "razavikhorasan": "خراسان رضوی",
    "sistanandbaluchestan": "سیستان و بلوچستان",
    "sistanandbaluchistan": "سیستان و بلوچستان",
    "chaharmahalandbakhtiari": "چهارمحال و بختیاری",
    "kohgiluyehandboyerahmad": "کهگیلویه و بویراحمد",
}

_SHORT_VOWEL = "[aeiou]?"
# How each consonant is typed. One-letter spellings may be doubled (a shadda, or habit).
CONSONANT_SPELLINGS = {
    "ب": ("b",),
    "پ": ("p",),
    "ت": ("t",),
    "ط": ("t",),
    "ث": ("s",),
    "س": ("s",),
    "ص": ("s",),
    "ش": ("sh",),
    "ج": ("j",),
    "چ": ("ch",),
    "خ": ("kh", "x"),
    "ک": ("k",),
    "د": ("d",),
    "ذ": ("z",),
    "ز": ("z",),
    "ض": ("z",),
    "ظ": ("z",),
    "ژ": ("zh",),
    "ر": ("r",),
    "غ": ("gh", "q"),
    "ق": ("gh", "q"),
    "گ": ("g",),
    "ف": ("f",),
    "ل": ("l",),
    "م": ("m",),
    "ن": ("n",),
}
_LATIN_SKELETON = str.maketrans("cxq", "kkg", "aeiouyhwv")
_REPEATED = re.compile(r"(.)\1+")


def skeleton_of_latin(text: str) -> str:
    """«mashhad» → msd, «ghom» → gm: a Latin word without the letters either script may
    or may not write (vowels, h, w, v, y), and with c, x, q as k, k, g."""
    return _REPEATED.sub(r"\1", text.translate(_LATIN_SKELETON))


# A letter's skeleton is its spelling's (ش: sh → s), so a name and any spelling its pattern
# accepts share one; ا و ی ه ح ع may be vowels or unwritten, and have none.
_PERSIAN_SKELETON = str.maketrans(
    {
        **{
            letter: skeleton_of_latin(spellings[0])
            for letter, spellings in CONSONANT_SPELLINGS.items()
        },
        **dict.fromkeys("اآوهحعی ", None),
    }
)


def skeleton_of_persian(name: str) -> str:
    """مشهد → msd: the consonants of a Persian name, as ``skeleton_of_latin`` writes them."""
    return _REPEATED.sub(r"\1", name.translate(_PERSIAN_SKELETON))


def _letter(word: str, index: int) -> str:
    """How the letter at ``index`` of a Persian word is typed, with the short vowel that
    may follow it, as a regular expression."""
    letter = word[index]
    first, last = index == 0, index == len(word) - 1
    following = "" if last else word[index + 1]
    # A short vowel may follow a consonant, not a long one (nor come before a long ا).
    vowel = "" if following == "ا" else _SHORT_VOWEL
    if last:
        vowel = "e?"  # only the ezafe: «tehrane bozorg», not «tehrani»
    if following in ("ه", "ح") and letter in "سصثکزذضظگ" and not last:
        vowel = "[aeiou]"  # s-h, k-h, z-h, g-h typed together would read as ش، خ، ژ، غ
    if letter in CONSONANT_SPELLINGS:
        spellings = "|".join(s + "{1,2}" if len(s) == 1 else s for s in CONSONANT_SPELLINGS[letter])
        return f"(?:{spellings}){vowel}"
    if letter == "ا":
        if first:  # a vowel carrier: «ahvaz», «esfahan», «isfahan»; ای and او: «ilam»
            return "[aeiou]?" if following in ("و", "ی") else "[aeiou]"
        return "(?:aa?|oo|ou|u)" if following in ("ن", "م") else "aa?"
    if letter == "و":
        if first:
            return f"[vw]{vowel}"
        consonant = f"[vw]{{1,2}}{vowel}"
        if word[index - 1] == "خ" and following == "ا":
            return f"(?:{consonant})?"  # خواف: khaf, khvaf
        if following in ("ا", "ی"):
            return consonant  # before a vowel و is v: اهواز, قزوین
        return f"(?:{consonant}|u|oo?|ou)"
    if letter == "ی":
        if first:
            return f"y{vowel}"
        return f"(?:y{vowel}|ii?|ee|ei|ey|iy)"
    if letter in "هح":
        if first:
            return f"h{vowel}"
        if last and letter == "ه":
            # ساوه: saveh, save; کرمانشاه: kermanshah, kermansha
            return "h?" if word[index - 1] == "ا" else "(?:[ae]h?|h)"
        if letter == "ه" and word[index - 1] == "ش":
            return f"(?:h{vowel}|[ae])"  # مشهد: mashhad, mashad (its vowel stays: not mishod)
        return f"h{vowel}"
    if letter == "ع":
        return "[aeiou]" if first else _SHORT_VOWEL  # عباس: abbas
    return re.escape(letter)


def spelling_pattern(name: str) -> str:
    """The Latin spellings of a Persian name (a matching key) as a regular expression, for
    the typed words joined: «bandar abbas» and «bandarabbas» both spell بندرعباس."""
    words = []
    for word in name.split():
        if word == "و":
            words.append("(?:va|o)?")  # سیستان و بلوچستان
        else:
            words.append("".join(_letter(word, i) for i in range(len(word))))
    return "".join(words)


class LatinPlaceNames:
    """Persian names found by how they are typed in Latin letters.

    Building costs a skeleton per name (a few milliseconds for the whole country); a
    name's pattern is compiled when a typed word first shares its skeleton, and answers
    are cached, so start-up stays cheap.
    """

    def __init__(self, names: Iterable[str]) -> None:
        self._by_skeleton: dict[str, list[str]] = defaultdict(list)
        for name in set(names):
            self._by_skeleton[skeleton_of_persian(name)].append(name)
        self._names = frozenset(name for names in self._by_skeleton.values() for name in names)
        self.names_typed = lru_cache(maxsize=50_000)(self._names_typed)

    def _names_typed(self, words: tuple[str, ...]) -> tuple[str, ...]:
        """The names (matching keys) that Latin words spell, typed together or apart:
        («tehran»,) → (تهران,), («bandar», «abbas») → (بندرعباس,). Names of as many
        words as typed come first: «chabahar» is چابهار before چاه بهار."""
        typed = "".join(words)
        if (exonym := EXONYMS.get(typed)) is not None:
            return (exonym,) if exonym in self._names else ()
        found = [
            name
            for name in self._by_skeleton.get(skeleton_of_latin(typed), ())
            if _pattern(name).fullmatch(typed)
        ]
        return tuple(sorted(found, key=lambda name: (abs(len(name.split()) - len(words)), name)))


@lru_cache(maxsize=4096)
def _pattern(name: str) -> re.Pattern[str]:
    return re.compile(spelling_pattern(name))


# Tehran's numbered districts: «mantaghe 5», «mantaqe-ye panj», «district 5».
_NUMBERS = {
    **dict.fromkeys(("yek", "one"), 1),
    **dict.fromkeys(("do", "two"), 2),
    **dict.fromkeys(("se", "three"), 3),
    **dict.fromkeys(("chahar", "char", "four"), 4),
    **dict.fromkeys(("panj", "five"), 5),
    **dict.fromkeys(("shesh", "shish", "six"), 6),
    **dict.fromkeys(("haft", "seven"), 7),
    **dict.fromkeys(("hasht", "eight"), 8),
    **dict.fromkeys(("noh", "nine"), 9),
    **dict.fromkeys(("dah", "ten"), 10),
    **dict.fromkeys(("yazdah", "yazda", "eleven"), 11),
    **dict.fromkeys(("davazdah", "davazda", "twelve"), 12),
    **dict.fromkeys(("sizdah", "sizda", "thirteen"), 13),
    **dict.fromkeys(("chahardah", "charda", "fourteen"), 14),
    **dict.fromkeys(("panzdah", "poonzdah", "punzdah", "fifteen"), 15),
    **dict.fromkeys(("shanzdah", "shoonzdah", "shunzdah", "sixteen"), 16),
    **dict.fromkeys(("hefdah", "hivdah", "hifdah", "seventeen"), 17),
    **dict.fromkeys(("hejdah", "hijdah", "eighteen"), 18),
    **dict.fromkeys(("noozdah", "nuzdah", "nineteen"), 19),
    **dict.fromkeys(("bist", "twenty"), 20),
    **dict.fromkeys(("bist o yek", "bisto yek", "twenty one"), 21),
    **dict.fromkeys(("bist o do", "bisto do", "twenty two"), 22),
}
_NUMBER = "|".join(sorted(_NUMBERS, key=len, reverse=True))
_DISTRICT = re.compile(
    rf"\b(?:mant[ae](?:gh|q|g)\w*(?: y?e)?|district(?: no)?) (\d{{1,2}}|{_NUMBER})\b"
)


def latin_district(key: str) -> int | None:
    """The Tehran district a matching key names in Latin letters: «tehran mantaghe 5» → 5."""
    if (match := _DISTRICT.search(key)) is None:
        return None
    raw = match.group(1)
    number = int(raw) if raw.isdigit() else _NUMBERS[raw]
    return number if 1 <= number <= 22 else None
