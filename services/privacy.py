"""Masking of personal data wherever anyone but the citizen might see it (logs included)."""

from __future__ import annotations

import re

# Runs of 8+ digits (national codes, mobiles, cards) in any digit script, with the
# separators people type inside them; the +98 / 0098 prefix is taken with the run.
_DIGIT = r"[0-9۰-۹٠-٩]"
_LONG_NUMBER = re.compile(rf"\+?{_DIGIT}(?:[\s\-‌]?{_DIGIT}){{7,}}")


def mask_digits(value: str, keep_start: int = 2, keep_end: int = 2) -> str:
    """``0012345679`` → ``00******79``: enough to recognise, not enough to use."""
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[-keep_end:]


def mask_national_code(code: str) -> str:
    return mask_digits(code, 3, 2)


def mask_mobile(mobile: str) -> str:
    """``09121234567`` → ``0912***4567`` (operators and staff see the operator prefix only)."""
    return mask_digits(mobile, 4, 4) if len(mobile) == 11 else mask_digits(mobile, 2, 2)


def scrub(text: str) -> str:
    """Mask every long digit run in free text (log lines, error messages)."""
    return _LONG_NUMBER.sub(lambda m: mask_digits(re.sub(r"[\s\-‌]", "", m.group())), text)
