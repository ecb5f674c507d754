"""The one Interpreter of the process, built from the catalogue and the divisions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import lru_cache

from dialogs.context import BotContext
from nlp.understand import Interpreter, PlaceName, ServiceTerms, Understanding
from services.catalogue import ServiceName
from services.clock import tehran_today
from services.places import divisions


@lru_cache(maxsize=4)
def _interpreter(names: tuple[ServiceName, ...]) -> Interpreter:
    return Interpreter(
        [ServiceTerms(n.key, n.name_fa, n.aliases) for n in names],
        [PlaceName(d.kind, d.name, d.province, d.county) for d in divisions()],
    )


def build_interpreter(names: Sequence[ServiceName]) -> Interpreter:
    """Builds (about two seconds: hazm and every alias) or reuses the interpreter for
    these service names; an imported catalogue takes effect at the next start."""
    return _interpreter(tuple(names))


# The last message understood: a step that hands its text over to understanding asked
# the same question a moment before.
_last: list[tuple[Interpreter, str, dt.date, Understanding]] = []


def understand(context: BotContext, text: str) -> Understanding:
    """What a message means, today in Tehran."""
    interpreter, today = context.deps.interpreter, tehran_today()
    if _last and _last[0][:3] == (interpreter, text, today):
        return _last[0][3]
    meaning = interpreter.understand(text, today)
    _last[:] = [(interpreter, text, today, meaning)]
    return meaning
