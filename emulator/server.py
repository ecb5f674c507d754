"""A local emulator of the Telegram Bot API, or of Bale's (``messenger="bale"``, see
:mod:`emulator.profiles`), served over real HTTP with aiohttp.

The unmodified python-telegram-bot talks to it through ``base_url=emulator.base_url``.
Besides the Bot API (``/bot<TOKEN>/<method>``) it serves a JSON control API under
``/_emulator/...`` through which tests and the terminal shell act as users and read what
the bot has sent (see :class:`emulator.client.EmulatorClient`).

:class:`BotApiEmulator` is assembled from one mixin per concern: the state
(:mod:`emulator.state`), set-up and user actions, the HTTP dispatch, webhook delivery, the
method groups under :mod:`emulator.methods` and the control API.
"""

from __future__ import annotations

from types import TracebackType

from aiohttp import ClientSession, web

from emulator.control import ControlApi
from emulator.http_api import Handler
from emulator.methods.callbacks import CallbackMethods
from emulator.methods.chats import ChatMethods
from emulator.methods.editing import EditingMethods
from emulator.methods.profile import ProfileMethods
from emulator.methods.sending import SendingMethods


class BotApiEmulator(
    ControlApi, SendingMethods, EditingMethods, CallbackMethods, ChatMethods, ProfileMethods
):
    """Bot API emulator of Telegram or Bale; see the module docstring."""

    def _method_handlers(self) -> dict[str, Handler]:
        return {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "sendLocation": self._send_location,
            "sendVenue": self._send_venue,
            "sendContact": self._send_contact,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "sendChatAction": self._send_chat_action,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "answerCallbackQuery": self._answer_callback_query,
            "deleteMessage": self._delete_message,
            "deleteMessages": self._delete_messages,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setChatMenuButton": self._set_chat_menu_button,
            "setMyDescription": self._set_my_description,
            "getMyDescription": self._get_my_description,
            "setMyShortDescription": self._set_my_short_description,
            "getMyShortDescription": self._get_my_short_description,
            "getChatMenuButton": self._get_chat_menu_button,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "getChatAdministrators": self._get_chat_administrators,
            "getChatMemberCount": self._get_chat_member_count,
            "leaveChat": self._leave_chat,
            "close": self._true,
            "logOut": self._true,
        }

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        self._add_control_routes(app)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown_path)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self._host = host
        self._port = int(self._runner.addresses[0][1])
        self._session = ClientSession()
        self._closing = False

    async def stop(self) -> None:
        self._closing = True
        self._updates_signal.fire()
        self._activity_signal.fire()
        await self._stop_webhook_task()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> BotApiEmulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the emulator is not started")
        return self._port

    @property
    def root_url(self) -> str:
        return f"http://{self._host}:{self.port}"

    @property
    def base_url(self) -> str:
        """PTB's base_url form: PTB appends the token."""
        return f"{self.root_url}/bot"
