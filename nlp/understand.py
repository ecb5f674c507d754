"""From one citizen message: what they want (intent), which services they mean (ranked,
with scores), and where (a province, county, city or Tehran district).

The service vocabulary is handed in from the catalogue (names and aliases, Persian,
Finglish and English); place names from the country's divisions, in Persian or typed in
Latin letters (``nlp.latin_places``). Matching works on the matching key
(``nlp.normalize``) word by word: exact words, the same word with a colloquial clitic
(کارت ملیمو), two words typed as one or one typed as two (کارتملی، گواهی نامه), typos
(rapidfuzz), and Finglish spelled many ways (a consonant skeleton). Each word of an alias
weighs by how few services use it, so «کارت» says little and «سوخت» a lot.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz, process

from nlp.extract import NUMBER_WORDS, Extracted, extract
from nlp.intents import CUES, NEED_A_SERVICE_WHEN_WEAK, PRECEDENCE, Intent
from nlp.latin_places import LatinPlaceNames, latin_district
from nlp.normalize import key_of_normalized, matching_key, normalize
from nlp.tracking import looks_like_tracking_code

# Words that carry no meaning for telling services apart: particles, and the verbs people
# wrap any request in (گم شده، گرفتن، میخوام).
STOP_WORDS = frozenset(
    {
        *("و", "در", "به", "از", "با", "برای", "که", "را", "رو", "این", "اون", "یک", "یه"),
        *("تا", "هم", "یا", "شده", "شد", "کردم", "کرده", "کردن", "کنم", "کنید", "بکنم"),
        *("گرفتن", "بگیرم", "میخوام", "می", "خواهم", "دارم"),
        *("the", "a", "an", "of", "for", "to", "my", "i", "me", "is"),
        *("shode", "shod", "kardam", "mikham", "mikhastam", "baraye", "be", "ro", "az", "va"),
    }
)
# Colloquial endings glued to a noun: ملیمو، شناسناممو، پاسپورتم، گواهینامشو.
CLITICS = (
    "هامو",
    "هارو",
    "امو",
    "یمو",
    "مون",
    "تون",
    "شون",
    "مو",
    "رو",
    "شو",
    "های",
    "ها",
    "ام",
    "اش",
    "م",
    "ت",
    "ش",
    "و",
    "ی",
)
# A word must be this long before a typo is allowed in it; shorter ones must be exact.
MIN_FUZZY_LENGTH = 4
CONFIDENT_SCORE = 0.75
CONFIDENT_MARGIN = 0.12

_LATIN_WORD = re.compile(r"^[a-z]+$")
_DOUBLED = re.compile(r"(\w)\1")
_DISTRICT = re.compile(r"منطقه\s*(\d{1,2}|[^\s\d]+)")
_DISTRICT_WORDS = {
    **NUMBER_WORDS,
    "سیزده": 13,
    "چهارده": 14,
    "پانزده": 15,
    "پونزده": 15,
    "شانزده": 16,
    "شونزده": 16,
    "هفده": 17,
    "هیفده": 17,
    "هجده": 18,
    "هیجده": 18,
    "نوزده": 19,
    "بیست": 20,
    "بیست و یک": 21,
    "بیست و دو": 22,
}
# Before a place name that is also a common word (پل، مهر، نور), one of these must precede it.
_PLACE_CUES = frozenset({"در", "تو", "توی", "شهر", "استان", "شهرستان", "به", "از", "اطراف"})
# Short place names people use as places without a cue.
_WELL_KNOWN_SHORT = frozenset(
    {"قم", "کرج", "یزد", "رشت", "کیش", "قشم", "بم", "طبس", "فسا", "خوی", "سقز", "شوش", "اهر"}
)
_COMMON_WORD_PLACES = frozenset({"مرکزی", "بهار", "امام", "ازادی", "کار", "مهر", "شنبه"})
# Place names in Latin letters fit many words loosely («in store», «dar bank» would be
# ستوره and بنک), so only a province's or county's name, a provincial capital or a short
# name everyone knows counts on its own; any other needs a cue before it and five letters,
# and a town a Finglish cue: English «in» and «at» come before too many English words.
_FINGLISH_PLACE_WORDS = frozenset(
    {"shahr", "shahre", "ostan", "ostane", "shahrestan", "shahrestane"}
)
_FINGLISH_PLACE_CUES = _FINGLISH_PLACE_WORDS | frozenset(
    {"too", "tu", "tooye", "tuye", "dar", "be", "az", "atraf", "atrafe"}
)
_ENGLISH_PLACE_CUES = frozenset({"in", "at", "near", "around", "from"})
_LATIN_MIN_LENGTH = 3  # «ba», «va», «do» are never places
_LATIN_MIN_CUED_LENGTH = 5
_WELL_KNOWN_SHORT_LATIN = frozenset({"قم", "کرج", "یزد", "رشت", "کیش", "قشم"})
_WELL_KNOWN_TOWNS = frozenset({"یاسوج"})  # a provincial capital whose county is بویراحمد
# Latin words that spell a place but are far more often a word: never places.
_LATIN_COMMON_WORDS = frozenset(
    {"hamoon", "hamun", "shanbe", "daran", "darun", "gusht", "save", "fares", "grave", "grove"}
)
# A name typed apart is words of four letters or more («bandar abbas», «khorram abad»),
# with these between them («shahr e kord», «sistan va baluchestan»); shorter words glued
# together are too often something else: «ham midan» is not همدان.
_LATIN_JOINERS = frozenset({"e", "ye", "va", "o"})
_LATIN_MIN_PART_LENGTH = 4


@dataclass(frozen=True)
class ServiceTerms:
    """A service as the catalogue names it."""

    key: str
    name: str
    aliases: Sequence[str] = ()


@dataclass(frozen=True)
class PlaceName:
    """A province, county or city of the country's divisions."""

    kind: str  # "province" | "county" | "city"
    name: str
    province: str
    county: str | None = None


