"""Every inbound update, polled, posted to the webhook or taken up again by the recovery
pass, goes through ``cleaned_update`` before python-telegram-bot builds its objects.

Its strings are cleaned of control and bidi characters (``nlp.hygiene``), so no handler,
database or staff card ever sees them, and entity offsets move with the text they point
into. What Telegram never sends, and the database could not store, is refused here as a
``MalformedUpdate``: nesting deeper than any update, integers past 64 bits, numbers that are
not finite, an update whose parts are not the objects they must be.
"""

from __future__ import annotations

import itertools
import math
from typing import Any, Final

from telegram import Bot, Update

from nlp.hygiene import clean_user_text

# A real update nests about a dozen levels (a reply quoting a message with a keyboard...).
MAX_DEPTH: Final = 40
# Telegram's integers (ids included) fit in a signed 64-bit column, as ours do.
INT64_LIMIT: Final = 2**63
# A text field and the entities whose UTF-16 offsets point into it.
ENTITIES_OF: Final = {
    "text": "entities",
    "caption": "caption_entities",
    "question": "question_entities",
    "explanation": "explanation_entities",
}

JSONDict = dict[str, Any]


class MalformedUpdate(ValueError):
    """Not an update as Telegram sends one; the message says what, never quotes it."""


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _cleaned_with_entities(text: str, entities: list[Any]) -> tuple[str, list[Any]]:
    """The text cleaned piece by piece between entity boundaries, so that each entity
    still covers what it covered; one left covering nothing is dropped."""
    for entity in entities:
        if not (
            isinstance(entity, dict)
            and _is_int(entity.get("offset"))
            and _is_int(entity.get("length"))
        ):
            raise MalformedUpdate("an entity without an integer offset and length")
    units = text.encode("utf-16-le", "surrogatepass")
    total = len(units) // 2
    cuts = sorted(
        {0, total}
        | {min(max(e["offset"], 0), total) for e in entities}
        | {min(max(e["offset"] + e["length"], 0), total) for e in entities}
    )
    moved: dict[int, int] = {0: 0}
    pieces: list[str] = []
    for start, end in itertools.pairwise(cuts):
        piece = clean_user_text(units[2 * start : 2 * end].decode("utf-16-le", "surrogatepass"))
        pieces.append(piece)
        moved[end] = moved[start] + _utf16_length(piece)

    def shifted(entity: JSONDict) -> JSONDict:
        start = moved[min(max(entity["offset"], 0), total)]
        end = moved[min(max(entity["offset"] + entity["length"], 0), total)]
        return {**entity, "offset": start, "length": end - start}

    kept = [e for e in map(shifted, entities) if e["length"] > 0]
    return "".join(pieces), kept


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _clean_object(node: JSONDict) -> None:
    """Cleans a text field and its entities together, in place."""
    for text_key, entities_key in ENTITIES_OF.items():
        text, entities = node.get(text_key), node.get(entities_key)
        if isinstance(text, str) and isinstance(entities, list) and entities:
            node[text_key], node[entities_key] = _cleaned_with_entities(text, entities)


def _cleaned_tree(data: JSONDict) -> JSONDict:
    """A walk with its own stack (no recursion to exhaust), cleaning strings in place."""
    stack: list[tuple[JSONDict | list[Any], int]] = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise MalformedUpdate(f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, dict):
            _clean_object(node)
            keys: list[Any] = list(node)
        else:
            keys = list(range(len(node)))
        for key in keys:
            value = node[key]
            if isinstance(value, str):
                node[key] = clean_user_text(value)
            elif _is_int(value) and not -INT64_LIMIT <= value < INT64_LIMIT:
                raise MalformedUpdate("an integer past 64 bits")
            elif isinstance(value, float) and not math.isfinite(value):
                raise MalformedUpdate("a number that is not finite")  # NaN, Infinity, 1e999
            elif isinstance(value, dict | list):
                stack.append((value, depth + 1))
    return data


def cleaned_update(data: object) -> JSONDict:
    """The update's JSON with its strings cleaned (in place); MalformedUpdate if it is not
    an update."""
    if not isinstance(data, dict) or not _is_int(data.get("update_id")):
        raise MalformedUpdate("not an object with an integer update_id")
    return _cleaned_tree(data)


def update_of(data: object, bot: Bot) -> Update:
    """The cleaned update as python-telegram-bot's object; MalformedUpdate if its parts are
    not what they must be (a message that is a string, a chat id that is text...)."""
    cleaned = cleaned_update(data)
    try:
        update = Update.de_json(cleaned, bot)
    except Exception as exc:  # de_json only parses: any failure means the shape is wrong
        raise MalformedUpdate(f"not shaped as an update ({type(exc).__name__})") from None
    chat, user = update.effective_chat, update.effective_user
    for part, value in (("chat", chat and chat.id), ("user", user and user.id)):
        if value is not None and not _is_int(value):
            raise MalformedUpdate(f"a {part} id that is not an integer")
    return update
