"""answerCallbackQuery."""

from __future__ import annotations

import time

from emulator.params import (
    Params,
    bad_request,
)
from emulator.records import (
    ApiCall,
)
from emulator.state import EmulatorState

_QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"


class CallbackMethods(EmulatorState):
    """answerCallbackQuery, recorded in ``callback_answers``."""

    async def _answer_callback_query(self, p: Params, call: ApiCall) -> bool:
        query_id = p.need_text("callback_query_id")
        query = self._callbacks.get(query_id)
        if query is None or query.answered:
            raise bad_request(_QUERY_TOO_OLD)
        call.chat_id = query.chat_id
        text = p.text("text") or ""
        if len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        query.answered = True
        self.callback_answers.append(
            {
                "callback_query_id": query_id,
                "chat_id": query.chat_id,
                "message_id": query.message_id,
                "data": query.data,
                "text": text,
                "show_alert": p.flag("show_alert"),
                "url": p.text("url"),
                "time": time.time(),
            }
        )
        return True
