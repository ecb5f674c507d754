"""Text, entities and keyboards as a send or an edit carries them."""

from __future__ import annotations

from typing import Any

from emulator.formatting import (
    EntityParseError,
    format_text,
)
from emulator.params import (
    JSONDict,
    Params,
    bad_request,
)
from emulator.state import EmulatorState

_INLINE_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


class ContentParsing(EmulatorState):
    """Parses formatted text and reply markup, as sends and edits share them."""

    def _formatted(
        self, p: Params, text: str, mode_key: str, entities_key: str
    ) -> tuple[str, list[JSONDict]]:
        try:
            return format_text(text, p.text(mode_key), p.obj(entities_key))
        except EntityParseError as exc:
            raise bad_request(f"can't parse entities: {exc}") from None
        except ValueError as exc:
            raise bad_request(str(exc)) from None

    def _markup(self, p: Params, *, inline_only: bool = False) -> JSONDict | None:
        markup = p.obj("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = _validate_inline_keyboard(markup["inline_keyboard"])
            return {"inline_keyboard": rows} if rows else None
        if inline_only:
            raise bad_request("inline keyboard expected")
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise bad_request('field "keyboard" must be an Array of Arrays')
            normal = [[_keyboard_button(b) for b in row] for row in rows]
            if not any(normal):
                raise bad_request("keyboard must be non-empty")
            return {**markup, "keyboard": normal}
        if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
            return markup
        raise bad_request("can't parse reply keyboard markup JSON object")


def _keyboard_button(button: Any) -> JSONDict:
    if isinstance(button, str):
        button = {"text": button}
    if (
        not isinstance(button, dict)
        or not isinstance(button.get("text"), str)
        or not button["text"]
    ):
        raise bad_request("can't parse keyboard button: Text must be non-empty")
    return button


def _validate_inline_keyboard(rows: Any) -> list[list[JSONDict]]:
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise bad_request('field "inline_keyboard" must be an Array of Arrays')
    for row in rows:
        for button in row:
            if not isinstance(button, dict):
                raise bad_request(
                    "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
                )
            if not isinstance(button.get("text"), str) or not button["text"]:
                raise bad_request("can't parse inline keyboard button: Text must be non-empty")
            actions = [k for k in _INLINE_ACTIONS if k in button]
            if len(actions) != 1:
                raise bad_request(
                    "can't parse inline keyboard button: Text buttons are "
                    "unallowed in the inline keyboard"
                )
            if actions[0] == "callback_data":
                data = button["callback_data"]
                if not isinstance(data, str) or not 1 <= len(data.encode()) <= 64:
                    raise bad_request("BUTTON_DATA_INVALID")
            if actions[0] == "url" and not str(button["url"]).strip():
                raise bad_request("BUTTON_URL_INVALID")
    return [list(row) for row in rows if row]
