"""Persian presentation helpers: digits, numbers and names as a citizen reads them."""

from __future__ import annotations

_TO_PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def fa_digits(value: object) -> str:
    """Any value as text with Persian digits (۱۲۳ instead of 123)."""
    return str(value).translate(_TO_PERSIAN)


def fa_number(value: int) -> str:
    """A whole number with Persian digits and the Persian thousands separator (۱٬۲۵۰٬۰۰۰)."""
    return fa_digits(f"{value:,}").replace(",", "٬")


def first_name_suffix(name: str | None) -> str:
    """`` نام`` for a greeting, or nothing when Telegram gave no usable name."""
    name = (name or "").strip()
    return f" {name}" if name and len(name) <= 64 else ""
