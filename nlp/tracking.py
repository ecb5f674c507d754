"""Tracking codes: short, unambiguous to read aloud or type, with a check character.

Eight symbols from an alphabet without look-alikes (no 0/O, 1/I/L, U), the last one a
Luhn mod-N check over the first seven: any single mistyped symbol is caught, and any swap of
two neighbours but 2↔Z (the first and last symbols, Luhn's one blind spot). A code always
mixes letters and digits, so an English word or a phone number is never taken for one.
Shown as ``ABCD-EFGH``; typed in any case, with or without the dash, with Persian digits.

Complaint codes have the same shape (so they are found in free text the same way) but
always start with ``C``, and booking codes never do: the two never collide, and a citizen
or supervisor can tell them apart.
"""

from __future__ import annotations

import re
import secrets

from nlp.digits import fold_digits

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 8
_INDEX = {symbol: i for i, symbol in enumerate(ALPHABET)}
# A run of 8 code symbols, optionally split 4+4 by a dash or space, not inside a longer word.
_CANDIDATE = re.compile(r"(?<![0-9A-Za-z])([2-9A-Za-z]{4})[\s\-‌_]?([2-9A-Za-z]{4})(?![0-9A-Za-z])")


def check_symbol(body: str) -> str:
    """The Luhn mod-N check symbol for the first seven symbols."""
    n = len(ALPHABET)
    total, factor = 0, 2
    for symbol in reversed(body):
        addend = factor * _INDEX[symbol]
        total += addend // n + addend % n
        factor = 1 if factor == 2 else 2
    return ALPHABET[(n - total % n) % n]


def _mixed(code: str) -> bool:
    return any(c.isdigit() for c in code) and any(c.isalpha() for c in code)


COMPLAINT_PREFIX = "C"


def _new_code(prefix: str = "") -> str:
    while True:
        body = prefix + "".join(secrets.choice(ALPHABET) for _ in range(LENGTH - 1 - len(prefix)))
        code = body + check_symbol(body)
        if _mixed(code):
            return code


def new_tracking_code() -> str:
    """A booking's code (never starting with the complaint prefix)."""
    while True:
        code = _new_code()
        if not code.startswith(COMPLAINT_PREFIX):
            return code


def new_complaint_code() -> str:
    """A complaint's code: a tracking code that starts with ``C``."""
    return _new_code(COMPLAINT_PREFIX)


def is_complaint_code(code: str) -> bool:
    return code.upper().startswith(COMPLAINT_PREFIX)


def is_valid_tracking_code(code: str) -> bool:
    code = code.upper()
    return (
        len(code) == LENGTH
        and _mixed(code)
        and all(symbol in _INDEX for symbol in code)
        and check_symbol(code[:-1]) == code[-1]
    )


def format_tracking_code(code: str) -> str:
    """``ABCDEFGH`` → ``ABCD-EFGH`` for display."""
    return f"{code[:4]}-{code[4:]}"


def find_tracking_codes(text: str) -> list[str]:
    """Valid codes in free text, canonical (upper case, no dash), in order of appearance."""
    found = []
    for match in _CANDIDATE.finditer(fold_digits(text)):
        code = (match.group(1) + match.group(2)).upper()
        if is_valid_tracking_code(code) and code not in found:
            found.append(code)
    return found


def looks_like_tracking_code(text: str) -> str | None:
    """A code-shaped token whose check fails (a typo), so the citizen can be told so."""
    for match in _CANDIDATE.finditer(fold_digits(text)):
        code = (match.group(1) + match.group(2)).upper()
        if _mixed(code) and not is_valid_tracking_code(code):
            return code
    return None
