"""python-telegram-bot's HTTP transport on aiohttp instead of httpx.

PTB's default ``HTTPXRequest`` is a large share of the CPU of an update under load;
``AiohttpRequest`` does the same job over one ``aiohttp.ClientSession`` with a keep-alive
connection pool (in bench/e2e.py about 2.5 ms less CPU per update). One instance serves
either the Bot API methods or getUpdates (PTB builds a separate one for the long poll and
adds the poll's ``timeout`` to its read timeout per call).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
from typing import Final
from urllib.parse import urlencode

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import JSONDict, ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.hygiene import INT64_LIMIT, MalformedUpdate, cleaned_update

log = logging.getLogger(__name__)

# Word for word PTB's, so alerts and log searches written for HTTPXRequest keep matching.
POOL_TIMEOUT_MESSAGE: Final = (
    "Pool timeout: All connections in the connection pool are occupied. "
    "Request was *not* sent to Telegram. Consider adjusting the connection "
    "pool size or the pool timeout."
)
# The token is a path segment of every Bot API URL: /bot<token>/method, /file/bot<token>/path.
_TOKEN_IN_URL = re.compile(r"/bot[^/\s'\"]+")
_JSON: Final = "application/json"
_FORM: Final = "application/x-www-form-urlencoded"
_MAX_CACHED_TIMEOUTS = 64
# Bale answers a flood with 420 ("Flood", "bot limit exceed") as well as 429, not always
# saying how long to wait: then this many seconds.
FLOOD_STATUS: Final = 420
FLOOD_WAIT: Final = 5

Seconds = float | None


def _redacted(exc: BaseException) -> str:
    """The error's kind and text with any bot token blanked out: some aiohttp errors quote
    the whole URL, and this text ends up in logs."""
    kind = type(exc)
    name = f"aiohttp.{kind.__name__}" if kind.__module__.startswith("aiohttp") else kind.__name__
    text = _TOKEN_IN_URL.sub("/bot<token>", str(exc))
    return f"{name}: {text}" if text else name


class AiohttpRequest(BaseRequest):
    """A ``telegram.request.BaseRequest`` over aiohttp.

    The parameters and their defaults are HTTPXRequest's. Differences worth knowing:

    * Parameters go as a JSON body (the Bot API, our emulator and the bench stand-in accept
      it; the values are PTB's own ``json_parameters``, exactly what HTTPXRequest puts in its
      form fields). ``json_body=False`` sends them form-encoded, byte for byte as httpx does.
      Requests with files go as multipart/form-data either way.
    * aiohttp has no per-write timeout: the write timeout bounds the whole request instead
      (connect + write + read), which also catches an upload that stalls.
    * Proxy settings are not read from the environment (aiohttp would look them up in a
      thread on every request): pass ``proxy`` explicitly.
    """

    __slots__ = (
        "_connect_timeout",
        "_json_body",
        "_loop",
        "_media_write_timeout",
        "_pool_size",
        "_pool_timeout",
        "_proxy",
        "_read_timeout",
        "_session",
        "_shut_down",
        "_slots",
        "_timeouts",
        "_write_timeout",
    )

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: Seconds = 5.0,
        write_timeout: Seconds = 5.0,
        connect_timeout: Seconds = 5.0,
        pool_timeout: Seconds = 1.0,
        media_write_timeout: Seconds = 20.0,
        *,
        proxy: str | None = None,
        json_body: bool = True,
    ) -> None:
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be at least 1")
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._proxy = proxy
        self._json_body = json_body
        # Made in the running loop (PTB builds requests before it starts), see _open().
        self._session: aiohttp.ClientSession | None = None
        self._slots: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._shut_down = False
        self._timeouts: dict[tuple[Seconds, Seconds, Seconds], aiohttp.ClientTimeout] = {}

    @property
    def read_timeout(self) -> Seconds:
        """The default read timeout; PTB adds getUpdates' long-poll ``timeout`` to it."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Opens the session in the running loop; repeated calls keep the open one."""
        self._shut_down = False
        if self._session is None or self._loop is not asyncio.get_running_loop():
            # A session left behind by a loop that is gone cannot be closed from this one.
            self._session = None
            self._open()

    async def shutdown(self) -> None:
        """Closes the session and its connections; calling it again does nothing."""
        self._shut_down = True
        session, self._session, self._slots, self._loop = self._session, None, None, None
        if session is not None and not session.closed:
            await session.close()

    def _open(self) -> tuple[aiohttp.ClientSession, asyncio.Semaphore]:
        connector = aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=0)
        session = aiohttp.ClientSession(
            connector=connector,
            headers={"User-Agent": self.USER_AGENT},
            cookie_jar=aiohttp.DummyCookieJar(),  # the Bot API sets none: skip the bookkeeping
            proxy=self._proxy,
        )
        # Our own count of connections in use, so that waiting for one has PTB's pool
        # timeout and message rather than counting against aiohttp's connect timeout.
        slots = asyncio.Semaphore(self._pool_size)
        self._session, self._slots, self._loop = session, slots, asyncio.get_running_loop()
        return session, slots

    def _client_timeout(
        self, read: Seconds, write: Seconds, connect: Seconds
    ) -> aiohttp.ClientTimeout:
        key = (read, write, connect)
        timeout = self._timeouts.get(key)
        if timeout is None:
            total = (
                connect + write + read
                if connect is not None and write is not None and read is not None
                else None
            )
            # sock_read starts once the body is sent and restarts with every chunk received,
            # as httpx's read timeout does.
            timeout = aiohttp.ClientTimeout(total=total, connect=connect, sock_read=read)
            if len(self._timeouts) >= _MAX_CACHED_TIMEOUTS:
                self._timeouts.clear()
            self._timeouts[key] = timeout
        return timeout

    def _body(
        self, request_data: RequestData | None
    ) -> aiohttp.FormData | aiohttp.BytesPayload | None:
        if request_data is None:
            return None
        fields = request_data.json_parameters
        if request_data.contains_files:
            # quote_fields=False: UTF-8 file names as httpx sends them, not percent-encoded.
            form = aiohttp.FormData(quote_fields=False, default_to_multipart=True)
            for name, value in fields.items():
                form.add_field(name, value)
            for name, (filename, content, mimetype) in request_data.multipart_data.items():
                form.add_field(name, content, filename=filename, content_type=mimetype)
            return form
        if not fields:
            return None
        if self._json_body:
            text = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
            return aiohttp.BytesPayload(text.encode(), content_type=_JSON)
        return aiohttp.BytesPayload(urlencode(fields).encode(), content_type=_FORM)

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """See ``BaseRequest.do_request``. Never puts the URL (it holds the token) in an error."""
        session, slots = self._session, self._slots
        if session is None or slots is None:
            if self._shut_down:  # as HTTPXRequest: no silent reopening after shutdown()
                raise RuntimeError("This AiohttpRequest is not initialized!")
            session, slots = self._open()  # used before initialize(), as httpx allows

        # DEFAULT_NONE (not passed) means this instance's default; None means no limit.
        if isinstance(read_timeout, DefaultValue):
            read_timeout = self._read_timeout
        if isinstance(connect_timeout, DefaultValue):
            connect_timeout = self._connect_timeout
        if isinstance(pool_timeout, DefaultValue):
            pool_timeout = self._pool_timeout
        files = request_data is not None and request_data.contains_files
        if isinstance(write_timeout, DefaultValue):
            write_timeout = self._media_write_timeout if files else self._write_timeout
        timeout = self._client_timeout(read_timeout, write_timeout, connect_timeout)
        body = self._body(request_data)

        if slots.locked():  # only then pay for a timer
            try:
                async with asyncio.timeout(pool_timeout):
                    await slots.acquire()
            except TimeoutError:
                raise TimedOut(POOL_TIMEOUT_MESSAGE) from None
        else:
            await slots.acquire()
        # The aiohttp error is not chained (`from None`): its text may quote the URL.
        try:
            async with session.request(method, url, data=body, timeout=timeout) as response:
                status, payload = response.status, await response.read()
        except TimeoutError as exc:  # aiohttp's connect and socket read timeouts included
            raise TimedOut(f"Timed out ({_redacted(exc)})") from None
        except (aiohttp.ClientError, OSError) as exc:
            raise NetworkError(_redacted(exc)) from None
        finally:
            slots.release()
        if status == FLOOD_STATUS:
            payload = _as_retry_after(payload)
        return status, payload


