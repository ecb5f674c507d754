"""Text formatting as the Bot API applies it: parse_mode parsers, entity offsets, trimming.

Offsets and lengths of entities are counted in UTF-16 code units, as Telegram does.
Error texts follow Telegram's ("can't parse entities: ...") closely enough for tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

JSONDict = dict[str, Any]

MAX_TEXT_LENGTH = 4096


class EntityParseError(ValueError):
    """The text could not be parsed in the requested parse_mode."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


class _Builder:
    """Accumulates output text and tracks the UTF-16 offset of its end."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0

    def add(self, chunk: str) -> None:
        self.parts.append(chunk)
        self.pos += utf16_len(chunk)

    def text(self) -> str:
        return "".join(self.parts)


def _entity(kind: str, offset: int, length: int, **extra: Any) -> JSONDict:
    return {"type": kind, "offset": offset, "length": length, **extra}


# --- HTML -------------------------------------------------------------------------------------

_HTML_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_SIMPLE_HTML = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]+));")


def _decode_entity(src: str, i: int) -> tuple[str, int] | None:
    """Decodes the HTML entity at src[i] ('&'); returns (text, consumed) or None."""
    m = _ENTITY_RE.match(src, i)
    if not m:
        return None
    if m.group(3) is not None:
        value = _NAMED_ENTITIES.get(m.group(3))
        return (value, m.end() - i) if value is not None else None
    code = int(m.group(1)) if m.group(1) is not None else int(m.group(2), 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), m.end() - i


def _unescape(raw: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(raw):
        decoded = _decode_entity(raw, i) if raw[i] == "&" else None
        if decoded:
            out.append(decoded[0])
            i += decoded[1]
        else:
            out.append(raw[i])
            i += 1
    return "".join(out)


@dataclass
class _OpenTag:
    name: str
    attrs: dict[str, str]
    start: int
    byte_begin: int
    language: str | None = None


def parse_html(src: str) -> tuple[str, list[JSONDict]]:
    out = _Builder()
    stack: list[_OpenTag] = []
    entities: list[JSONDict] = []
    n = len(src)
    i = 0
    while i < n:
        c = src[i]
        if c == "&":
            decoded = _decode_entity(src, i)
            out.add(decoded[0] if decoded else "&")
            i += decoded[1] if decoded else 1
            continue
        if c != "<":
            out.add(c)
            i += 1
            continue
        begin = _byte_offset(src, i)
        i += 1
        if i >= n or src[i] != "/":
            j = i
            while j < n and not src[j].isspace() and src[j] != ">":
                j += 1
            if j >= n:
                raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
            name = src[i:j].lower()
            if name not in _HTML_TAGS:
                raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {begin}')
            attrs, i = _parse_attributes(src, j, name, begin)
            if name == "span" and attrs.get("class") != "tg-spoiler":
                raise EntityParseError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {begin}'
                )
            if name == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
                raise EntityParseError(
                    f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {begin}'
                )
            stack.append(_OpenTag(name, attrs, out.pos, begin))
            continue
        if not stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {begin}")
        j = i + 1
        while j < n and src[j] not in "> \t\r\n":
            j += 1
        end_name = src[i + 1 : j].lower()
        while j < n and src[j].isspace():
            j += 1
        if j >= n or src[j] != ">":
            raise EntityParseError(f"Unclosed end tag at byte offset {begin}")
        top = stack[-1]
        if end_name != top.name:
            raise EntityParseError(
                f'Unmatched end tag at byte offset {begin}, expected "</{top.name}>", '
                f'found "</{end_name}>"'
            )
        i = j + 1
        stack.pop()
        _close_html_tag(top, out.pos, stack, entities)
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    return out.text(), entities


def _parse_attributes(src: str, i: int, tag: str, begin: int) -> tuple[dict[str, str], int]:
    n = len(src)
    attrs: dict[str, str] = {}
    while True:
        while i < n and src[i].isspace():
            i += 1
        if i >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
        if src[i] == ">":
            return attrs, i + 1
        j = i
        while j < n and (src[j].isalnum() or src[j] in "-_:"):
            j += 1
        if j == i:
            raise EntityParseError(
                f'Empty attribute name in the tag "{tag}" at byte offset {begin}'
            )
        attr = src[i:j].lower()
        i = j
        while i < n and src[i].isspace():
            i += 1
        if i >= n or src[i] != "=":
            attrs[attr] = ""
            continue
        i += 1
        while i < n and src[i].isspace():
            i += 1
        if i >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
        if src[i] in "'\"":
            end = src.find(src[i], i + 1)
            if end < 0:
                raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
            raw, i = src[i + 1 : end], end + 1
        else:
            j = i
            while j < n and not src[j].isspace() and src[j] != ">":
                j += 1
            raw, i = src[i:j], j
        attrs[attr] = _unescape(raw)


def _close_html_tag(
    tag: _OpenTag, end: int, stack: list[_OpenTag], entities: list[JSONDict]
) -> None:
    length = end - tag.start
    if tag.name == "code":
        language = tag.attrs.get("class", "")
        parent = stack[-1] if stack else None
        if (
            parent
            and parent.name == "pre"
            and parent.start == tag.start
            and language.startswith("language-")
        ):
            parent.language = language.removeprefix("language-")
            return
    if length <= 0:
        return
    if tag.name in _SIMPLE_HTML:
        entities.append(_entity(_SIMPLE_HTML[tag.name], tag.start, length))
    elif tag.name == "a":
        href = tag.attrs.get("href", "")
        if href:
            entities.append(_entity("text_link", tag.start, length, url=href))
    elif tag.name == "code":
        entities.append(_entity("code", tag.start, length))
    elif tag.name == "pre":
        extra = {"language": tag.language} if tag.language else {}
        entities.append(_entity("pre", tag.start, length, **extra))
    elif tag.name == "blockquote":
        kind = "expandable_blockquote" if "expandable" in tag.attrs else "blockquote"
        entities.append(_entity(kind, tag.start, length))
    elif tag.name == "tg-emoji":
        entities.append(
            _entity("custom_emoji", tag.start, length, custom_emoji_id=tag.attrs["emoji-id"])
        )


# --- MarkdownV2 -------------------------------------------------------------------------------

_MDV2_RESERVED = "_*[]()~`>#+-=|{}.!"
_MDV2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "text_link": "TextUrl",
}


@dataclass
class _OpenMd:
    kind: str
    start: int
    byte_begin: int
    extra: JSONDict = field(default_factory=dict)


def _read_until(src: str, i: int, closer: str, escapable: str) -> tuple[str, int] | None:
    """Reads literal text up to `closer` (backslash escapes `escapable`); returns (text, end)."""
    out: list[str] = []
    n = len(src)
    while i < n:
        if src[i] == "\\" and i + 1 < n and src[i + 1] in escapable:
            out.append(src[i + 1])
            i += 2
            continue
        if src.startswith(closer, i):
            return "".join(out), i + len(closer)
        out.append(src[i])
        i += 1
    return None


def parse_markdown_v2(src: str) -> tuple[str, list[JSONDict]]:
    out = _Builder()
    stack: list[_OpenMd] = []
    entities: list[JSONDict] = []
    quote_start: int | None = None
    n = len(src)
    i = 0
    while i < n:
        c = src[i]
        at_line_start = i == 0 or src[i - 1] == "\n"
        if c == "\\" and i + 1 < n and 0 < ord(src[i + 1]) <= 126:
            out.add(src[i + 1])
            i += 2
            continue
        if c == "\n" and quote_start is not None and not src.startswith(">", i + 1):
            if out.pos > quote_start:
                entities.append(_entity("blockquote", quote_start, out.pos - quote_start))
            quote_start = None
        if c not in _MDV2_RESERVED:
            out.add(c)
            i += 1
            continue
        begin = _byte_offset(src, i)
        top = stack[-1] if stack else None
        if c == "`":
            if src.startswith("```", i):
                body = _read_until(src, i + 3, "```", "`\\")
                if body is None:
                    raise EntityParseError(f"Can't find end of Pre entity at byte offset {begin}")
                content, i = body
                language, sep, rest = content.partition("\n")
                extra: JSONDict = {}
                if sep and language and not any(ch.isspace() for ch in language):
                    content, extra = rest, {"language": language}
                if content:
                    start = out.pos
                    out.add(content)
                    entities.append(_entity("pre", start, out.pos - start, **extra))
            else:
                body = _read_until(src, i + 1, "`", "`\\")
                if body is None:
                    raise EntityParseError(f"Can't find end of Code entity at byte offset {begin}")
                content, i = body
                if content:
                    start = out.pos
                    out.add(content)
                    entities.append(_entity("code", start, out.pos - start))
            continue
        kind: str | None = None
        width = 1
        if c == "*":
            kind = "bold"
        elif c == "~":
            kind = "strikethrough"
        elif c == "_":
            if top and top.kind == "italic":
                kind = "italic"
            elif src.startswith("__", i):
                kind, width = "underline", 2
            else:
                kind = "italic"
        elif c == "|" and src.startswith("||", i):
            kind, width = "spoiler", 2
        if kind is not None:
            if top and top.kind == kind:
                stack.pop()
                if out.pos > top.start:
                    entities.append(_entity(kind, top.start, out.pos - top.start))
            else:
                stack.append(_OpenMd(kind, out.pos, begin))
            i += width
            continue
        if c == "[":
            stack.append(_OpenMd("text_link", out.pos, begin))
            i += 1
            continue
        if c == "]" and top and top.kind == "text_link":
            stack.pop()
            i += 1
            if i < n and src[i] == "(":
                body = _read_until(src, i + 1, ")", ")\\")
                if body is None:
                    raise EntityParseError(f"Can't find end of a URL at byte offset {begin}")
                url, i = body
                if out.pos > top.start and url:
                    entities.append(_entity("text_link", top.start, out.pos - top.start, url=url))
            continue
        if c == ">" and at_line_start:
            if quote_start is None:
                quote_start = out.pos
            i += 1
            continue
        raise EntityParseError(
            f"Character '{c}' is reserved and must be escaped with the preceding '\\'"
        )
    if stack:
        top = stack[-1]
        raise EntityParseError(
            f"Can't find end of {_MDV2_NAMES[top.kind]} entity at byte offset {top.byte_begin}"
        )
    if quote_start is not None and out.pos > quote_start:
        entities.append(_entity("blockquote", quote_start, out.pos - quote_start))
    return out.text(), entities


# --- legacy Markdown --------------------------------------------------------------------------

_MD_KINDS = {"*": "bold", "_": "italic", "`": "code"}


def parse_markdown(src: str) -> tuple[str, list[JSONDict]]:
    out = _Builder()
    entities: list[JSONDict] = []
    n = len(src)
    i = 0
    while i < n:
        c = src[i]
        if c == "\\" and i + 1 < n and src[i + 1] in "_*`[":
            out.add(src[i + 1])
            i += 2
            continue
        if c not in "_*`[":
            out.add(c)
            i += 1
            continue
        begin = _byte_offset(src, i)
        error = f"Can't find end of the entity starting at byte offset {begin}"
        start = out.pos
        if c == "[":
            end = src.find("]", i + 1)
            if end < 0:
                raise EntityParseError(error)
            label = src[i + 1 : end]
            i = end + 1
            url = ""
            if i < n and src[i] == "(":
                close = src.find(")", i + 1)
                if close < 0:
                    raise EntityParseError(error)
                url, i = src[i + 1 : close], close + 1
            out.add(label)
            if url and label:
                entities.append(_entity("text_link", start, out.pos - start, url=url))
            continue
        if src.startswith("```", i):
            end = src.find("```", i + 3)
            if end < 0:
                raise EntityParseError(error)
            out.add(src[i + 3 : end])
            i = end + 3
            if out.pos > start:
                entities.append(_entity("pre", start, out.pos - start))
            continue
        end = src.find(c, i + 1)
        if end < 0:
            raise EntityParseError(error)
        out.add(src[i + 1 : end])
        i = end + 1
        if out.pos > start:
            entities.append(_entity(_MD_KINDS[c], start, out.pos - start))
    return out.text(), entities


# --- common -----------------------------------------------------------------------------------


def strip_text(text: str, entities: list[JSONDict]) -> tuple[str, list[JSONDict]]:
    """Trims leading/trailing whitespace like Telegram does, moving and clipping entities."""
    stripped_left = text.lstrip()
    shift = utf16_len(text) - utf16_len(stripped_left)
    result = stripped_left.rstrip()
    total = utf16_len(result)
    fixed: list[JSONDict] = []
    for ent in entities:
        start = max(ent["offset"] - shift, 0)
        end = min(ent["offset"] + ent["length"] - shift, total)
        if end > start:
            fixed.append({**ent, "offset": start, "length": end - start})
    fixed.sort(key=lambda e: (e["offset"], -e["length"]))
    return result, fixed


def validate_entities(text: str, entities: Any) -> list[JSONDict]:
    """Checks an explicit `entities` list against the text."""
    if not isinstance(entities, list):
        raise EntityParseError("entities must be an array")
    total = utf16_len(text)
    result: list[JSONDict] = []
    for ent in entities:
        if not isinstance(ent, dict) or not isinstance(ent.get("type"), str):
            raise EntityParseError("entity must be an object with a type")
        offset, length = ent.get("offset"), ent.get("length")
        if not isinstance(offset, int) or not isinstance(length, int):
            raise EntityParseError("entity offset and length must be integers")
        if offset < 0 or length <= 0 or offset + length > total:
            raise EntityParseError(f"entity at offset {offset} is out of the text")
        result.append(dict(ent))
    return result


def format_text(
    text: str, parse_mode: str | None, entities: Any = None
) -> tuple[str, list[JSONDict]]:
    """Applies parse_mode (or explicit entities) and Telegram's trimming."""
    if entities is not None:
        parsed_text, parsed = text, validate_entities(text, entities)
    elif not parse_mode:
        parsed_text, parsed = text, []
    else:
        mode = parse_mode.lower()
        if mode == "html":
            parsed_text, parsed = parse_html(text)
        elif mode == "markdownv2":
            parsed_text, parsed = parse_markdown_v2(text)
        elif mode == "markdown":
            parsed_text, parsed = parse_markdown(text)
        else:
            raise ValueError(f"unsupported parse_mode {parse_mode!r}")
    return strip_text(parsed_text, parsed)


_COMMAND_RE = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])")


def detect_commands(text: str) -> list[JSONDict]:
    """bot_command entities Telegram adds to incoming text."""
    return [
        _entity("bot_command", utf16_len(text[: m.start()]), utf16_len(m.group()))
        for m in _COMMAND_RE.finditer(text)
    ]
