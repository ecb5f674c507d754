"""Normalization of citizen text with hazm, and the matching key used for comparisons.

hazm is the normalizer of record, but run as it comes it would damage the numbers in a
message (``1403/05/12`` → ``1403 / 05 / 12``) and URLs, and it leaves several look-alike
letters and invisible marks alone. So: ``clean`` first (what hazm leaves out, and a length
cap), numbers and links are shielded while hazm runs, and ``matching_key`` folds further
for comparisons only. Structured data (codes, phones, dates) is extracted from the raw text
before any of this (``nlp.extract``).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING

from nlp.digits import fold_digits

if TYPE_CHECKING:
    from hazm import Normalizer

# Longer messages are a paste or an attack; the dialogs refuse them before this point.
MAX_LENGTH = 4096

ZWNJ = "\u200c"
_INVISIBLE = (
    "\u200b\u200d\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e"
    "\u2066\u2067\u2068\u2069\ufeff\u00ad\u0640"  # bidi marks, ZWSP, ZWJ, BOM, SHY, kashida
)
# What hazm leaves out: look-alike Arabic forms folded to the Persian letter.
_LETTERS = str.maketrans(
    {
        "ي": "ی",
        "ى": "ی",
        "ك": "ک",
        "ة": "ه",
        "ۀ": "ه",
        "ھ": "ه",
        "أ": "ا",
        "إ": "ا",
        "ٱ": "ا",
        "ؤ": "و",
        **dict.fromkeys(_INVISIBLE, None),
    }
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ue000-\uf8ff]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")

# Numbers with their separators, links and e-mail addresses: hazm must not respace them.
_SHIELDED = re.compile(
    r"https?://\S+|www\.\S+|[\w.+-]+@[\w-]+\.[\w.]+"
    r"|[+]?[0-9۰-۹٠-٩]+(?:[/:\-.,٫٬][0-9۰-۹٠-٩]+)*"
)
_PLACEHOLDER = "\ue000"  # a private-use character hazm passes through untouched

_build_lock = threading.Lock()


@lru_cache(maxsize=1)
def shared_normalizer() -> Normalizer:
    """The one hazm Normalizer of the process (importing hazm and building one costs about
    two seconds), configured to leave digits as typed."""
    with _build_lock:
        from hazm import Normalizer  # heavy import: only when first needed
        from hazm.utils import maketrans

        class TableOnceNormalizer(Normalizer):  # type: ignore[misc]
            """hazm 0.10's steps in hazm's order, for the options used here, with the
            character table built once: hazm rebuilds it on every call (a tenth of a
            millisecond per message). A test checks the output equals hazm's own."""

            def __init__(self) -> None:
                super().__init__(persian_numbers=False)
                self._table = maketrans(self.translation_src, self.translation_dst)

            def normalize(self, text: str) -> str:
                text = self.persian_style(text.translate(self._table))
                text = self.remove_diacritics(text)
                text = self.correct_spacing(text)
                text = self.unicodes_replacement(text)
                text = self.remove_specials_chars(text)
                text = self.decrease_repeated_chars(text)
                return str(self.seperate_mi(text))

        return TableOnceNormalizer()


def clean(text: str) -> str:
    """What hazm leaves out: compatibility forms, Arabic look-alikes, bidi and control
    characters, kashida; runs of spaces squeezed; capped at ``MAX_LENGTH``."""
    text = unicodedata.normalize("NFKC", text[: MAX_LENGTH * 2])
    text = _CONTROL.sub(" ", text.translate(_LETTERS))
    return _SPACES.sub(" ", text).strip()[:MAX_LENGTH]


def normalize(text: str) -> str:
    """Citizen text as it should be stored and shown: cleaned and hazm-normalized, with
    numbers, dates, times, links and addresses left exactly as typed."""
    text = clean(text)
    shielded: list[str] = []

    def shield(match: re.Match[str]) -> str:
        shielded.append(match.group())
        return _PLACEHOLDER

    text = shared_normalizer().normalize(_SHIELDED.sub(shield, text))
    restored = iter(shielded)
    return re.sub(_PLACEHOLDER, lambda _: next(restored, ""), text)


# --- matching key ------------------------------------------------------------------------

_KEY_FOLD = str.maketrans({"آ": "ا", "ء": None, "ئ": "ی", "\u0654": None, ZWNJ: " "})
_NON_WORD = re.compile(r"[^\w ]+")
_REPEATS = re.compile(r"(\w)\1{2,}")


def key_of_normalized(text: str) -> str:
    """The matching key of text that already went through ``normalize``."""
    text = fold_digits(text.lower().translate(_KEY_FOLD))
    text = _REPEATS.sub(r"\1", text)  # سلاااام → سلام; doubled letters (ممنون) stay
    text = _NON_WORD.sub(" ", text).replace("_", " ")
    return " ".join(text.split())


def matching_key(text: str) -> str:
    """A form for comparing what people type with names and aliases: normalized, lower
    case, ASCII digits, آ as ا, half-spaces as spaces, stretched letters shortened, no
    punctuation."""
    return key_of_normalized(normalize(text))
