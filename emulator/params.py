"""Bot API request parameters and the errors a method answers with."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from aiohttp import web

JSONDict = dict[str, Any]


class ApiError(Exception):
    """A Bot API error answer: HTTP status = error_code."""

    def __init__(self, code: int, description: str, parameters: JSONDict | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


def bad_request(text: str, parameters: JSONDict | None = None) -> ApiError:
    return ApiError(400, f"Bad Request: {text}", parameters)


class EmulatorInputError(ValueError):
    """Invalid use of the control API (unknown chat, no such button, ...)."""


@dataclass(frozen=True)
class UploadedFile:
    filename: str | None
    content_type: str
    size: int

    def describe(self) -> JSONDict:
        return {"filename": self.filename, "content_type": self.content_type, "size": self.size}


class Params:
    """Request parameters as received (form strings, JSON values or query strings)."""

    def __init__(self, values: JSONDict) -> None:
        self.values = values

    def raw(self, name: str) -> Any:
        return self.values.get(name)

    def has(self, name: str) -> bool:
        return self.values.get(name) not in (None, "")

    def text(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        if isinstance(value, UploadedFile):
            raise bad_request(f"invalid {name}")
        return value if isinstance(value, str) else json.dumps(value)

    def need_text(self, name: str) -> str:
        value = self.text(name)
        if not value:
            raise bad_request(f"{name} is empty")
        return value

    def integer(self, name: str) -> int | None:
        value = self.values.get(name)
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            raise bad_request(f"invalid {name}")
        if isinstance(value, int):
            return value
        try:
            number = float(value) if isinstance(value, float) else float(str(value).strip())
        except ValueError:
            raise bad_request(f"invalid {name}") from None
        if not number.is_integer():
            raise bad_request(f"invalid {name}")
        return int(number)

    def need_int(self, name: str) -> int:
        value = self.integer(name)
        if value is None:
            raise bad_request(f"{name} is empty")
        return value

    def number(self, name: str) -> float | None:
        value = self.values.get(name)
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            raise bad_request(f"invalid {name}")
        try:
            result = float(value) if isinstance(value, int | float) else float(str(value))
        except ValueError:
            raise bad_request(f"invalid {name}") from None
        if not math.isfinite(result):
            raise bad_request(f"invalid {name}")
        return result

    def need_number(self, name: str) -> float:
        value = self.number(name)
        if value is None:
            raise bad_request(f"{name} is empty")
        return value

    def flag(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, bool):
            return value
        if value is None:
            return False
        return str(value).strip().lower() in ("true", "1", "yes")

    def obj(self, name: str) -> Any:
        """A JSON-serialized parameter (reply_markup, entities, ...), decoded."""
        value = self.values.get(name)
        if not isinstance(value, str):
            return value
        if value == "":
            return None
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {name} JSON object") from None


async def read_params(request: web.Request) -> JSONDict:
    """Query string, then a JSON, urlencoded or multipart body, like the Bot API accepts."""
    values: JSONDict = dict(request.query)
    if not request.can_read_body:
        return values
    if request.content_type == "application/json":
        raw = await request.read()
        if raw.strip():
            try:
                body = json.loads(raw)
            except ValueError:
                raise bad_request("can't parse JSON object") from None
            if not isinstance(body, dict):
                raise bad_request("can't parse JSON object")
            values.update(body)
        return values
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                size = len(value.file.read())
                values[key] = UploadedFile(value.filename, value.content_type, size)
            else:
                values[key] = value
    return values
