"""An inbound update is cleaned as a whole, entities kept on their text, and what no update
is (too deep, past 64 bits, the wrong shapes) refused."""

from __future__ import annotations

import json
from typing import Any

import pytest
from telegram import Bot

from bot.hygiene import MalformedUpdate, cleaned_update, update_of
from bot.transport import UpdatesRequest

BOT = Bot("1:test")


def message(text: str, entities: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "message_id": 1,
        "date": 1_700_000_000,
        "chat": {"id": 5, "type": "private", "first_name": "\u202eعلی"},
        "from": {"id": 5, "is_bot": False, "first_name": "\u202eعلی\x00"},
        "text": text,
    }
    if entities is not None:
        body["entities"] = entities
    return {"update_id": 10, "message": body}


def located(latitude: float) -> dict[str, Any]:
    """A shared location (JSON allows NaN and Infinity; Telegram never sends them)."""
    update = message("")
    del update["message"]["text"]
    update["message"]["location"] = {"latitude": latitude, "longitude": 51.4}
    return update


def test_every_string_is_cleaned_and_entities_still_cover_their_words() -> None:
    # "\x00/track\u202e ABCD-1234 😀\x00 ok": the command after a NUL, a code after an override.
    text = "\x00/track\u202e ABCD-1234 😀\x00 ok"
    entities = [
        {"type": "bot_command", "offset": 1, "length": 7},  # "/track\u202e"
        {"type": "code", "offset": 9, "length": 9},  # "ABCD-1234"
        {"type": "bold", "offset": 21, "length": 1},  # the NUL alone
        {"type": "italic", "offset": 23, "length": 2},  # "ok", after a 2-unit emoji
    ]
    update = update_of(message(text, entities), BOT)
    assert update.message is not None
    assert update.message.text == "/track ABCD-1234 😀 ok"
    assert update.effective_user is not None and update.effective_user.first_name == "علی"
    shown = update.message.parse_entities()
    assert sorted(shown.values()) == ["/track", "ABCD-1234", "ok"]
    assert update.message.entities[0].offset == 0  # a command, as PTB's handlers want it


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"message": {}},
        {"update_id": "1"},
        {"update_id": 2**63},
        {"update_id": 1, "message": "hi"},
        {"update_id": 1, "message": {"message_id": 1}},
        {**message("x"), "update_id": -(2**63) - 1},
        {"update_id": 1, "message": {**message("x")["message"], "chat": {"id": "5"}}},
        message("bad", [{"type": "bold", "offset": "0", "length": 1}]),
        located(float("nan")),
        located(float("inf")),
    ],
)
def test_what_is_not_an_update_is_refused(data: object) -> None:
    with pytest.raises(MalformedUpdate):
        update_of(data, BOT)


def test_nesting_deeper_than_any_update_is_refused_without_recursion() -> None:
    deep: Any = "x"
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(MalformedUpdate, match="nested deeper"):
        cleaned_update({"update_id": 1, "message": deep})


def test_polled_updates_are_cleaned_and_a_malformed_one_kept_as_its_bare_id() -> None:
    answer = {
        "ok": True,
        "result": [message("سلام\x00"), {"update_id": 11, "message": [[2**64]]}, {"x": 1}],
    }
    parsed = UpdatesRequest.parse_json_payload(json.dumps(answer).encode())
    first, second = parsed["result"]
    assert first["message"]["text"] == "سلام"
    assert second == {"update_id": 11}  # polling moves past it; nothing else is handled
