"""``pishkhan shell``: chat with the real bot in this terminal, with no token and no network.

The real Application polls the local Bot API emulator inside this process; the terminal
acts as one citizen through the emulator's client. Buttons are shown as numbered choices.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TextIO

import arabic_reshaper
from bidi import get_display

from bot.runtime import open_services, polling_bot
from emulator import (
    FIRST_UPDATE_ID,
    BotApiEmulator,
    BotMessage,
    Button,
    EmulatorClient,
    Person,
    Reply,
)
from services.inbound import highest_update_id
from services.settings import Settings

PROMPT = "شما> "
RLM = "\u200f"  # starts a line right-to-left in terminals that implement bidi
_ASCII_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")

MESSENGER_NAMES = {"telegram": "Telegram", "bale": "Bale (بله)"}
INTRO = """\
Pishkhan shell: you are chatting with the real bot through a local {messenger} emulator.
Type Persian text, a number to press a button, /loc LAT LON to share a location,
/contact PHONE to share a phone number, /quit (or Ctrl+D) to leave.
"""


@dataclass(frozen=True)
class Choice:
    """A numbered button on screen: inline (on a message) or on the reply keyboard."""

    button: Button
    message_id: int | None  # None: a reply-keyboard button


class Screen:
    """Renders the bot's messages as terminal lines and remembers the numbered buttons."""

    def __init__(self, out: TextIO, *, visual: bool = False) -> None:
        self._out = out
        self._visual = visual
        self.choices: list[Choice] = []

    def _line(self, text: str, indent: str = "") -> str:
        if not self._visual:
            return f"{indent}{RLM}{text}"
        # For terminals without bidi: shape the letters and lay the line out right to left.
        width = shutil.get_terminal_size((80, 24)).columns
        shaped: str = get_display(arabic_reshaper.reshape(text))
        return shaped.rjust(width - len(indent))

    def say(self, text: str) -> None:
        print(text, file=self._out, flush=True)

    def _buttons(self, rows: tuple[tuple[Button, ...], ...], message_id: int | None) -> None:
        for row in rows:
            cells = []
            for button in row:
                self.choices.append(Choice(button, message_id))
                cells.append(f"[{len(self.choices)}] {button.label}")
            self.say(self._line("   ".join(cells), indent="   "))

    def show(self, reply: Reply, reply_keyboard: tuple[tuple[Button, ...], ...]) -> None:
        self.choices = []
        if not reply.answered and not reply.messages:
            self.say("(the bot did not answer)")
            return
        for message in reply.messages:
            self._message(message)
        if reply_keyboard:
            self.say("   keyboard:")
            self._buttons(reply_keyboard, None)

    def _message(self, message: BotMessage) -> None:
        if message.deleted:
            self.say("🤖 (پیامی حذف شد)")
            return
        mark = " (ویرایش شد)" if message.edited else ""
        self.say(f"🤖{mark}")
        if message.venue_title:
            self.say(self._line(f"📍 {message.venue_title} — {message.venue_address or ''}"))
        if message.location:
            # A terminal shows no map: the coordinates and a link that opens one. Without a
            # venue (Bale has none) the name and address follow as a text message.
            latitude, longitude = message.location
            self.say(f"   📍 {latitude:.5f}, {longitude:.5f}  {map_link(latitude, longitude)}")
        for line in message.text.splitlines() or ([""] if not message.location else []):
            self.say(self._line(line))
        self._buttons(message.buttons, message.message_id)


def map_link(latitude: float, longitude: float) -> str:
    return (
        f"https://www.openstreetmap.org/?mlat={latitude:.5f}&mlon={longitude:.5f}"
        f"#map=17/{latitude:.5f}/{longitude:.5f}"
    )


def _keyboard(state: dict[str, object]) -> tuple[tuple[Button, ...], ...]:
    markup = state.get("reply_keyboard")
    if not isinstance(markup, dict):
        return ()
    return BotMessage.from_json(
        {"chat_id": 0, "message_id": 0, "message": {}, "reply_markup": markup}
    ).reply_keyboard


