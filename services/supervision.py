"""Supervisors of offices: a chat linked with a one-time code to a scope (one office, a
county, a province or a network) gets the complaints about every office in it.

Who supervises what is data (``supervisor_links``); every check of a supervisor's action
asks whether one of the chat's scopes covers the complaint's office, in the database, so a
forged button from a chat outside the scope changes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import ColumnElement, and_, delete, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.identity import ChatRef
from services.staff import CODE_ALPHABET, CODE_LENGTH, LINK_CODE_HOURS
from services.storage.models import (
    SUPERVISION_SCOPES,
    Network,
    Office,
    SupervisorLink,
    SupervisorLinkCode,
    SupervisorMember,
)


class ScopeError(ValueError):
    """An operator named a scope that does not exist (the message says what is wrong)."""


class SuperviseRefused(Exception):
    """The code is unknown, used or expired (one answer for all: no hint for guessers)."""


class ScopeTarget(Protocol):
    """What a scope names; both link codes and links have these columns."""

    @property
    def scope(self) -> str: ...
    @property
    def office_id(self) -> int | None: ...
    @property
    def province(self) -> str | None: ...
    @property
    def county(self) -> str | None: ...
    @property
    def network_key(self) -> str | None: ...


@dataclass(frozen=True)
class Scope:
    """A scope as stored: ``kind`` and the one target it needs (names as offices hold them)."""

    scope: str
    office_id: int | None = None
    province: str | None = None
    county: str | None = None
    network_key: str | None = None


@dataclass(frozen=True)
class ScopeView:
    """A scope as people read it."""

    scope: str
    office_name: str | None
    province: str | None
    county: str | None
    network_name: str | None


@dataclass(frozen=True)
class LinkedSupervisor:
    chat: ChatRef
    scope: ScopeView


@dataclass(frozen=True)
class SupervisorChat:
    """A linked chat and every scope it holds (for ``pishkhan supervisor list``)."""

    chat: ChatRef
    scopes: tuple[ScopeView, ...]
    members: int


_ARABIC_LOOKALIKES = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک"})


def _folded(name: str) -> str:
    """An operator's keyboard may type Arabic ي/ك; office names use the Persian letters."""
    return " ".join(name.translate(_ARABIC_LOOKALIKES).split())


def covers(target: ScopeTarget, office: Office) -> bool:
    """Whether the scope takes in the office (the same rule as ``office_condition``)."""
    if target.scope == "office":
        return target.office_id == office.id
    if target.scope == "county":
        return target.province == office.province and target.county == office.county
    if target.scope == "province":
        return target.province == office.province
    if target.scope == "network":
        return target.network_key == office.network_key
    return False


def office_condition(targets: Sequence[ScopeTarget]) -> ColumnElement[bool]:
    """A WHERE clause over ``offices`` for the offices any of these scopes takes in."""
    parts: list[ColumnElement[bool]] = []
    for target in targets:
        if target.scope == "office" and target.office_id is not None:
            parts.append(Office.id == target.office_id)
        elif target.scope == "county" and target.province and target.county:
            parts.append(and_(Office.province == target.province, Office.county == target.county))
        elif target.scope == "province" and target.province:
            parts.append(Office.province == target.province)
        elif target.scope == "network" and target.network_key:
            parts.append(Office.network_key == target.network_key)
    return or_(*parts) if parts else false()


def _link_condition(office: Office) -> ColumnElement[bool]:
    """The reverse: a WHERE clause over ``supervisor_links`` for links covering the office."""
    return or_(
        and_(SupervisorLink.scope == "office", SupervisorLink.office_id == office.id),
        and_(
            SupervisorLink.scope == "county",
            SupervisorLink.province == office.province,
            SupervisorLink.county == office.county,
        ),
        and_(SupervisorLink.scope == "province", SupervisorLink.province == office.province),
        and_(SupervisorLink.scope == "network", SupervisorLink.network_key == office.network_key),
    )


