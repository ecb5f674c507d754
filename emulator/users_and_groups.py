"""Setting up users, groups and memberships, as tests and the shell do."""

from __future__ import annotations

import time

from emulator.params import (
    EmulatorInputError,
)
from emulator.records import (
    EmuChat,
    EmuUser,
)
from emulator.state import EmulatorState


class UsersAndGroups(EmulatorState):
    """Creates users and groups, memberships, blocks and migrations."""

    def add_user(
        self,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "fa",
    ) -> EmuUser:
        """Creates or updates a user and its private chat (chat id = user id)."""
        if user_id <= 0:
            raise EmulatorInputError("user ids are positive")
        user = self._users.get(user_id)
        if user is None:
            user = self._users[user_id] = EmuUser(user_id, first_name)
        user.first_name = first_name
        user.last_name, user.username, user.language_code = last_name, username, language_code
        if user_id not in self._chats:
            self._chats[user_id] = EmuChat(user_id, "private", user=user)
        return user

    def add_group(
        self,
        chat_id: int,
        title: str,
        *,
        chat_type: str | None = None,
        username: str | None = None,
        bot_status: str = "member",
    ) -> EmuChat:
        """Creates or updates a group (negative id; -100... means a supergroup). Bale has
        no supergroups: there every group is a "group", whatever was asked, so the same
        test runs against either profile."""
        if chat_id >= 0:
            raise EmulatorInputError("group chat ids are negative")
        kind = chat_type or ("supergroup" if str(chat_id).startswith("-100") else "group")
        if kind not in ("group", "supergroup"):
            raise EmulatorInputError(f"unknown group type {kind!r}")
        if not self.profile.supergroups:
            kind = "group"
        if bot_status not in ("member", "administrator", "left", "kicked"):
            raise EmulatorInputError(f"unknown bot status {bot_status!r}")
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = EmuChat(chat_id, kind, bot_status=bot_status)
        chat.title, chat.username, chat.type = title, username, kind
        return chat

    def add_member(self, chat_id: int, user_id: int, status: str = "member") -> None:
        """Puts a known user into a group (creator | administrator | member)."""
        chat = self._group(chat_id)
        if user_id not in self._users:
            raise EmulatorInputError(f"unknown user {user_id}")
        if status not in ("creator", "administrator", "member", "left", "kicked"):
            raise EmulatorInputError(f"unknown member status {status!r}")
        chat.members[user_id] = status

    def set_bot_status(self, chat_id: int, status: str) -> None:
        chat = self._group(chat_id)
        if status not in ("member", "administrator", "left", "kicked"):
            raise EmulatorInputError(f"unknown bot status {status!r}")
        chat.bot_status = status

    def block_user(self, user_id: int, blocked: bool = True) -> None:
        """The user blocks (or unblocks) the bot: sends answer 403, as in Telegram."""
        chat = self._chats.get(user_id)
        if chat is None or chat.type != "private" or chat.user is None:
            raise EmulatorInputError(f"unknown user {user_id}")
        if chat.blocked == blocked:
            return
        chat.blocked = blocked
        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        self._queue_update(
            {
                "my_chat_member": {
                    "chat": chat.to_dict(),
                    "from": chat.user.to_dict(),
                    "date": int(time.time()),
                    "old_chat_member": self._member_object(self.bot_user, old),
                    "new_chat_member": self._member_object(self.bot_user, new),
                }
            }
        )

    def migrate_group(self, chat_id: int, to_chat_id: int) -> EmuChat:
        """Upgrades a group to a supergroup: the old id answers 400 with migrate_to_chat_id."""
        old = self._group(chat_id)
        if not self.profile.supergroups:
            raise EmulatorInputError(f"{self.messenger} has no supergroups to migrate to")
        if not str(to_chat_id).startswith("-100"):
            raise EmulatorInputError("a supergroup id starts with -100")
        new = self.add_group(
            to_chat_id, old.title or "", chat_type="supergroup", bot_status=old.bot_status
        )
        new.members = dict(old.members)
        old.migrated_to = to_chat_id
        now = int(time.time())
        self._queue_update(
            {
                "message": {
                    "message_id": self._next_message_id(old),
                    "from": self.bot_user,
                    "chat": old.to_dict(),
                    "date": now,
                    "migrate_to_chat_id": to_chat_id,
                }
            }
        )
        self._queue_update(
            {
                "message": {
                    "message_id": self._next_message_id(new),
                    "from": self.bot_user,
                    "chat": new.to_dict(),
                    "date": now,
                    "migrate_from_chat_id": chat_id,
                }
            }
        )
        return new
