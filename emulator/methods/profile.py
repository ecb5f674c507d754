"""The bot's own profile: getMe, commands, descriptions, menu buttons."""

from __future__ import annotations

import json
import re

from emulator.params import (
    JSONDict,
    Params,
    bad_request,
)
from emulator.records import (
    ApiCall,
)
from emulator.state import EmulatorState

_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")


class ProfileMethods(EmulatorState):
    """getMe, set/get/deleteMyCommands, descriptions, menu buttons, close and logOut."""

    async def _get_me(self, p: Params, call: ApiCall) -> JSONDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _true(self, p: Params, call: ApiCall) -> bool:
        return True

    def _commands_key(self, p: Params) -> str:
        scope = p.obj("scope") or {"type": "default"}
        if not isinstance(scope, dict) or not isinstance(scope.get("type"), str):
            raise bad_request("can't parse scope JSON object")
        return json.dumps(scope, sort_keys=True) + "|" + (p.text("language_code") or "")

    async def _set_my_commands(self, p: Params, call: ApiCall) -> bool:
        commands = p.obj("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("commands must be an array of at most 100 commands")
        clean: list[JSONDict] = []
        for item in commands:
            if not isinstance(item, dict) or not _COMMAND_NAME.fullmatch(
                str(item.get("command", ""))
            ):
                raise bad_request("BOT_COMMAND_INVALID")
            description = str(item.get("description", "")).strip()
            if not 1 <= len(description) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            clean.append({"command": item["command"], "description": description})
        key = self._commands_key(p)
        if clean:
            self._commands[key] = clean
        else:
            self._commands.pop(key, None)
        return True

    async def _get_my_commands(self, p: Params, call: ApiCall) -> list[JSONDict]:
        return self._commands.get(self._commands_key(p), [])

    async def _delete_my_commands(self, p: Params, call: ApiCall) -> bool:
        self._commands.pop(self._commands_key(p), None)
        return True

    def _set_description(self, kind: str, limit: int, p: Params) -> bool:
        text = p.text(kind) or ""
        if len(text) > limit:
            raise bad_request(f"{kind.upper()}_INVALID")
        language = p.text("language_code") or ""
        if text:
            self._descriptions[kind][language] = text
        else:
            self._descriptions[kind].pop(language, None)
        return True

    def _get_description(self, kind: str, p: Params) -> JSONDict:
        texts = self._descriptions[kind]
        return {kind: texts.get(p.text("language_code") or "", texts.get("", ""))}

    async def _set_my_description(self, p: Params, call: ApiCall) -> bool:
        return self._set_description("description", 512, p)

    async def _get_my_description(self, p: Params, call: ApiCall) -> JSONDict:
        return self._get_description("description", p)

    async def _set_my_short_description(self, p: Params, call: ApiCall) -> bool:
        return self._set_description("short_description", 120, p)

    async def _get_my_short_description(self, p: Params, call: ApiCall) -> JSONDict:
        return self._get_description("short_description", p)

    async def _set_chat_menu_button(self, p: Params, call: ApiCall) -> bool:
        button = p.obj("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in (
            "default",
            "commands",
            "web_app",
        ):
            raise bad_request("can't parse menu_button JSON object")
        if p.has("chat_id"):
            chat = self._chat(p)
            if chat.type != "private":
                raise bad_request("menu button can be set only in private chats")
            chat.menu_button = button
        else:
            self._default_menu_button = button
        return True

    async def _get_chat_menu_button(self, p: Params, call: ApiCall) -> JSONDict:
        if p.has("chat_id"):
            chat = self._chat(p)
            return chat.menu_button or self._default_menu_button
        return self._default_menu_button
