"""`pishkhan supervisor` and `pishkhan report` as an operator uses them, on a SQLite file."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import re
from pathlib import Path

import pytest

from bot.cli import main
from nlp.tracking import new_complaint_code
from services.booking import book, change_status
from services.clock import tehran_now
from services.complaints import ComplaintDraft, file_complaint
from services.feedback import Rater, rate
from services.identity import TELEGRAM, ChatRef, UserRef
from services.storage.db import create_engine, session_factory
from services.storage.migrate import upgrade_to_head
from services.storage.models import Office
from services.supervision import link_supervisor_chat, links_of_chat
from tests.helpers.booking_data import (
    NOW,
    RULES,
    TEN,
    VAULT,
    new_code,
    office_with_desks,
    request,
    valid_national_code,
)

_CODE = re.compile(r"/supervise ([0-9A-Z]{5}-[0-9A-Z]{5})")


async def _prepare(url: str) -> None:
    """Two offices of Tehran county (one busy), one of Karaj, on Saturday 7 Azar 1405."""
    engine = create_engine(url)
    await upgrade_to_head(engine)
    sessions = session_factory(engine)
    try:
        busy = await office_with_desks(sessions, 3, code="TEH-1")
        quiet = await office_with_desks(sessions, 1, code="TEH-2")
        karaj = await office_with_desks(sessions, 1, code="KRJ-1")
        async with sessions() as session, session.begin():
            for office_id, province, county in (
                (busy, "تهران", "تهران"),
                (quiet, "تهران", "تهران"),
                (karaj, "البرز", "کرج"),
            ):
                office = await session.get(Office, office_id)
                assert office is not None
                office.province, office.county = province, county
        visits = []
        for n in range(4):
            view, _ = await book(
                sessions, VAULT, RULES,
                request(busy, 800 + n, valid_national_code(800 + n), TEN + dt.timedelta(hours=n)),
                NOW, new_code,
            )  # fmt: skip
            visits.append(view.id)
        over = TEN + dt.timedelta(hours=1)  # "no-show" once the slot is over
        await change_status(sessions, visits[0], "no_show", over, actor_kind="staff")
        await change_status(sessions, visits[1], "checked_in", NOW, actor_kind="staff")
        await change_status(sessions, visits[1], "done", NOW, actor_kind="staff")
        await rate(sessions, visits[1], Rater(TELEGRAM, 801, 801), 5, NOW)
        await rate(sessions, visits[2], Rater(TELEGRAM, 802, 802), 4, TEN + dt.timedelta(hours=4))
        for office_id in (busy, karaj):
            await file_complaint(
                sessions,
                ComplaintDraft(
                    office_id=office_id, booking_id=None,
                    citizen=UserRef(TELEGRAM, 900), chat_id=900,
                    citizen_name=None, kind="other", description="مدیر نبود",
                    receipt_file_id=None, idempotency_key=f"k{office_id}",
                ),
                NOW,
                new_complaint_code,
            )  # fmt: skip
    finally:
        await engine.dispose()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'ops.db'}"
    asyncio.run(_prepare(url))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PISHKHAN_DATABASE_URL", url)
    return url


def test_a_supervisor_code_links_a_chat_once(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["supervisor", "link", "--county", "تهران/تهران", "--hours", "2"]) == 0
    out = capsys.readouterr().out
    assert "county تهران/تهران" in out
    match = _CODE.search(out)
    assert match is not None

    async def use(code: str) -> int:
        engine = create_engine(database)
        sessions = session_factory(engine)
        try:
            await link_supervisor_chat(
                sessions, code, ChatRef(TELEGRAM, -55), 55, "ناظر", tehran_now()
            )
            return len(await links_of_chat(sessions, ChatRef(TELEGRAM, -55)))
        finally:
            await engine.dispose()

    assert asyncio.run(use(match.group(1))) == 1
    assert main(["supervisor", "list"]) == 0
    assert "-55\t1 member(s)\tcounty تهران/تهران" in capsys.readouterr().out
    assert main(["supervisor", "unlink", "-55"]) == 0
    assert main(["supervisor", "unlink", "-55"]) == 2
    assert "supervises nothing" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args",
    [
        ["--county", "تهران/شمیرانات"],
        ["--county", "تهران"],
        ["--province", "کرمان"],
        ["--office", "NOPE"],
        ["--network", "nope"],
    ],
)
def test_a_scope_with_no_office_is_refused(
    database: str, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    assert main(["supervisor", "link", *args]) == 2
    assert capsys.readouterr().err.strip()


def test_the_report_is_csv_excel_reads_as_utf8(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "azar.csv"
    arguments = ["report", "--from", "1405/09/01", "--to", "۱۴۰۵/۰۹/۳۰", "--out", str(out)]
    assert main([*arguments, "--scope", "county:تهران/تهران"]) == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM that makes Excel read UTF-8
    rows = {r["office_code"]: r for r in csv.DictReader(raw.decode("utf-8-sig").splitlines())}
    assert set(rows) == {"TEH-1", "TEH-2"}
    busy = rows["TEH-1"]
    assert (busy["bookings"], busy["no_shows"], busy["no_show_rate"]) == ("4", "1", "0.25")
    assert (busy["ratings"], busy["average_rating"]) == ("2", "4.50")
    assert (busy["complaints"], busy["open_complaints"]) == ("1", "1")
    assert busy["office_name"] == "دفتر TEH-1" and busy["county"] == "تهران"
    assert rows["TEH-2"]["bookings"] == "0" and rows["TEH-2"]["average_rating"] == ""

    # The whole country, to stdout; a day with nothing is all zeros.
    assert main(["report", "--from", "1405/09/08", "--to", "1405/09/08"]) == 0
    lines = list(csv.DictReader(capsys.readouterr().out.splitlines()))
    assert len(lines) == 3 and all(r["bookings"] == "0" for r in lines)


@pytest.mark.parametrize(
    "args",
    [
        ["--from", "1405/13/01", "--to", "1405/09/30"],
        ["--from", "1405/09/30", "--to", "1405/09/01"],
        ["--from", "1405/09/01", "--to", "1405/09/30", "--scope", "city:تهران"],
        ["--from", "1405/09/01", "--to", "1405/09/30", "--scope", "county:البرز/تهران"],
    ],
)
def test_a_bad_report_request_is_refused(
    database: str, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    assert main(["report", *args]) == 2
    assert capsys.readouterr().err.strip()
