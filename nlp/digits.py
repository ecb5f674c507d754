"""Digits of every script folded to ASCII, so numbers are compared and stored one way."""

from __future__ import annotations

PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
ARABIC_INDIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
_TO_ASCII = str.maketrans(PERSIAN_DIGITS + ARABIC_INDIC_DIGITS, "0123456789" * 2)


def fold_digits(text: str) -> str:
    """``۰۹۱۲`` and ``٠٩١٢`` become ``0912``; everything else is left as it is."""
    return text.translate(_TO_ASCII)
