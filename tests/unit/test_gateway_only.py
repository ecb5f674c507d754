"""Nothing under dialogs/ talks to the Bot API itself: every send, edit, delete and answer
goes through dialogs.messenger's Messenger (bot.gateway), where a messenger's missing
capabilities have their fallbacks."""

from __future__ import annotations

import ast
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from dialogs.messenger import split_text

DIALOGS = Path(__file__).resolve().parents[2] / "dialogs"
BOT_API = {
    "send_message",
    "send_venue",
    "send_location",
    "send_document",
    "edit_message_text",
    "edit_message_reply_markup",
    "delete_message",
    "answer_callback_query",
    "get_chat_member",
    "set_my_commands",
    "set_my_description",
    "reply_text",
}
# Names PTB's objects (query.answer(), message.delete(), chat.send_photo()) share with the
# Messenger's own methods: allowed only when called on a messenger.
SHORTCUTS = {"answer", "delete", "send_photo"}
MESSENGER_NAMES = {"messenger", "current_messenger"}


def _through_messenger(node: ast.expr) -> bool:
    text = ast.unparse(node)
    return any(name in text for name in MESSENGER_NAMES)


def test_no_dialog_calls_the_bot_api_directly() -> None:
    found = []
    for path in sorted(DIALOGS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            name = node.func.attr
            if name in BOT_API or (name in SHORTCUTS and not _through_messenger(node.func.value)):
                found.append(f"{path.name}:{node.lineno} .{name}(")
    assert found == []


@given(st.text(alphabet="ab \n", max_size=400), st.integers(10, 60))
def test_split_text_keeps_every_part_within_the_limit(text: str, limit: int) -> None:
    parts = split_text(text, limit)
    assert all(len(part) <= limit for part in parts)
    assert "".join(parts).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace(
        "\n", ""
    )