def _in(chat: ChatRef) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """The rows of one chat of one messenger."""
    return SupervisorLink.messenger == chat.messenger, SupervisorLink.chat_id == chat.chat_id


async def chats_covering(session: AsyncSession, office: Office) -> list[ChatRef]:
    """Every supervisor chat whose scope takes in the office, each once."""
    rows = await session.execute(
        select(SupervisorLink.messenger, SupervisorLink.chat_id)
        .where(_link_condition(office))
        .distinct()
        .order_by(SupervisorLink.messenger, SupervisorLink.chat_id)
    )
    return [ChatRef(row.messenger, row.chat_id) for row in rows]


async def resolve_scope(session: AsyncSession, kind: str, value: str) -> Scope:
    """An operator's ``--office CODE``, ``--county PROVINCE/COUNTY``, ``--province P`` or
    ``--network KEY`` as a stored scope; refused when no office is in it (a typo would
    otherwise route complaints nowhere, silently)."""
    if kind not in SUPERVISION_SCOPES:
        raise ScopeError(f"unknown scope {kind!r}; use one of {', '.join(SUPERVISION_SCOPES)}")
    value = value.strip()
    if kind == "office":
        office_id = await session.scalar(select(Office.id).where(Office.code == value))
        if office_id is None:
            raise ScopeError(f"no office with code {value!r}")
        return Scope("office", office_id=office_id)
    if kind == "network":
        if await session.get(Network, value) is None:
            known = ", ".join(await session.scalars(select(Network.key).order_by(Network.key)))
            raise ScopeError(f"no network {value!r}; known networks: {known}")
        return Scope("network", network_key=value)
    if kind == "county":
        province, _, county = (_folded(part) for part in value.partition("/"))
        if not province or not county:
            raise ScopeError("write the county as PROVINCE/COUNTY, e.g. تهران/تهران")
        scope = Scope("county", province=province, county=county)
    else:
        scope = Scope("province", province=_folded(value))
    if await session.scalar(select(Office.id).where(office_condition([scope])).limit(1)) is None:
        raise ScopeError(f"no office is in {kind} {value!r}: check the spelling")
    return scope


async def scope_view(session: AsyncSession, target: ScopeTarget) -> ScopeView:
    office = await session.get(Office, target.office_id) if target.office_id else None
    network = await session.get(Network, target.network_key) if target.network_key else None
    return ScopeView(
        scope=target.scope,
        office_name=office.name if office else None,
        province=target.province,
        county=target.county,
        network_name=network.name_fa if network else None,
    )


def _hash(code: str) -> str:
    # Salted apart from office link codes: a staff code is never a supervisor code.
    normal = code.strip().upper().replace("-", "")
    return hashlib.sha256(f"supervisor:{normal}".encode()).hexdigest()


async def new_supervisor_code(
    sessions: async_sessionmaker[AsyncSession],
    kind: str,
    value: str,
    now: dt.datetime,
    hours: int = LINK_CODE_HOURS,
) -> tuple[str, ScopeView]:
    """A fresh one-time code for the scope (returned once, stored hashed) and the scope."""
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    async with sessions() as session, session.begin():
        scope = await resolve_scope(session, kind, value)
        session.add(
            SupervisorLinkCode(
                code_hash=_hash(code),
                scope=scope.scope,
                office_id=scope.office_id,
                province=scope.province,
                county=scope.county,
                network_key=scope.network_key,
                expires_at=now + dt.timedelta(hours=hours),
            )
        )
        return f"{code[:5]}-{code[5:]}", await scope_view(session, scope)


def _same_scope(link: ScopeTarget, other: ScopeTarget) -> bool:
    return (link.scope, link.office_id, link.province, link.county, link.network_key) == (
        other.scope,
        other.office_id,
        other.province,
        other.county,
        other.network_key,
    )