@dataclass(frozen=True)
class ServiceMatch:
    key: str
    score: float  # 0..1


@dataclass(frozen=True)
class PlaceMatch:
    province: str | None = None
    county: str | None = None
    city: str | None = None
    district: int | None = None


@dataclass(frozen=True)
class Understanding:
    text: str  # normalized text
    intent: Intent
    services: list[ServiceMatch]  # best first
    place: PlaceMatch | None
    extracted: Extracted
    mistyped_tracking_code: str | None = None
    intents_named: list[Intent] = field(default_factory=list)

    @property
    def service(self) -> str | None:
        """The service, when the match is clear enough to act on without asking."""
        if not self.services or self.services[0].score < CONFIDENT_SCORE:
            return None
        if len(self.services) > 1 and (
            self.services[0].score - self.services[1].score < CONFIDENT_MARGIN
        ):
            return None
        return self.services[0].key

    def candidates(self, limit: int = 3) -> list[str]:
        return [match.key for match in self.services[:limit]]


def latin_skeleton(word: str) -> str:
    """Finglish spelled many ways to one form: gozarnameh, ghozarname → gzrnm."""
    word = word.lower()
    for spelled, sound in (("kh", "k"), ("gh", "g"), ("sh", "s"), ("ch", "c"), ("zh", "z")):
        word = word.replace(spelled, sound)
    word = word.translate(str.maketrans("qxwc", "gkvk", "aeiouyh'"))
    return re.sub(r"(.)\1+", r"\1", word)


@dataclass(frozen=True)
class _Phrase:
    service: str
    words: tuple[str, ...]
    weights: tuple[float, ...]


def _words(key: str) -> tuple[str, ...]:
    return tuple(w for w in key.split() if w not in STOP_WORDS)


