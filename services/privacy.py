"""Masking of personal data wherever anyone but the citizen might see it (logs included)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from services.settings import Settings, SettingsError

log = logging.getLogger(__name__)

# Runs of 8+ digits (national codes, mobiles, cards) in any digit script, with the
# separators people type inside them; the +98 / 0098 prefix is taken with the run.
_DIGIT = r"[0-9۰-۹٠-٩]"
_SEPARATOR = r"[\s\-‌]"
_LONG_NUMBER = rf"\+?{_DIGIT}(?:{_SEPARATOR}?{_DIGIT}){{7,}}"
# An ISO date (2026-12-05), with a time and offset if given (T08:00:00.5+03:30), as code
# writes them: no personal number has this shape. Not when more digits are joined to it
# (a national code typed 2026-12-05-34 is a number): those are masked whole.
_ISO_MOMENT = (
    rf"(?<!{_DIGIT})(?<!{_DIGIT}{_SEPARATOR})"
    r"(?:19|20)\d\d-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
    r"(?:[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+\-]\d\d:\d\d)?)?"
    rf"(?!{_SEPARATOR}?{_DIGIT})"
)
_MOMENT_OR_NUMBER = re.compile(rf"(?P<moment>{_ISO_MOMENT})|{_LONG_NUMBER}")


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


def mask_name(name: str) -> str:
    """``مریم احمدی`` → ``م*** ا***``: a supervisor can tell two citizens apart, no more."""
    return " ".join(f"{word[0]}***" for word in name.split()[:3])


def scrub(text: str) -> str:
    """Mask every long digit run in free text (log lines, error messages); ISO dates and
    times stay as they are."""
    return _MOMENT_OR_NUMBER.sub(_masked_unless_moment, text)


def _masked_unless_moment(match: re.Match[str]) -> str:
    if match.group("moment") is not None:
        return match.group()
    return mask_digits(re.sub(_SEPARATOR, "", match.group()))


class Vault:
    """National codes and mobiles at rest: encrypted (Fernet), looked up by a keyed hash
    (HMAC-SHA256), both keys derived from the operator's ``PISHKHAN_SECRET_KEY``."""

    def __init__(self, secret: str) -> None:
        if len(secret) < 16:
            raise ValueError("the secret key must be at least 16 characters")
        material = HKDF(
            algorithm=hashes.SHA256(), length=64, salt=b"pishkhan-pii-v1", info=b"keys"
        ).derive(secret.encode())
        self._hash_key = material[:32]
        self._fernet = Fernet(base64.urlsafe_b64encode(material[32:]))

    def lookup_hash(self, value: str) -> str:
        return hmac.new(self._hash_key, value.encode(), hashlib.sha256).hexdigest()

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str:
        return self._fernet.decrypt(token.encode()).decode()


def new_secret_key() -> str:
    return secrets.token_urlsafe(32)


def secret_key_for(settings: Settings) -> str:
    """PISHKHAN_SECRET_KEY, or for a SQLite file without one (trying the bot out), a key
    kept beside the database file, readable by its owner only."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    path = settings.sqlite_path
    if path is None:
        raise SettingsError(
            "PISHKHAN_SECRET_KEY: must be set to encrypt national codes and mobiles "
            "(any long random string; keep it safe, losing it loses access to them)"
        )
    key_file = path.with_name(path.name + ".key")
    if not key_file.exists():
        key_file.touch(mode=0o600)
        key_file.write_text(new_secret_key(), encoding="utf-8")
        log.warning(
            "PISHKHAN_SECRET_KEY is not set: generated a key in %s; set the variable in production",
            key_file,
        )
    return key_file.read_text(encoding="utf-8").strip()
