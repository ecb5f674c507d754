"""A place and a service the finding tests search from."""

from __future__ import annotations

TEHRAN_VALIASR = (35.7000, 51.4100)
SERVICE = "birth_certificate_replacement"
SERVICE_FA = "تعویض شناسنامه"
