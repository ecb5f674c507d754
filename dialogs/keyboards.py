"""Inline keyboards shared by several dialogs."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from dialogs import texts
from dialogs.callbacks import CallbackData, MenuChoice


def button(label: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=data.pack())


def main_menu() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                button(texts.MENU_FIND, MenuChoice("find")),
                button(texts.MENU_DOCS, MenuChoice("docs")),
            ],
            [
                button(texts.MENU_BOOK, MenuChoice("book")),
                button(texts.MENU_TRACK, MenuChoice("track")),
            ],
            [
                button(texts.MENU_MY_BOOKINGS, MenuChoice("mybookings")),
                button(texts.MENU_HELP, MenuChoice("help")),
            ],
            [button(texts.MENU_COMPLAINT, MenuChoice("complaint"))],
        ]
    )
