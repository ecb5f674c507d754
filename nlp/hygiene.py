"""Characters user text must not carry into the bot: cleaned once, where the text arrives.

A NUL cannot be stored by PostgreSQL (neither in text nor in JSON), a lone surrogate cannot be
encoded at all, and bidi embeddings, overrides and isolates in a name turn the text around
them in whatever shows it (a staff card, a supervisor's list): "spoofing". None of them is
ever typed on purpose. ZWNJ (the Persian half-space) and ZWJ (emoji sequences) are letters
of the text and stay; so do the bidi *marks* (LRM, RLM, ALM), which keyboards insert and
which reorder nothing beyond a neutral character.
"""

from __future__ import annotations

import re

ZWNJ = "\u200c"
ZWJ = "\u200d"
# C0 controls but newline (tab is a space, below), DEL and C1; zero-width space, word
# joiner and the invisible operators; bidi embeddings/overrides (U+202A-U+202E) and
# isolates (U+2066-U+2069) with the deprecated format characters after them; BOM;
# interlinear annotation marks; lone surrogates (unpaired halves of a UTF-16 pair).
_UNWANTED = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u202a-\u202e\u2060-\u2064\u2066-\u206f"
    "\ufeff\ufff9-\ufffb\ud800-\udfff]"
)
_TAB = "\t"


def clean_user_text(text: str) -> str:
    """``text`` without the characters above, a tab read as a space; everything else,
    newlines included, exactly as it came. Cleaning twice changes nothing more."""
    if text.isprintable():  # nothing below is printable: plain text costs one scan
        return text
    return _UNWANTED.sub("", text.replace(_TAB, " "))
