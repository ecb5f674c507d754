"""A local Bot API emulator, for tests, benchmarks and ``pishkhan shell``.

It imports nothing from the project: it stands in for Telegram, or for Bale
(``BotApiEmulator(messenger="bale")``), whatever bot talks to it.
"""

from emulator.client import (
    BotMessage,
    Button,
    EmulatorClient,
    EmulatorRequestError,
    NoReply,
    Person,
    Reply,
)
from emulator.params import ApiError, EmulatorInputError
from emulator.profiles import BALE_PROFILE, MESSENGERS, TELEGRAM_PROFILE, Profile
from emulator.records import ApiCall, EmuChat, EmuUser, MessageRecord
from emulator.server import BotApiEmulator
from emulator.state import FIRST_UPDATE_ID
from emulator.webhook_delivery import SECRET_HEADER

__all__ = [
    "BALE_PROFILE",
    "FIRST_UPDATE_ID",
    "MESSENGERS",
    "SECRET_HEADER",
    "TELEGRAM_PROFILE",
    "ApiCall",
    "ApiError",
    "BotApiEmulator",
    "BotMessage",
    "Button",
    "EmuChat",
    "EmuUser",
    "EmulatorClient",
    "EmulatorInputError",
    "EmulatorRequestError",
    "MessageRecord",
    "NoReply",
    "Person",
    "Profile",
    "Reply",
]