async def _act(me: Person, screen: Screen, line: str) -> Reply | None:
    """Turns one typed line into what the user does in Telegram; None when nothing is sent."""
    words = line.translate(_ASCII_DIGITS).split()
    if words[0] == "/loc":
        try:
            latitude, longitude = float(words[1]), float(words[2])
        except (IndexError, ValueError):
            screen.say("usage: /loc LAT LON   e.g. /loc 35.7 51.4")
            return None
        return await me.shares_location(latitude, longitude, expect_reply=False)
    if words[0] == "/contact":
        if len(words) != 2:
            screen.say("usage: /contact PHONE   e.g. /contact 09121234567")
            return None
        return await me.shares_contact(words[1], expect_reply=False)
    if len(words) == 1 and words[0].isdigit() and 1 <= int(words[0]) <= len(screen.choices):
        choice = screen.choices[int(words[0]) - 1]
        if choice.message_id is not None:
            return await me.presses(
                choice.button.label, message_id=choice.message_id, expect_reply=False
            )
        if choice.button.request_location:
            screen.say("this button shares your location: type /loc LAT LON")
            return None
        if choice.button.request_contact:
            screen.say("this button shares your phone number: type /contact PHONE")
            return None
        return await me.taps(choice.button.label, expect_reply=False)
    return await me.says(line, expect_reply=False)


def _reader(stdin: TextIO, interactive: bool) -> Callable[[], str | None]:
    def read() -> str | None:
        if interactive:
            try:
                return input(PROMPT)
            except EOFError:
                return None
        line = stdin.readline()
        return None if line == "" else line.rstrip("\n")

    return read


async def chat_loop(
    client: EmulatorClient,
    *,
    user_id: int,
    name: str,
    stdin: TextIO,
    out: TextIO,
    visual: bool = False,
    messenger: str = "telegram",
) -> None:
    """Reads lines until /quit or end of input and shows what the bot answers."""
    interactive = stdin.isatty() and out.isatty()
    read = _reader(stdin, interactive)
    me = client.person(user_id, name)
    screen = Screen(out, visual=visual)
    screen.say(INTRO.format(messenger=MESSENGER_NAMES.get(messenger, messenger)))
    async for line in _lines(read, interactive):
        line = line.strip()
        if line in ("/quit", "/exit"):
            break
        if not line:
            continue
        if not interactive:
            screen.say(f"{PROMPT}{line}")
        try:
            reply = await _act(me, screen, line)
        except Exception as exc:  # an emulator refusal is shown, not fatal
            screen.say(f"(could not send: {exc})")
            reply = None
        if reply is not None:
            screen.show(reply, _keyboard(await client.chat_state(me.chat_id)))


async def _lines(read: Callable[[], str | None], interactive: bool) -> AsyncIterator[str]:
    """/start first (what Telegram's Start button sends), then each line until the end of
    input; a script that begins with /start itself is greeted once, not twice."""
    loop = asyncio.get_running_loop()
    pending = None if interactive else await loop.run_in_executor(None, read)
    if pending is None or pending.strip() != "/start":
        yield "/start"
    while True:
        line = pending if pending is not None else await loop.run_in_executor(None, read)
        pending = None
        if line is None:
            return
        yield line


async def run_shell(
    settings: Settings,
    *,
    with_sample: bool,
    user_id: int = 1001,
    name: str = "شهروند",
    visual: bool = False,
    messenger: str = "telegram",
    stdin: TextIO | None = None,
    out: TextIO | None = None,
) -> int:
    """Starts the services, the emulator (speaking ``messenger``'s Bot API) and the polling
    bot, and chats until the end."""
    async with open_services(settings, with_sample=with_sample) as deps:
        # A fresh emulator counts from its default; ids this database already holds would
        # be ignored as handled, and the first lines of a second run go unanswered.
        first_update_id = max(FIRST_UPDATE_ID, await highest_update_id(deps.engine, messenger) + 1)
        async with (
            BotApiEmulator(first_update_id=first_update_id, messenger=messenger) as emulator,
            polling_bot(
                deps,
                token=emulator.token,
                base_url=emulator.base_url,
                rate_limit=False,
                messenger=messenger,
            ),
            EmulatorClient(emulator.root_url) as client,
        ):
            await chat_loop(
                client,
                user_id=user_id,
                name=name,
                stdin=stdin or sys.stdin,
                out=out or sys.stdout,
                visual=visual,
                messenger=messenger,
            )
    return 0
