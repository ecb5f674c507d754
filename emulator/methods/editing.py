"""Editing and deleting messages."""

from __future__ import annotations

import contextlib
import time

from emulator.formatting import (
    MAX_TEXT_LENGTH,
)
from emulator.methods.content import ContentParsing
from emulator.params import (
    ApiError,
    JSONDict,
    Params,
    bad_request,
)
from emulator.records import (
    ApiCall,
    EmuChat,
    MessageRecord,
)

_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


class EditingMethods(ContentParsing):
    """editMessageText, editMessageReplyMarkup, deleteMessage(s)."""

    def _editable(self, p: Params) -> MessageRecord:
        if p.has("inline_message_id"):
            raise bad_request("message to edit not found")
        chat = self._chat(p)
        if chat.type == "private" and chat.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        record = self._messages.get(chat.id, {}).get(p.need_int("message_id"))
        if record is None or record.deleted:
            raise bad_request("message to edit not found")
        if not record.from_bot:
            raise bad_request("message can't be edited")
        return record

    def _apply_edit(self, record: MessageRecord, new: JSONDict) -> JSONDict:
        if all(new.get(k) == record.data.get(k) for k in ("text", "entities", "reply_markup")):
            raise bad_request(_NOT_MODIFIED)
        record.history.append(record.data)
        new["edit_date"] = int(time.time())
        record.data = new
        record.reply_markup = new.get("reply_markup")
        self._store(record, "edited")
        return new

    async def _edit_message_text(self, p: Params, call: ApiCall) -> JSONDict:
        record = self._editable(p)
        if "text" not in record.data:
            raise bad_request("there is no text in the message to edit")
        raw = p.text("text")
        if not raw:
            raise bad_request("message text is empty")
        text, entities = self._formatted(p, raw, "parse_mode", "entities")
        if not text:
            raise bad_request("message text is empty")
        if len(text) > MAX_TEXT_LENGTH:
            raise bad_request("MESSAGE_TOO_LONG")
        markup = self._markup(p, inline_only=True)
        new = {
            k: v
            for k, v in record.data.items()
            if k not in ("text", "entities", "reply_markup", "edit_date")
        }
        new["text"] = text
        if entities:
            new["entities"] = entities
        if markup is not None:
            new["reply_markup"] = markup
        return self._apply_edit(record, new)

    async def _edit_message_reply_markup(self, p: Params, call: ApiCall) -> JSONDict:
        record = self._editable(p)
        markup = self._markup(p, inline_only=True)
        new = {k: v for k, v in record.data.items() if k not in ("reply_markup", "edit_date")}
        if markup is not None:
            new["reply_markup"] = markup
        return self._apply_edit(record, new)

    def _delete(self, chat: EmuChat, message_id: int) -> None:
        record = self._messages.get(chat.id, {}).get(message_id)
        if record is None or record.deleted:
            raise bad_request("message to delete not found")
        if chat.type != "private" and not record.from_bot and chat.bot_status != "administrator":
            raise bad_request("message can't be deleted")
        record.deleted = True
        self._store(record, "deleted")

    async def _delete_message(self, p: Params, call: ApiCall) -> bool:
        self._delete(self._chat(p), p.need_int("message_id"))
        return True

    async def _delete_messages(self, p: Params, call: ApiCall) -> bool:
        chat = self._chat(p)
        ids = p.obj("message_ids")
        if not isinstance(ids, list) or not ids or len(ids) > 100:
            raise bad_request("message_ids must be a non-empty array of at most 100 ids")
        for message_id in ids:
            with contextlib.suppress(ApiError):
                self._delete(chat, int(message_id))
        return True
