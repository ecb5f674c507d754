"""sendMessage, sendLocation, sendPhoto and the other send methods."""

from __future__ import annotations

import time

from emulator.formatting import (
    MAX_TEXT_LENGTH,
)
from emulator.limits import Limits
from emulator.methods.content import ContentParsing
from emulator.params import (
    JSONDict,
    Params,
    UploadedFile,
    bad_request,
)
from emulator.records import (
    ApiCall,
    EmuChat,
    MessageRecord,
    without_reply,
)

_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)


class SendingMethods(ContentParsing, Limits):
    """The send* methods; each stores the message it sends."""

    def _reply_to(self, chat: EmuChat, p: Params) -> JSONDict | None:
        target = p.integer("reply_to_message_id")
        allow_missing = p.flag("allow_sending_without_reply")
        # Bale documents reply_to_message_id only: reply_parameters is ignored there.
        reply_parameters = p.obj("reply_parameters") if self.profile.reply_parameters else None
        if isinstance(reply_parameters, dict):
            target = reply_parameters.get("message_id")
            allow_missing = bool(reply_parameters.get("allow_sending_without_reply"))
        if target is None:
            return None
        record = self._messages.get(chat.id, {}).get(int(target))
        if record is None or record.deleted:
            if allow_missing:
                return None
            raise bad_request("message to be replied not found")
        return without_reply(record.data)

    def _send(
        self, chat: EmuChat, content: JSONDict, p: Params, markup: JSONDict | None
    ) -> JSONDict:
        self._check_flood(chat)
        reply_to = self._reply_to(chat, p)
        msg: JSONDict = {
            "message_id": self._next_message_id(chat),
            "from": self.bot_user,
            "chat": chat.to_dict(),
            "date": int(time.time()),
        }
        if reply_to is not None:
            msg["reply_to_message"] = reply_to
        msg.update(content)
        if markup is not None and "inline_keyboard" in markup:
            msg["reply_markup"] = markup
        elif markup is not None and "keyboard" in markup:
            chat.reply_keyboard = markup
        elif markup is not None and markup.get("remove_keyboard"):
            chat.reply_keyboard = None
        self._count_send(chat)
        record = MessageRecord(chat.id, msg["message_id"], True, msg, time.time(), markup)
        self._store(record, "sent")
        return msg

    async def _send_message(self, p: Params, call: ApiCall) -> JSONDict:
        chat = self._writable_chat(p)
        raw = p.text("text")
        if not raw:
            raise bad_request("message text is empty")
        text, entities = self._formatted(p, raw, "parse_mode", "entities")
        if not text:
            raise bad_request("message text is empty")
        if len(text) > MAX_TEXT_LENGTH:
            raise bad_request("message is too long")
        content: JSONDict = {"text": text}
        if entities:
            content["entities"] = entities
        return self._send(chat, content, p, self._markup(p))

    def _location(self, p: Params) -> JSONDict:
        lat, lon = p.need_number("latitude"), p.need_number("longitude")
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise bad_request("wrong latitude or longitude")
        location: JSONDict = {"latitude": lat, "longitude": lon}
        for key in ("horizontal_accuracy", "live_period", "heading", "proximity_alert_radius"):
            if p.has(key):
                location[key] = p.number(key)
        return location

    async def _send_location(self, p: Params, call: ApiCall) -> JSONDict:
        chat = self._writable_chat(p)
        return self._send(chat, {"location": self._location(p)}, p, self._markup(p))

    async def _send_venue(self, p: Params, call: ApiCall) -> JSONDict:
        chat = self._writable_chat(p)
        location = self._location(p)
        venue: JSONDict = {
            "location": location,
            "title": p.need_text("title"),
            "address": p.need_text("address"),
        }
        for key in ("foursquare_id", "foursquare_type", "google_place_id", "google_place_type"):
            if p.has(key):
                venue[key] = p.text(key)
        return self._send(chat, {"location": location, "venue": venue}, p, self._markup(p))

    async def _send_contact(self, p: Params, call: ApiCall) -> JSONDict:
        chat = self._writable_chat(p)
        contact: JSONDict = {
            "phone_number": p.need_text("phone_number"),
            "first_name": p.need_text("first_name"),
        }
        for key in ("last_name", "vcard"):
            if p.has(key):
                contact[key] = p.text(key)
        return self._send(chat, {"contact": contact}, p, self._markup(p))

    def _file(self, p: Params, key: str) -> JSONDict:
        raw = p.raw(key)
        if raw in (None, ""):
            raise bad_request(f"there is no {key} in the request")
        if isinstance(raw, str) and raw.startswith("attach://"):
            raw = p.raw(raw.removeprefix("attach://"))
        file_id = f"emu-file-{next(self._ids)}"
        info: JSONDict = {"file_id": file_id, "file_unique_id": f"u{file_id}"}
        if isinstance(raw, UploadedFile):
            info["file_size"] = raw.size
            if raw.filename:
                info["file_name"] = raw.filename
            info["mime_type"] = raw.content_type
        return info

    def _caption(self, p: Params) -> JSONDict:
        raw = p.text("caption")
        if not raw:
            return {}
        text, entities = self._formatted(p, raw, "parse_mode", "caption_entities")
        if len(text) > 1024:
            raise bad_request("message caption is too long")
        content: JSONDict = {"caption": text} if text else {}
        if entities:
            content["caption_entities"] = entities
        return content

    async def _send_photo(self, p: Params, call: ApiCall) -> JSONDict:
        chat = self._writable_chat(p)
        info = self._file(p, "photo")
        photo = {
            "file_id": info["file_id"],
            "file_unique_id": info["file_unique_id"],
            "width": 800,
            "height": 600,
            "file_size": info.get("file_size", 0),
        }
        return self._send(chat, {"photo": [photo], **self._caption(p)}, p, self._markup(p))

    async def _send_document(self, p: Params, call: ApiCall) -> JSONDict:
        chat = self._writable_chat(p)
        document = self._file(p, "document")
        return self._send(chat, {"document": document, **self._caption(p)}, p, self._markup(p))

    async def _send_chat_action(self, p: Params, call: ApiCall) -> bool:
        self._writable_chat(p)
        if p.text("action") not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True
