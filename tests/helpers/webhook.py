"""Updates as Telegram posts them to a webhook."""

from __future__ import annotations

from typing import Any


def start_update(update_id: int, chat: int, name: str) -> dict[str, Any]:
    """The update Telegram sends when a user types /start in a private chat."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_700_000_000,
            "chat": {"id": chat, "type": "private", "first_name": name},
            "from": {"id": chat, "is_bot": False, "first_name": name},
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }
