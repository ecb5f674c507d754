"""The yardstick of bench/e2e.py: a bare python-telegram-bot echo bot, as PTB's examples
write it, served by PTB's own webhook server with its default (HTTPX) transport.

    ECHO_BASE_URL=http://127.0.0.1:PORT/bot ECHO_PORT=8443 python -m bench.echo_bot TOKEN SECRET
"""

from __future__ import annotations

import os
import sys

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and update.message.text is not None
    await update.message.reply_text(update.message.text)


def main() -> None:
    token, secret = sys.argv[1], sys.argv[2]
    port = int(os.environ["ECHO_PORT"])
    application = Application.builder().token(token).base_url(os.environ["ECHO_BASE_URL"]).build()
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    application.run_webhook(
        listen="127.0.0.1",
        port=port,
        url_path="telegram",
        secret_token=secret,
        webhook_url=f"http://127.0.0.1:{port}/telegram",
    )


if __name__ == "__main__":
    main()
