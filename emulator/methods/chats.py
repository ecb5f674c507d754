"""Chats and their members: getChat, getChatMember, leaveChat, ..."""

from __future__ import annotations

import time

from emulator.params import (
    ApiError,
    JSONDict,
    Params,
    bad_request,
)
from emulator.records import (
    ApiCall,
)
from emulator.state import EmulatorState


class ChatMethods(EmulatorState):
    """getChat, getChatMember, getChatAdministrators, getChatMemberCount, leaveChat."""

    async def _get_chat(self, p: Params, call: ApiCall) -> JSONDict:
        chat = self._chat(p, check_migrated=False)
        info = chat.to_dict()
        info.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        if chat.migrated_to is not None:
            info["migrate_to_chat_id"] = chat.migrated_to  # not in the Bot API; for debugging
        return info

    async def _get_chat_member(self, p: Params, call: ApiCall) -> JSONDict:
        chat = self._chat(p)
        user_id = p.need_int("user_id")
        if user_id == self.bot_id:
            status = "member" if chat.type == "private" else chat.bot_status
            return self._member_object(self.bot_user, status)
        user = self._users.get(user_id)
        if user is None:
            raise bad_request("user not found")
        if chat.type == "private":
            status = "member" if user_id == chat.id else "left"
        else:
            status = chat.members.get(user_id, "left")
        return self._member_object(user.to_dict(), status)

    async def _get_chat_administrators(self, p: Params, call: ApiCall) -> list[JSONDict]:
        chat = self._chat(p)
        if chat.type == "private":
            raise bad_request("there are no administrators in the private chat")
        admins = [
            self._member_object(self._users[uid].to_dict(), status)
            for uid, status in chat.members.items()
            if status in ("creator", "administrator")
        ]
        if chat.bot_status == "administrator":
            admins.append(self._member_object(self.bot_user, "administrator"))
        return admins

    async def _get_chat_member_count(self, p: Params, call: ApiCall) -> int:
        chat = self._chat(p)
        if chat.type == "private":
            return 2
        present = [s for s in chat.members.values() if s not in ("left", "kicked")]
        return len(present) + (chat.bot_status in ("member", "administrator"))

    async def _leave_chat(self, p: Params, call: ApiCall) -> bool:
        chat = self._chat(p)
        if chat.type == "private":
            raise bad_request("chat member status can't be changed in private chats")
        if chat.bot_status in ("left", "kicked"):
            raise ApiError(403, f"Forbidden: bot is not a member of the {chat.kind} chat")
        old, chat.bot_status = chat.bot_status, "left"
        self._queue_update(
            {
                "my_chat_member": {
                    "chat": chat.to_dict(),
                    "from": self.bot_user,
                    "date": int(time.time()),
                    "old_chat_member": self._member_object(self.bot_user, old),
                    "new_chat_member": self._member_object(self.bot_user, "left"),
                }
            }
        )
        return True
