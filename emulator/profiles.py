"""Which messenger's Bot API the emulator speaks: Telegram's, or Bale's (بله).

Bale's Bot API is shaped like Telegram's (``https://tapi.bale.ai/bot<token>/<method>``,
the same ok/result/description/error_code/parameters answers); what differs is known from
its SDKs only, nothing here was checked against a real Bale server.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    """The differences of one messenger's Bot API from Telegram's, as the emulator plays them."""

    name: str
    # Methods (lower case) answered as an unknown method is: 404 "Not Found".
    missing_methods: frozenset[str] = frozenset()
    long_poll: bool = True  # False: getUpdates answers at once, whatever its timeout
    webhook_secret: bool = True  # False: setWebhook ignores secret_token, pushes carry no header
    reply_parameters: bool = True  # False: only reply_to_message_id makes a reply
    supergroups: bool = True  # False: every group is a plain "group", none migrates


TELEGRAM_PROFILE = Profile(name="telegram")

BALE_PROFILE = Profile(
    name="bale",
    missing_methods=frozenset(
        name.lower()
        for name in (
            "sendVenue",
            # Bale's SDKs have no command list, descriptions or menu button.
            "setMyCommands",
            "getMyCommands",
            "deleteMyCommands",
            "setMyDescription",
            "getMyDescription",
            "setMyShortDescription",
            "getMyShortDescription",
            "setChatMenuButton",
            "getChatMenuButton",
        )
    ),
    long_poll=False,
    webhook_secret=False,
    reply_parameters=False,
    supergroups=False,
)

PROFILES = {profile.name: profile for profile in (TELEGRAM_PROFILE, BALE_PROFILE)}
MESSENGERS = tuple(PROFILES)


def profile_of(messenger: str) -> Profile:
    try:
        return PROFILES[messenger]
    except KeyError:
        raise ValueError(
            f"unknown messenger {messenger!r}; the emulator speaks {', '.join(MESSENGERS)}"
        ) from None
