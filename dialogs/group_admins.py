"""Whether a member of a group is one of its admins: they act for the office or the
supervisor whose chat the group is, without having linked it themselves."""

from __future__ import annotations

from telegram import Bot
from telegram.error import TelegramError


async def is_group_admin(bot: Bot, chat_id: int, user_id: int) -> bool:
    """False in private chats (positive ids) and when Telegram cannot say."""
    if chat_id > 0:
        return False
    try:
        member = await bot.get_chat_member(chat_id, user_id)
    except TelegramError:
        return False
    return member.status in ("creator", "administrator")
