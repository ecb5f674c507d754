"""Acting as users: writing, pressing inline buttons, tapping reply keyboards."""

from __future__ import annotations

import time
from collections.abc import Callable

from emulator.formatting import (
    detect_commands,
)
from emulator.params import (
    EmulatorInputError,
    JSONDict,
)
from emulator.records import (
    CallbackRecord,
    EmuChat,
    EmuUser,
    MessageRecord,
    without_reply,
)
from emulator.state import EmulatorState


class UserActions(EmulatorState):
    """Users write, press and tap; each becomes an update the bot receives."""

    def inject_message(
        self,
        chat_id: int,
        user_id: int,
        *,
        text: str | None = None,
        entities: list[JSONDict] | None = None,
        location: JSONDict | None = None,
        contact: JSONDict | None = None,
        reply_to_message_id: int | None = None,
        photo: JSONDict | None = None,
    ) -> JSONDict:
        """A user writes in a chat (or sends a photo: ``{"file_id", "caption"}``); returns
        message_id, update_id (None if the bot does not receive it, e.g. group privacy
        mode), delivered and seq."""
        chat, user = self._acting(chat_id, user_id)
        msg: JSONDict = {
            "message_id": self._next_message_id(chat),
            "from": user.to_dict(),
            "chat": chat.to_dict(),
            "date": int(time.time()),
        }
        if reply_to_message_id is not None:
            replied = self._messages.get(chat.id, {}).get(reply_to_message_id)
            if replied is None or replied.deleted:
                raise EmulatorInputError(f"no message {reply_to_message_id} in chat {chat.id}")
            msg["reply_to_message"] = without_reply(replied.data)
        if text is not None:
            if not text.strip():
                raise EmulatorInputError("empty text")
            msg["text"] = text
            found = entities if entities is not None else detect_commands(text)
            if found:
                msg["entities"] = found
        elif location is not None:
            msg["location"] = {
                "latitude": float(location["latitude"]),
                "longitude": float(location["longitude"]),
            }
        elif contact is not None:
            if not contact.get("phone_number"):
                raise EmulatorInputError("a contact needs phone_number")
            card = {
                "phone_number": str(contact["phone_number"]),
                "first_name": str(contact.get("first_name") or user.first_name),
            }
            for key in ("last_name", "user_id", "vcard"):
                if contact.get(key) is not None:
                    card[key] = contact[key]
            msg["contact"] = card
        elif photo is not None:
            file_id = str(photo.get("file_id") or f"emu-photo-{next(self._ids)}")
            msg["photo"] = [
                {"file_id": f"{file_id}-small", "file_unique_id": f"u{file_id}s",
                 "width": 90, "height": 120},
                {"file_id": file_id, "file_unique_id": f"u{file_id}",
                 "width": 960, "height": 1280},
            ]  # fmt: skip
            if photo.get("caption"):
                msg["caption"] = str(photo["caption"])
        else:
            raise EmulatorInputError("a message needs text, location, contact or photo")
        if chat.type == "private":
            chat.started = True
            chat.blocked = False
        self._store(MessageRecord(chat.id, msg["message_id"], False, msg, time.time()), "user")
        delivered = self._bot_receives(chat, msg)
        update_id = self._queue_update({"message": msg}) if delivered else None
        return {
            "message_id": msg["message_id"],
            "update_id": update_id,
            "delivered": delivered,
            "seq": self._seq,
        }

    def press(
        self,
        chat_id: int,
        user_id: int,
        label: str,
        message_id: int | None = None,
        data: str | None = None,
    ) -> JSONDict:
        """Presses an inline callback button (exact label, else a unique label containing it)
        on the newest bot message showing it; returns callback_query_id, update_id, seq.

        ``data`` replaces the button's callback data, as a message drawn by an older version
        of the bot, or a forged client, would send it.
        """
        chat, user = self._acting(chat_id, user_id)
        record, button = self._find_inline_button(chat, label, message_id)
        if "callback_data" not in button:
            raise EmulatorInputError(
                f"button {button.get('text')!r} is not a callback button: {button}"
            )
        if data is not None:
            button = {**button, "callback_data": data}
        query_id = str(4_000_000_000_000 + next(self._ids))
        self._callbacks[query_id] = CallbackRecord(
            query_id, chat.id, record.message_id, user.id, str(button["callback_data"])
        )
        update_id = self._queue_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user.to_dict(),
                    "message": record.data,
                    "chat_instance": str(abs(chat.id) * 7919 % 10**15),
                    "data": button["callback_data"],
                }
            }
        )
        return {
            "callback_query_id": query_id,
            "update_id": update_id,
            "message_id": record.message_id,
            "data": button["callback_data"],
            "seq": self._seq,
        }

    def tap(
        self,
        chat_id: int,
        user_id: int,
        label: str,
        *,
        latitude: float | None = None,
        longitude: float | None = None,
        phone_number: str | None = None,
    ) -> JSONDict:
        """Taps a button of the reply keyboard currently shown in the chat."""
        chat, user = self._acting(chat_id, user_id)
        keyboard = chat.reply_keyboard
        if not keyboard:
            raise EmulatorInputError(f"no reply keyboard is shown in chat {chat.id}")
        rows: list[list[JSONDict]] = keyboard["keyboard"]
        button = _pick_button(
            [b for row in rows for b in row],
            label,
            lambda: f"reply keyboard in chat {chat.id}: {_labels(rows)}",
        )
        if button.get("request_location"):
            if latitude is None or longitude is None:
                raise EmulatorInputError(f"button {label!r} shares a location: give lat/lon")
            return self.inject_message(
                chat.id, user.id, location={"latitude": latitude, "longitude": longitude}
            )
        if button.get("request_contact"):
            if not phone_number:
                raise EmulatorInputError(f"button {label!r} shares a contact: give a phone")
            return self.inject_message(
                chat.id,
                user.id,
                contact={
                    "phone_number": phone_number,
                    "first_name": user.first_name,
                    "last_name": user.last_name,
                    "user_id": user.id,
                },
            )
        unsupported = [k for k in button if k != "text" and button[k]]
        if unsupported:
            raise EmulatorInputError(f"button {label!r} uses unsupported {unsupported}")
        return self.inject_message(chat.id, user.id, text=str(button["text"]))

    def inject_update(self, update: JSONDict) -> int | None:
        """Queues a raw update (update_id is assigned); None if allowed_updates filters it."""
        update = {k: v for k, v in update.items() if k != "update_id"}
        return self._queue_update(update)

    def _acting(self, chat_id: int, user_id: int) -> tuple[EmuChat, EmuUser]:
        user = self._users.get(user_id)
        if user is None:
            raise EmulatorInputError(f"unknown user {user_id}")
        chat = self._chats.get(chat_id)
        if chat is None:
            raise EmulatorInputError(f"unknown chat {chat_id}")
        if chat.type == "private" and chat.id != user_id:
            raise EmulatorInputError(f"user {user_id} is not in private chat {chat_id}")
        if chat.type != "private" and chat.members.get(user_id) in (None, "left", "kicked"):
            raise EmulatorInputError(f"user {user_id} is not a member of group {chat_id}")
        if chat.migrated_to is not None:
            raise EmulatorInputError(f"group {chat_id} became supergroup {chat.migrated_to}")
        return chat, user

    def _bot_receives(self, chat: EmuChat, msg: JSONDict) -> bool:
        """Group privacy mode: without admin rights the bot only gets commands, replies to
        its messages and mentions."""
        if chat.type == "private":
            return True
        if chat.bot_status in ("left", "kicked"):
            return False
        if not self.privacy_mode or chat.bot_status == "administrator":
            return True
        reply = msg.get("reply_to_message")
        if reply and reply.get("from", {}).get("id") == self.bot_id:
            return True
        text = str(msg.get("text", ""))
        mention = "@" + self.bot_username.lower()
        if text.startswith("/"):
            first = text.split(maxsplit=1)[0].lower()
            return "@" not in first or first.endswith(mention)
        return mention in text.lower()

    def _find_inline_button(
        self, chat: EmuChat, label: str, message_id: int | None
    ) -> tuple[MessageRecord, JSONDict]:
        records = [
            r
            for r in reversed(self.messages(chat.id))
            if not r.deleted and r.data.get("reply_markup", {}).get("inline_keyboard")
        ]
        if message_id is not None:
            records = [r for r in records if r.message_id == message_id]
            if not records:
                raise EmulatorInputError(
                    f"bot message {message_id} in chat {chat.id} has no inline keyboard"
                )

        def buttons(r: MessageRecord) -> list[JSONDict]:
            return [b for row in r.data["reply_markup"]["inline_keyboard"] for b in row]

        def visible() -> str:
            shown = [
                f"message {r.message_id}: {_labels(r.data['reply_markup']['inline_keyboard'])}"
                for r in records[:5]
            ]
            return "; ".join(shown) or "none"

        for record in records:
            for button in buttons(record):
                if button.get("text") == label:
                    return record, button
        for record in records:
            matches = [b for b in buttons(record) if label in str(b.get("text", ""))]
            if len(matches) == 1:
                return record, matches[0]
            if matches:
                raise EmulatorInputError(
                    f"{len(matches)} buttons contain {label!r} on message "
                    f"{record.message_id}: {[b.get('text') for b in matches]}"
                )
        raise EmulatorInputError(
            f"no inline button {label!r} in chat {chat.id}; visible buttons: {visible()}"
        )


def _labels(rows: list[list[JSONDict]]) -> list[list[str]]:
    return [[str(b.get("text", "")) for b in row] for row in rows]


def _pick_button(buttons: list[JSONDict], label: str, describe: Callable[[], str]) -> JSONDict:
    exact = [b for b in buttons if b.get("text") == label]
    if exact:
        return exact[0]
    partial = [b for b in buttons if label in str(b.get("text", ""))]
    if len(partial) == 1:
        return partial[0]
    if partial:
        raise EmulatorInputError(
            f"{len(partial)} buttons contain {label!r}: {[b.get('text') for b in partial]}"
        )
    raise EmulatorInputError(f"no button {label!r}; {describe()}")