def _as_retry_after(payload: bytes) -> bytes:
    """A 420 flood answer in Telegram's 429 shape (``parameters.retry_after``), so that
    PTB raises RetryAfter and the rate limiter and the update's retry wait it out."""
    try:
        answer = json.loads(payload)
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        answer = {"ok": False, "error_code": FLOOD_STATUS, "description": "Flood"}
    parameters = answer.get("parameters")
    if not isinstance(parameters, dict):
        parameters = answer["parameters"] = {}
    try:  # whole seconds, as Telegram gives them; "3" or 2.5 from another server too
        wait = math.ceil(float(parameters.get("retry_after") or 0))
    except (TypeError, ValueError, OverflowError):
        wait = 0
    parameters["retry_after"] = wait if wait > 0 else FLOOD_WAIT
    return json.dumps(answer).encode()


class UpdatesRequest(AiohttpRequest):
    """The getUpdates transport: every update it brings is cleaned (bot.hygiene) before
    python-telegram-bot builds its objects. One Telegram should never send, malformed, is
    kept as its bare ``update_id`` (handled as an update of nothing, so polling moves past
    it); one without even that is left out."""

    __slots__ = ()

    @staticmethod
    def parse_json_payload(payload: bytes) -> JSONDict:
        answer = BaseRequest.parse_json_payload(payload)
        updates = answer.get("result")
        if answer.get("ok") and isinstance(updates, list):
            answer["result"] = [kept for kept in map(_polled, updates) if kept is not None]
        return answer


def _polled(update: object) -> JSONDict | None:
    try:
        return cleaned_update(update)
    except MalformedUpdate as exc:
        log.warning("polled update is malformed: %s", exc)
        update_id = update.get("update_id") if isinstance(update, dict) else None
        if isinstance(update_id, int) and 0 <= update_id < INT64_LIMIT:
            return {"update_id": update_id}
        return None
