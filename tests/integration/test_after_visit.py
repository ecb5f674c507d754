"""Ratings, complaints and supervisors in the domain: scopes, the outbox they write, the
once-only guarantees, and the figures supervisors read; on a SQLite file and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from nlp.tracking import new_complaint_code
from services.booking import book, change_status
from services.complaints import (
    ComplaintDraft,
    ComplaintRefused,
    Problem,
    Refusal,
    act,
    file_complaint,
    find_complaint,
    open_in_chat,
    text_problem,
    visible_in_chat,
)
from services.feedback import (
    Outcome,
    Rater,
    RatingRefused,
    add_comment,
    check_rateable,
    queue_rating_asks,
    rate,
    rate_wait,
)
from services.identity import TELEGRAM, ChatRef, UserRef
from services.reports import CSV_HEADER, figures_csv, office_figures
from services.storage.models import (
    Complaint,
    ComplaintEvent,
    Office,
    OfficeService,
    OutboxEvent,
    Rating,
)
from services.supervision import (
    ScopeError,
    SuperviseRefused,
    chats_covering,
    covers,
    link_supervisor_chat,
    links_of_chat,
    new_supervisor_code,
    resolve_scope,
)
from tests.helpers.booking_data import (
    NOW,
    RULES,
    SERVICES,
    TEN,
    VAULT,
    WEEK,
    new_code,
    office_with_desks,
    request,
    valid_national_code,
)

# Offices in two counties of two provinces, of two networks.
OFFICES = (
    ("TEH-1", "تهران", "تهران", "police10"),
    ("TEH-2", "تهران", "تهران", "pishkhan"),
    ("SHM-1", "تهران", "شمیرانات", "police10"),
    ("KRJ-1", "البرز", "کرج", "police10"),
)


async def _offices(sessions: async_sessionmaker[AsyncSession]) -> dict[str, Office]:
    await office_with_desks(sessions, 2, code="SEED")  # loads the mini catalogue
    async with sessions() as session, session.begin():
        made = {}
        for code, province, county, network in OFFICES:
            office = Office(
                code=code,
                name=f"دفتر {code}",
                network_key=network,
                province=province,
                county=county,
                city=county,
                lat=35.7,
                lon=51.4,
                weekly_hours=WEEK,
                desks=3,
            )
            session.add(office)
            await session.flush()
            session.add_all(OfficeService(office_id=office.id, service_key=s) for s in SERVICES)
            made[code] = office
        return made


async def _supervisor(
    sessions: async_sessionmaker[AsyncSession], chat_id: int, kind: str, value: str
) -> None:
    code, _ = await new_supervisor_code(sessions, kind, value, NOW)
    await link_supervisor_chat(sessions, code, ChatRef(TELEGRAM, chat_id), chat_id, "ناظر", NOW)


def _draft(office_id: int, key: str, description: str = "ازم پول اضافه گرفتن") -> ComplaintDraft:
    return ComplaintDraft(
        office_id=office_id,
        booking_id=None,
        citizen=UserRef(TELEGRAM, 501),
        chat_id=501,
        citizen_name="مریم احمدی",
        kind="overcharged",
        description=description,
        receipt_file_id=None,
        idempotency_key=key,
    )


async def _count(sessions: async_sessionmaker[AsyncSession], model: type[object]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_each_scope_covers_exactly_its_offices(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    offices = await _offices(sessions)
    await _supervisor(sessions, -1, "office", "TEH-1")
    await _supervisor(sessions, -2, "county", "تهران/تهران")
    await _supervisor(sessions, -3, "province", "تهران")
    await _supervisor(sessions, -4, "network", "pishkhan")
    await _supervisor(sessions, -5, "county", "البرز/کرج")
    expected = {
        "TEH-1": [-3, -2, -1],
        "TEH-2": [-4, -3, -2],
        "SHM-1": [-3],
        "KRJ-1": [-5],
    }
    links = {
        chat: await links_of_chat(sessions, ChatRef(TELEGRAM, chat))
        for chat in (-1, -2, -3, -4, -5)
    }
    async with sessions() as session:
        for code, chats in expected.items():
            office = await session.get(Office, offices[code].id)
            assert office is not None
            assert await chats_covering(session, office) == [
                ChatRef(TELEGRAM, chat) for chat in chats
            ], code
            # The Python rule and the SQL rule agree.
            for chat, held in links.items():
                assert any(covers(link, office) for link in held) == (chat in chats), code


async def test_a_scope_that_names_nothing_is_refused(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await _offices(sessions)
    async with sessions() as session:
        for kind, value in (
            ("county", "تهران/کرج"),  # a county of another province
            ("county", "تهران"),  # no county given
            ("province", "کرمان"),
            ("office", "NOPE"),
            ("network", "nope"),
            ("city", "تهران"),
        ):
            with pytest.raises(ScopeError):
                await resolve_scope(session, kind, value)
        # Arabic look-alike letters are folded as imports fold them.
        scope = await resolve_scope(session, "county", "البرز/ كرج ")
        assert (scope.province, scope.county) == ("البرز", "کرج")


async def test_a_supervise_code_works_once_and_not_after_it_expires(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await _offices(sessions)
    code, view = await new_supervisor_code(sessions, "county", "تهران/تهران", NOW, hours=1)
    assert (view.scope, view.province, view.county) == ("county", "تهران", "تهران")
    with pytest.raises(SuperviseRefused):
        await link_supervisor_chat(
            sessions, code, ChatRef(TELEGRAM, -7), 7, "x", NOW + dt.timedelta(hours=2)
        )
    linked = await link_supervisor_chat(sessions, code.lower(), ChatRef(TELEGRAM, -7), 7, "x", NOW)
    assert linked.scope.county == "تهران"
    with pytest.raises(SuperviseRefused):
        await link_supervisor_chat(sessions, code, ChatRef(TELEGRAM, -8), 8, "y", NOW)
    with pytest.raises(SuperviseRefused):
        await link_supervisor_chat(sessions, "ABCDE-FGHJK", ChatRef(TELEGRAM, -8), 8, "y", NOW)
    assert len(await links_of_chat(sessions, ChatRef(TELEGRAM, -8))) == 0


async def test_a_complaint_reaches_only_the_chats_that_cover_its_office(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    offices = await _offices(sessions)
    await _supervisor(sessions, -10, "county", "تهران/تهران")
    await _supervisor(sessions, -20, "county", "البرز/کرج")
    view, made = await file_complaint(
        sessions,
        _draft(offices["TEH-1"].id, "k1", "کد ملی من 0499370899 است و ازم پول اضافه گرفتن"),
        NOW,
        new_complaint_code,
    )
    assert made and view.code.startswith("C") and view.status == "open"
    assert "0499370899" not in view.description and "04******99" in view.description
    assert view.citizen_masked == "م*** ا***"
    again, made = await file_complaint(
        sessions, _draft(offices["TEH-1"].id, "k1"), NOW, new_complaint_code
    )
    assert not made and again.id == view.id
    async with sessions() as session:
        events = list(
            await session.scalars(select(OutboxEvent).where(OutboxEvent.channel == "supervisor"))
        )
    assert [e.payload["chat_id"] for e in events] == [-10]
    assert await visible_in_chat(sessions, view.id, ChatRef(TELEGRAM, -10)) is not None
    assert await visible_in_chat(sessions, view.id, ChatRef(TELEGRAM, -20)) is None
    # Only the complainant finds it by code.
    assert await find_complaint(sessions, view.code, UserRef(TELEGRAM, 501)) is not None
    assert await find_complaint(sessions, view.code, UserRef(TELEGRAM, 502)) is None


async def test_a_supervisor_outside_the_scope_changes_nothing(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    offices = await _offices(sessions)
    await _supervisor(sessions, -10, "county", "تهران/تهران")
    await _supervisor(sessions, -20, "county", "البرز/کرج")
    view, _ = await file_complaint(
        sessions, _draft(offices["TEH-1"].id, "k2"), NOW, new_complaint_code
    )
    for kind in ("acknowledged", "replied", "resolved", "rejected"):
        with pytest.raises(ComplaintRefused) as refused:
            await act(
                sessions, view.id, kind, NOW, chat=ChatRef(TELEGRAM, -20), actor_ref="9", note="x"
            )
        assert refused.value.refusal is Refusal.OUT_OF_SCOPE
    async with sessions() as session:
        complaint = await session.get(Complaint, view.id)
        assert complaint is not None and complaint.status == "open"
    assert await _count(sessions, ComplaintEvent) == 1  # filed, nothing more
    citizen_news = select(func.count()).where(OutboxEvent.channel == "citizen")
    async with sessions() as session:
        assert await session.scalar(citizen_news) == 0


async def test_supervisor_steps_move_the_complaint_once_each(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    offices = await _offices(sessions)
    await _supervisor(sessions, -10, "province", "تهران")
    view, _ = await file_complaint(
        sessions, _draft(offices["SHM-1"].id, "k3"), NOW, new_complaint_code
    )
    acknowledged = await act(
        sessions, view.id, "acknowledged", NOW, chat=ChatRef(TELEGRAM, -10), actor_ref="9"
    )
    assert acknowledged.status == "acknowledged"
    with pytest.raises(ComplaintRefused) as twice:
        await act(
            sessions, view.id, "acknowledged", NOW, chat=ChatRef(TELEGRAM, -10), actor_ref="9"
        )
    assert twice.value.refusal is Refusal.BAD_TRANSITION
    assert twice.value.status == "acknowledged"
    replied = await act(
        sessions,
        view.id,
        "replied",
        NOW,
        chat=ChatRef(TELEGRAM, -10),
        actor_ref="9",
        note="پیگیری می‌کنیم",
    )
    assert [s.kind for s in replied.timeline] == ["filed", "acknowledged", "replied"]
    assert replied.timeline[-1].note == "پیگیری می‌کنیم"
    rejected = await act(
        sessions,
        view.id,
        "rejected",
        NOW,
        chat=ChatRef(TELEGRAM, -10),
        actor_ref="9",
        note="مدرک کافی نیست",
    )
    assert rejected.status == "rejected"
    for kind in ("resolved", "replied"):
        with pytest.raises(ComplaintRefused):
            await act(
                sessions, view.id, kind, NOW, chat=ChatRef(TELEGRAM, -10), actor_ref="9", note="x"
            )
    async with sessions() as session:
        news = list(
            await session.scalars(select(OutboxEvent).where(OutboxEvent.channel == "citizen"))
        )
    assert [e.event_type for e in news] == ["complaint.updated"] * 3


async def _filed(
    sessions: async_sessionmaker[AsyncSession], office: Office, key: str, minutes: int
) -> int:
    """A complaint about the office, filed ``minutes`` after NOW; its id."""
    view, _ = await file_complaint(
        sessions, _draft(office.id, key), NOW + dt.timedelta(minutes=minutes), new_complaint_code
    )
    return view.id


async def test_a_chat_lists_the_open_complaints_of_its_scopes_oldest_first(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    offices = await _offices(sessions)
    teh1, teh2, shm1, krj1 = (offices[code] for code in ("TEH-1", "TEH-2", "SHM-1", "KRJ-1"))
    later_teh1 = await _filed(sessions, teh1, "o1", 120)
    first_teh2 = await _filed(sessions, teh2, "o2", 0)
    shemiran = await _filed(sessions, shm1, "o3", 60)
    karaj = await _filed(sessions, krj1, "o4", -30)
    resolved = await _filed(sessions, teh1, "o5", -60)
    rejected = await _filed(sessions, teh2, "o6", -50)
    seen = await _filed(sessions, teh2, "o7", 180)
    await _supervisor(sessions, -10, "county", "تهران/تهران")
    await _supervisor(sessions, -20, "province", "تهران")
    await _supervisor(sessions, -30, "office", "TEH-2")
    await _supervisor(sessions, -40, "network", "police10")
    await act(sessions, resolved, "resolved", NOW, chat=ChatRef(TELEGRAM, -10), actor_ref="9")
    await act(
        sessions, rejected, "rejected", NOW, chat=ChatRef(TELEGRAM, -10), actor_ref="9", note="x"
    )
    await act(sessions, seen, "acknowledged", NOW, chat=ChatRef(TELEGRAM, -10), actor_ref="9")

    async def listed(chat_id: int) -> list[int]:
        page = await open_in_chat(sessions, ChatRef(TELEGRAM, chat_id))
        assert page is not None
        assert (page.total, page.before, page.more) == (len(page.complaints), 0, False)
        return [c.id for c in page.complaints]

    assert await listed(-10) == [first_teh2, later_teh1, seen]
    assert await listed(-20) == [first_teh2, shemiran, later_teh1, seen]
    assert await listed(-30) == [first_teh2, seen]
    assert await listed(-40) == [karaj, shemiran, later_teh1]
    assert await listed(-99) == []  # not a supervisor chat: nothing at all

    page = await open_in_chat(sessions, ChatRef(TELEGRAM, -10))
    assert page is not None
    line = page.complaints[-1]
    assert (line.status, line.office_code, line.office_name, line.kind) == (
        "acknowledged",
        "TEH-2",
        "دفتر TEH-2",
        "overcharged",
    )
    assert line.created_at == NOW + dt.timedelta(minutes=180)
    assert line.created_at.utcoffset() == NOW.utcoffset()  # Tehran's wall clock
    # A second scope adds its offices to the chat's list.
    await _supervisor(sessions, -10, "county", "البرز/کرج")
    assert await listed(-10) == [karaj, first_teh2, later_teh1, seen]


async def test_open_complaints_come_in_pages_that_skip_and_repeat_none(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    offices = await _offices(sessions)
    await _supervisor(sessions, -10, "county", "تهران/تهران")
    # Five filed in the same instant (order by id among them) and two later.
    ids = [await _filed(sessions, offices["TEH-1"], f"p{n}", 0) for n in range(5)]
    ids += [await _filed(sessions, offices["TEH-2"], f"q{n}", 10 + n) for n in range(2)]
    await _filed(sessions, offices["KRJ-1"], "k", 5)  # another county, in between

    pages: list[list[int]] = []
    after: int | None = None
    while True:
        page = await open_in_chat(sessions, ChatRef(TELEGRAM, -10), after=after, limit=2)
        assert page is not None
        assert page.total == 7 and page.before == 2 * len(pages)
        pages.append([c.id for c in page.complaints])
        if not page.more:
            break
        after = page.complaints[-1].id
    assert pages == [ids[0:2], ids[2:4], ids[4:6], ids[6:7]]

    # A complaint of the first page closed before the next one is asked for: the next
    # page still starts where the first ended.
    first = await open_in_chat(sessions, ChatRef(TELEGRAM, -10), limit=3)
    assert first is not None and [c.id for c in first.complaints] == ids[:3]
    await act(sessions, ids[1], "resolved", NOW, chat=ChatRef(TELEGRAM, -10), actor_ref="9")
    second = await open_in_chat(sessions, ChatRef(TELEGRAM, -10), after=ids[2], limit=3)
    assert second is not None
    assert [c.id for c in second.complaints] == ids[3:6]
    assert (second.total, second.before, second.more) == (6, 2, True)
    # The last one shown may itself be closed by then.
    await act(sessions, ids[2], "resolved", NOW, chat=ChatRef(TELEGRAM, -10), actor_ref="9")
    again = await open_in_chat(sessions, ChatRef(TELEGRAM, -10), after=ids[2], limit=3)
    assert again is not None and [c.id for c in again.complaints] == ids[3:6]
    assert (again.total, again.before, again.more) == (5, 1, True)


async def test_a_page_after_a_complaint_outside_the_scope_is_refused(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    offices = await _offices(sessions)
    await _supervisor(sessions, -10, "county", "تهران/تهران")
    await _filed(sessions, offices["TEH-1"], "a", 10)
    karaj = await _filed(sessions, offices["KRJ-1"], "b", 0)
    assert await open_in_chat(sessions, ChatRef(TELEGRAM, -10), after=karaj) is None
    assert await open_in_chat(sessions, ChatRef(TELEGRAM, -10), after=karaj + 1000) is None
    assert await open_in_chat(sessions, ChatRef(TELEGRAM, -99), after=karaj) is None


def test_descriptions_that_are_empty_or_huge_are_named() -> None:
    assert text_problem("...") is Problem.EMPTY
    assert text_problem("😡😡😡") is Problem.EMPTY
    assert text_problem("ب" * 1001) is Problem.TOO_LONG
    assert text_problem("مدیر نبود") is None


async def _visit(
    sessions: async_sessionmaker[AsyncSession], office_id: int, user: int, hours: int = 0
) -> int:
    view, _ = await book(
        sessions,
        VAULT,
        RULES,
        request(office_id, user, valid_national_code(user), TEN + dt.timedelta(hours=hours)),
        NOW,
        new_code,
    )
    return view.id


async def test_a_visit_is_asked_about_once_and_rated_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    offices = await _offices(sessions)
    office = offices["TEH-1"].id
    done = await _visit(sessions, office, 601)
    passed = await _visit(sessions, office, 602)
    cancelled = await _visit(sessions, office, 603)
    await _visit(sessions, office, 604, hours=2)  # later in the day: not over yet
    await change_status(sessions, done, "checked_in", NOW, actor_kind="staff")
    await change_status(sessions, done, "done", NOW, actor_kind="staff")
    await change_status(sessions, cancelled, "cancelled", NOW, actor_kind="staff")
    assert await queue_rating_asks(sessions, NOW) == 1  # the done one, at once
    assert await queue_rating_asks(sessions, NOW) == 0
    after = TEN + dt.timedelta(hours=1, minutes=30)
    assert await queue_rating_asks(sessions, after) == 1  # the slot of `passed` is over
    assert await queue_rating_asks(sessions, after) == 0
    long_after = TEN + dt.timedelta(days=10)
    assert await queue_rating_asks(sessions, long_after) == 0  # too old to ask about
    async with sessions() as session:
        asked = set(
            await session.scalars(
                select(OutboxEvent.booking_id).where(OutboxEvent.event_type == "rating.ask")
            )
        )
    assert asked == {done, passed}

    with pytest.raises(RatingRefused):  # its slot is not over yet: no rating, not even a skip
        await rate(sessions, passed, Rater(TELEGRAM, 602, 602), 1, NOW)
    with pytest.raises(RatingRefused):
        await check_rateable(sessions, passed, Rater(TELEGRAM, 602, 602), NOW)
    await check_rateable(sessions, passed, Rater(TELEGRAM, 602, 602), after)
    with pytest.raises(RatingRefused):  # the booking's user, but in another chat
        await rate(sessions, done, Rater(TELEGRAM, 601, -601), 4, NOW)
    assert await rate(sessions, done, Rater(TELEGRAM, 601, 601), 4, NOW) is Outcome.RECORDED
    assert await rate(sessions, done, Rater(TELEGRAM, 601, 601), 1, NOW) is Outcome.ALREADY
    with pytest.raises(RatingRefused):
        await rate(sessions, done, Rater(TELEGRAM, 602, 602), 5, NOW)  # another citizen's booking
    with pytest.raises(RatingRefused):
        await rate(sessions, cancelled, Rater(TELEGRAM, 603, 603), 5, NOW)
    assert (
        await rate_wait(sessions, done, Rater(TELEGRAM, 601, 601), "15_30", NOW) is Outcome.RECORDED
    )
    assert (
        await rate_wait(sessions, done, Rater(TELEGRAM, 601, 601), "gt60", NOW) is Outcome.ALREADY
    )
    assert await add_comment(
        sessions, done, Rater(TELEGRAM, 601, 601), "خوب بود؛ شماره‌ام 09121234567", NOW
    ) is (Outcome.RECORDED)
    async with sessions() as session:
        ratings = list(await session.scalars(select(Rating)))
    assert [(r.stars, r.wait_band) for r in ratings] == [(4, "15_30")]
    assert "09121234567" not in ratings[0].comment


async def test_figures_per_office_on_known_data(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    offices = await _offices(sessions)
    teh1, teh2 = offices["TEH-1"].id, offices["TEH-2"].id
    await _supervisor(sessions, -10, "county", "تهران/تهران")
    visits = [await _visit(sessions, teh1, 700 + n, hours=n % 3) for n in range(5)]
    await _visit(sessions, teh2, 710)
    over = TEN + dt.timedelta(hours=3)  # "no-show" once their slots are over
    for booking in visits[:2]:
        await change_status(sessions, booking, "no_show", over, actor_kind="staff")
    await change_status(sessions, visits[2], "checked_in", NOW, actor_kind="staff")
    await change_status(sessions, visits[2], "done", NOW, actor_kind="staff")
    await change_status(sessions, visits[3], "cancelled", NOW, actor_kind="staff")
    await rate(sessions, visits[2], Rater(TELEGRAM, 702, 702), 5, NOW)
    await rate(sessions, visits[4], Rater(TELEGRAM, 704, 704), 2, TEN + dt.timedelta(hours=3))
    open_one, _ = await file_complaint(sessions, _draft(teh1, "c1"), NOW, new_complaint_code)
    closed, _ = await file_complaint(sessions, _draft(teh1, "c2"), NOW, new_complaint_code)
    await act(sessions, closed.id, "resolved", NOW, chat=ChatRef(TELEGRAM, -10), actor_ref="9")
    await file_complaint(sessions, _draft(offices["KRJ-1"].id, "c3"), NOW, new_complaint_code)

    start, end = NOW.replace(hour=0), NOW.replace(hour=0) + dt.timedelta(days=1)
    links = await links_of_chat(sessions, ChatRef(TELEGRAM, -10))
    figures = {f.code: f for f in await office_figures(sessions, start, end, links)}
    assert set(figures) == {"TEH-1", "TEH-2"}
    teh = figures["TEH-1"]
    assert (teh.bookings, teh.no_shows, teh.ratings) == (4, 2, 2)
    assert teh.no_show_rate == pytest.approx(0.5)
    assert teh.average_rating == pytest.approx(3.5)
    assert (teh.complaints, teh.open_complaints) == (2, 1)
    assert (figures["TEH-2"].bookings, figures["TEH-2"].average_rating) == (1, None)
    assert open_one.status == "open"
    everyone = await office_figures(sessions, start, end)
    assert {f.code for f in everyone} == {"SEED", *(code for code, *_ in OFFICES)}
    nothing = await office_figures(sessions, end, end + dt.timedelta(days=1), links)
    assert all(not f.active for f in nothing)

    rows = list(csv.DictReader(io.StringIO(figures_csv(list(figures.values())))))
    assert tuple(rows[0]) == CSV_HEADER
    parsed = {row["office_code"]: row for row in rows}
    assert parsed["TEH-1"]["office_name"] == "دفتر TEH-1"
    assert parsed["TEH-1"]["no_show_rate"] == "0.50"
    assert parsed["TEH-1"]["average_rating"] == "3.50"
    assert parsed["TEH-1"]["open_complaints"] == "1"
    assert parsed["TEH-2"]["average_rating"] == ""
