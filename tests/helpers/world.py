"""What an end-to-end test gets from its fixtures."""

from __future__ import annotations

from dataclasses import dataclass

from dialogs.context import Deps
from emulator import BotApiEmulator, EmulatorClient
from services.settings import Settings


@dataclass
class World:
    """Everything an end-to-end test touches: the emulator, its client and the services."""

    emulator: BotApiEmulator
    client: EmulatorClient
    deps: Deps
    settings: Settings
