"""Finding a proper name (an office's) in what a citizen typed: «پلیس +۱۰ کد ۱۰۱» finds
«دفتر پلیس +۱۰ کد ۱۰۱», «پیشخوان ۲۸۳ تبریز» finds «دفتر پیشخوان دولت شماره ۲۸۳ تبریز»."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from rapidfuzz import fuzz

from nlp.normalize import matching_key

MATCH_SCORE = 80.0


@lru_cache(maxsize=200_000)
def _key(name: str) -> str:
    """A name's matching key, once per name: hazm is slow and names repeat on every search."""
    return matching_key(name)


def _score(wanted: str, words: set[str], name: str) -> float:
    if wanted == name:
        return 100.0
    name_words = set(name.split())
    # Every word typed must be in the name, give or take a typo (numbers exactly): the
    # words all names share («دفتر») say nothing alone, a number says a lot.
    matched = 0.0
    for word in words:
        if word in name_words:
            matched += 1
        elif not word.isdigit() and len(word) >= 4:
            best = max((fuzz.ratio(word, w) for w in name_words), default=0.0)
            if best >= MATCH_SCORE:
                matched += best / 100
            else:
                return 0.0
        else:
            return 0.0
    # Of two names that hold every word, the one with fewer other words is nearer.
    return 100.0 * matched / len(words) - len(name_words - words) / 10


def best_names(text: str, names: Sequence[str], limit: int = 5) -> list[int]:
    """Indexes of the names the text names, best first (none: nothing named)."""
    wanted = matching_key(text)
    words = set(wanted.split())
    if not words:
        return []
    scored = []
    for index, name in enumerate(names):
        score = _score(wanted, words, _key(name))
        if score >= MATCH_SCORE:
            scored.append((-score, index))
    scored.sort()
    return [index for _, index in scored[:limit]]