class Interpreter:
    """Understands messages against one catalogue and one set of place names.

    Build it once (it normalizes every alias) and share it; ``understand`` is cheap.
    """

    def __init__(self, services: Iterable[ServiceTerms], places: Iterable[PlaceName] = ()):
        raw: list[tuple[str, tuple[str, ...]]] = []
        self._joined: set[str] = set()
        for service in services:
            for alias in (service.name, *service.aliases):
                words = _words(matching_key(alias))
                if words:
                    raw.append((service.key, words))
                    if len(words) > 1:  # the same alias typed without spaces
                        raw.append((service.key, ("".join(words),)))
                        self._joined.add("".join(words))
        users: dict[str, set[str]] = defaultdict(set)
        for key, words in raw:
            for word in words:
                users[word].add(key)
        service_count = max(1, len({key for key, _ in raw}))
        self._weight = {w: math.log(1 + service_count / len(k)) for w, k in users.items()}
        self._phrases = [
            _Phrase(key, words, tuple(self._weight[w] for w in words)) for key, words in raw
        ]
        self._words_of: dict[str, set[str]] = defaultdict(set)
        for key, words in raw:
            self._words_of[key].update(words)
        self._phrases_with: dict[str, list[int]] = defaultdict(list)
        for index, phrase in enumerate(self._phrases):
            for word in set(phrase.words):
                self._phrases_with[word].append(index)
        self._vocabulary = sorted(users)
        self._skeletons: dict[str, list[str]] = defaultdict(list)
        for word in self._vocabulary:
            if _LATIN_WORD.match(word) and len(latin_skeleton(word)) >= 4:
                self._skeletons[latin_skeleton(word)].append(word)

        self._cues_starting: dict[str, list[tuple[Intent, tuple[str, ...], bool]]] = defaultdict(
            list
        )
        for intent, cues in CUES.items():
            for cue in cues:
                words = tuple(matching_key(cue.lstrip("~")).split())
                self._cues_starting[words[0]].append((intent, words, cue.startswith("~")))
        self._cue_vocabulary = frozenset(
            w for cues in self._cues_starting.values() for _, cue, _ in cues for w in cue
        )
        self._cue_long_words = sorted(w for w in self._cue_vocabulary if len(w) >= 5)
        self._cue_four_letter_words = sorted(w for w in self._cue_vocabulary if len(w) == 4)
        self._places: dict[str, list[PlaceName]] = defaultdict(list)
        for place in places:
            self._places[matching_key(place.name)].append(place)
        self._latin_places = LatinPlaceNames(self._places)
        self._known_in_latin = (
            _WELL_KNOWN_SHORT_LATIN
            | _WELL_KNOWN_TOWNS
            | {
                name
                for name, found in self._places.items()
                if len(name) > 3 and any(p.kind != "city" for p in found)
            }
        )
        # Latin words the catalogue, the cues or the language already use are not places
        # («bime» is insurance, not بم); nor are they glued into one («book an» ≠ بوکان).
        self._latin_words = frozenset(
            w
            for w in (*self._weight, *self._cue_vocabulary, *STOP_WORDS, *_LATIN_COMMON_WORDS)
            if _LATIN_WORD.match(w)
        )
        # «shahr» may be part of a name (shahr e kord), «too» and «in» may not.
        self._latin_unjoinable = (
            self._latin_words | _FINGLISH_PLACE_CUES | _ENGLISH_PLACE_CUES
        ) - _FINGLISH_PLACE_WORDS
        # Per-process caches: the same words come again and again.
        self._similar = lru_cache(maxsize=50_000)(self._similar_uncached)
        self._cue_words = lru_cache(maxsize=50_000)(self._cue_words_uncached)

    # --- words -------------------------------------------------------------------------

    def _similar_uncached(self, word: str) -> tuple[tuple[str, float], ...]:
        """Vocabulary words this message word may be, with a similarity from 0 to 1."""
        found: dict[str, float] = {}
        if word in self._weight:
            found[word] = 1.0
        if len(word) >= MIN_FUZZY_LENGTH:
            cutoff = 80.0 if len(word) >= 5 else 75.0
            for candidate, score, _ in process.extract(
                word, self._vocabulary, scorer=fuzz.ratio, score_cutoff=cutoff, limit=6
            ):
                # One slip of the finger: a letter wrong, missing or extra (short words:
                # only wrong, or کارت would be کار). An alias typed as one word is long
                # enough to look like many things, so it must be nearly exact.
                allowed = 1 if len(word) >= 5 else 0
                if abs(len(candidate) - len(word)) > allowed:
                    continue
                if candidate in self._joined and score < 90:
                    continue
                found.setdefault(candidate, score / 100)
        skeleton = latin_skeleton(word) if _LATIN_WORD.match(word) else ""
        if len(skeleton) >= 4:
            for candidate in self._skeletons.get(skeleton, ()):
                found.setdefault(candidate, 0.9)
        return tuple(found.items())

    def _hits(self, words: Sequence[str]) -> list[dict[str, float]]:
        """For each message word, the vocabulary words it may be: itself, without a clitic
        (ملیمو → ملی), or glued to its neighbour (کارت ملی → کارتملی)."""
        hits: list[dict[str, float]] = [{} for _ in words]

        def note(index: int, variant: str, factor: float) -> None:
            for candidate, similarity in self._similar(variant):
                score = similarity * factor
                if score > hits[index].get(candidate, 0.0):
                    hits[index][candidate] = score

        for i, word in enumerate(words):
            note(i, word, 1.0)
            undoubled = _DOUBLED.sub(r"\1", word)  # hazm leaves پاسپوورت with two و
            if undoubled != word:
                note(i, undoubled, 0.97)
            for clitic in CLITICS:
                stem = word.removesuffix(clitic)
                if stem != word and len(stem) >= 3:
                    note(i, stem, 0.97)
            if i + 1 < len(words):
                note(i, word + words[i + 1], 0.97)
                note(i + 1, word + words[i + 1], 0.97)
        return hits

    # --- services ----------------------------------------------------------------------

    def match_services(self, words: Sequence[str], limit: int = 5) -> list[ServiceMatch]:
        """Services the words name, best first. A service scores by its best alias: how
        much of the alias the message says (each missing word costs), and how much of what
        the message says about services the alias explains."""
        hits = self._hits(words)
        best_for_word: dict[str, float] = {}
        for word_hits in hits:
            for candidate, score in word_hits.items():
                best_for_word[candidate] = max(score, best_for_word.get(candidate, 0.0))
        # How much each message word says about services (clear hits only).
        said = [
            max((self._weight[c] * s for c, s in word_hits.items() if s >= 0.85), default=0.0)
            for word_hits in hits
        ]
        total_said = sum(said) or 1.0
        best: dict[str, float] = {}
        seen: set[int] = set()
        for word in best_for_word:
            for index in self._phrases_with.get(word, ()):
                if index in seen:
                    continue
                seen.add(index)
                phrase = self._phrases[index]
                similarities = [best_for_word.get(p, 0.0) for p in phrase.words]
                matched = sum(w * s for w, s in zip(phrase.weights, similarities, strict=True))
                coverage = matched / sum(phrase.weights)
                missing = sum(1 for s in similarities if s == 0.0)
                words_of_phrase = set(phrase.words)
                explained = sum(
                    weight
                    for weight, word_hits in zip(said, hits, strict=True)
                    if weight and words_of_phrase.intersection(word_hits)
                )
                score = coverage * 0.7**missing * (0.6 + 0.4 * explained / total_said)
                if score > best.get(phrase.service, 0.0):
                    best[phrase.service] = score
        ranked = sorted(best.items(), key=lambda item: item[1], reverse=True)
        return [ServiceMatch(key, round(score, 3)) for key, score in ranked[:limit] if score > 0.2]

    # --- intents -----------------------------------------------------------------------

    def _cue_words_uncached(self, word: str) -> frozenset[str]:
        """The cue words this message word is: itself, with a doubled letter undone, or
        with one slip of the finger in a word of five letters or more."""
        found = {w for w in (word, _DOUBLED.sub(r"\1", word)) if w in self._cue_vocabulary}
        if len(word) >= 5:
            for candidate, _, _ in process.extract(
                word, self._cue_long_words, scorer=fuzz.ratio, score_cutoff=85, limit=4
            ):
                if abs(len(candidate) - len(word)) <= 1:
                    found.add(candidate)
        elif len(word) == 4:
            found.update(c for c in self._cue_four_letter_words if fuzz.ratio(word, c) >= 75)
        return frozenset(found)

    def intents_named(
        self, words: Sequence[str], service: str | None = None
    ) -> tuple[list[Intent], list[Intent]]:
        """Intents named strongly and weakly, in order of precedence. A cue made only of
        words the service itself is called by (ابطال in «ابطال شناسنامه متوفی») does not
        count."""
        own = self._words_of.get(service, set()) if service else set()
        hits = [self._cue_words(word) for word in words]
        strong: set[Intent] = set()
        weak: set[Intent] = set()
        for start, first_hits in enumerate(hits):
            for first in first_hits:
                for intent, cue, is_weak in self._cues_starting.get(first, ()):
                    end = start + len(cue)
                    if end > len(words) or not all(
                        cue[j] in hits[start + j] for j in range(1, len(cue))
                    ):
                        continue
                    content = [w for w in words[start:end] if w not in STOP_WORDS]
                    if own and content and all(w in own for w in content):
                        continue
                    (weak if is_weak else strong).add(intent)
        return (
            [i for i in PRECEDENCE if i in strong],
            [i for i in PRECEDENCE if i in weak and i not in strong],
        )

    # --- places ------------------------------------------------------------------------

    def find_place(self, words: Sequence[str], key: str) -> PlaceMatch | None:
        district = None
        if match := _DISTRICT.search(key):
            raw = match.group(1)
            number = int(raw) if raw.isdigit() else _DISTRICT_WORDS.get(raw)
            if number is not None and 1 <= number <= 22:
                district = number
        if district is None:
            district = latin_district(key)
        found: list[PlaceName] = []
        for size in (3, 2, 1):
            for start in range(len(words) - size + 1):
                typed = tuple(words[start : start + size])
                before = words[start - 1] if start > 0 else ""
                if all(_LATIN_WORD.match(w) for w in typed):
                    found.extend(self._places_typed_in_latin(typed, before))
                    continue
                name = " ".join(typed)
                places = self._places.get(name)
                if not places:
                    continue
                needs_cue = name in _COMMON_WORD_PLACES or (
                    len(name) <= 3 and name not in _WELL_KNOWN_SHORT
                )
                if needs_cue and before not in _PLACE_CUES:
                    continue
                found.extend(places)
        if not found:
            return (
                PlaceMatch(province="تهران", county="تهران", city="تهران", district=district)
                if district
                else None
            )
        provinces = {p.province for p in found if p.kind == "province"}
        # The most specific place named, inside a province the message named if it did.
        for kind in ("city", "county", "province"):
            of_kind = [p for p in found if p.kind == kind]
            inside = [p for p in of_kind if not provinces or p.province in provinces]
            if inside or of_kind:
                place = (inside or of_kind)[0]
                return PlaceMatch(
                    province=place.province,
                    county=place.county if kind != "province" else None,
                    city=place.name if kind == "city" else None,
                    district=district,
                )
        return None

    def _places_typed_in_latin(self, typed: tuple[str, ...], before: str) -> list[PlaceName]:
        """The places Latin words spell («mashhad», «bandar abbas»), after the word before."""
        joined = "".join(typed)
        if len(joined) < _LATIN_MIN_LENGTH or (len(typed) == 1 and joined in self._latin_words):
            return []
        if len(typed) > 1 and not all(
            (0 < i < len(typed) - 1 and w in _LATIN_JOINERS)
            or (len(w) >= _LATIN_MIN_PART_LENGTH and w not in self._latin_unjoinable)
            for i, w in enumerate(typed)
        ):
            return []
        finglish_cue = before in _FINGLISH_PLACE_CUES or before in _PLACE_CUES
        long_enough = len(joined) >= _LATIN_MIN_CUED_LENGTH
        found: list[PlaceName] = []
        for name in self._latin_places.names_typed(typed):
            known = name in self._known_in_latin
            if known and name not in _COMMON_WORD_PLACES:
                counts = True
            elif finglish_cue:
                counts = long_enough or name in _WELL_KNOWN_SHORT  # «too bam»
            else:  # «in markazi province»
                counts = known and long_enough and before in _ENGLISH_PLACE_CUES
            if counts:
                found.extend(self._places[name])
        return found

    # --- a whole message ---------------------------------------------------------------

    def understand(self, text: str, today: dt.date | None = None) -> Understanding:
        extracted = extract(text, today or dt.date.today())
        normalized = normalize(text)
        key = key_of_normalized(normalized)
        words = key.split()
        services = self.match_services([w for w in words if not any(c.isdigit() for c in w)])
        top = services[0].key if services and services[0].score >= 0.5 else None
        strong, weak = self.intents_named(words, top)
        mistyped = None if extracted.tracking_codes else looks_like_tracking_code(text)
        if extracted.tracking_codes or mistyped:
            strong = [Intent.TRACK, *[i for i in strong if i is not Intent.TRACK]]
        # A code typed in halves is no place, though «7zgk yzzd» would read as Yazd.
        halves = {code[i : i + 4].lower() for code in extracted.tracking_codes for i in (0, 4)}
        return Understanding(
            text=normalized,
            intent=self._decide(strong, weak, top is not None),
            services=services,
            place=self.find_place([w if w not in halves else "" for w in words], key),
            extracted=extracted,
            mistyped_tracking_code=mistyped,
            intents_named=strong + weak,
        )

    @staticmethod
    def _decide(strong: list[Intent], weak: list[Intent], has_service: bool) -> Intent:
        for intent in strong:
            if intent in (Intent.HELP, Intent.THANKS, Intent.GREETING) and has_service:
                return Intent.DOCUMENTS  # «سلام، پاسپورت میخوام» is about the passport
            return intent
        for intent in weak:
            if has_service or intent not in NEED_A_SERVICE_WHEN_WEAK:
                return intent
        return Intent.DOCUMENTS if has_service else Intent.UNKNOWN