async def link_supervisor_chat(
    sessions: async_sessionmaker[AsyncSession],
    code: str,
    chat: ChatRef,
    user_id: int,
    user_name: str,
    now: dt.datetime,
) -> LinkedSupervisor:
    """Adds the code's scope to the chat and makes the sender a member of it; the code
    then works no more."""
    async with sessions() as session, session.begin():
        link_code = await session.get(SupervisorLinkCode, _hash(code), with_for_update=True)
        if link_code is None or link_code.used_at is not None or link_code.expires_at <= now:
            raise SuperviseRefused
        link_code.used_at = now
        held = await session.scalars(select(SupervisorLink).where(*_in(chat)))
        if not any(_same_scope(link, link_code) for link in held):
            session.add(
                SupervisorLink(
                    messenger=chat.messenger,
                    chat_id=chat.chat_id,
                    scope=link_code.scope,
                    office_id=link_code.office_id,
                    province=link_code.province,
                    county=link_code.county,
                    network_key=link_code.network_key,
                )
            )
        await session.merge(
            SupervisorMember(
                messenger=chat.messenger, chat_id=chat.chat_id, user_id=user_id, name=user_name
            )
        )
        return LinkedSupervisor(chat, await scope_view(session, link_code))


async def links_of_chat(
    sessions: async_sessionmaker[AsyncSession], chat: ChatRef
) -> list[SupervisorLink]:
    """The chat's scopes (none: not a supervisor chat)."""
    async with sessions() as session:
        rows = await session.scalars(
            select(SupervisorLink).where(*_in(chat)).order_by(SupervisorLink.id)
        )
        return list(rows)


async def scopes_of_chat(
    sessions: async_sessionmaker[AsyncSession], chat: ChatRef
) -> list[ScopeView]:
    async with sessions() as session:
        links = await session.scalars(
            select(SupervisorLink).where(*_in(chat)).order_by(SupervisorLink.id)
        )
        return [await scope_view(session, link) for link in links]


async def chat_covers_office(session: AsyncSession, chat: ChatRef, office: Office) -> bool:
    found = await session.scalar(
        select(SupervisorLink.id).where(*_in(chat), _link_condition(office)).limit(1)
    )
    return found is not None


async def is_supervisor_member(
    sessions: async_sessionmaker[AsyncSession], chat: ChatRef, user_id: int
) -> bool:
    async with sessions() as session:
        key = (chat.messenger, chat.chat_id, user_id)
        return await session.get(SupervisorMember, key) is not None


async def supervisor_chats(sessions: async_sessionmaker[AsyncSession]) -> list[SupervisorChat]:
    async with sessions() as session:
        links = list(
            await session.scalars(
                select(SupervisorLink).order_by(
                    SupervisorLink.messenger, SupervisorLink.chat_id, SupervisorLink.id
                )
            )
        )
        members = [
            ChatRef(row.messenger, row.chat_id)
            for row in await session.execute(
                select(SupervisorMember.messenger, SupervisorMember.chat_id)
            )
        ]
        chats: dict[ChatRef, list[ScopeView]] = {}
        for link in links:
            chat = ChatRef(link.messenger, link.chat_id)
            chats.setdefault(chat, []).append(await scope_view(session, link))
        return [
            SupervisorChat(chat, tuple(scopes), members.count(chat))
            for chat, scopes in chats.items()
        ]


async def unlink_supervisor_chat(sessions: async_sessionmaker[AsyncSession], chat: ChatRef) -> int:
    """Forgets the chat's scopes and members; returns how many scopes it held."""
    async with sessions() as session, session.begin():
        removed = await session.execute(delete(SupervisorLink).where(*_in(chat)))
        await session.execute(
            delete(SupervisorMember).where(
                SupervisorMember.messenger == chat.messenger,
                SupervisorMember.chat_id == chat.chat_id,
            )
        )
        return int(removed.rowcount)  # type: ignore[attr-defined]
