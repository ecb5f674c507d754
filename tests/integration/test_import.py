"""An operator imports real offices and catalogue: all of a file, or nothing of it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from services.importing import ImportFailed, import_catalogue, import_offices
from services.storage.models import Office, OfficeService, Service, ServiceNetwork
from tests.helpers.data import DATA

HEADER = (
    "code,name,network,province,county,city,district,address,lat,lon,phone,hours,services,desks"
)
GOOD_ROWS = [
    'T-1,دفتر پلیس +۱۰ کد ۱۰۱,police10,تهران,تهران,تهران,6,خیابان فاطمی,35.7219,51.3890,02188000000,"sat-wed 08:00-14:00; thu 08:00-12:00",passport_issue,3',  # noqa: E501
    'T-2,دفتر پیشخوان ۲۰۲,pishkhan,اصفهان,اصفهان,اصفهان,,خیابان چهارباغ,32.6539,51.6660,03132000000,"sat-wed 07:30-13:30,16:00-19:00",birth_certificate_duplicate|bill_payment,2',  # noqa: E501
]


def _csv(tmp_path: Path, rows: list[str], name: str = "offices.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


async def _count(sessions: async_sessionmaker[AsyncSession], model: type[object]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
async def catalogued(
    sessions: async_sessionmaker[AsyncSession],
) -> async_sessionmaker[AsyncSession]:
    await import_catalogue(sessions, DATA / "mini_catalogue.json")
    return sessions


async def test_catalogue_import_loads_services_with_their_networks(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    result = await import_catalogue(sessions, DATA / "mini_catalogue.json")
    assert (result.created, result.updated) == (3, 0)
    again = await import_catalogue(sessions, DATA / "mini_catalogue.json")
    assert (again.created, again.updated) == (0, 3)
    assert await _count(sessions, Service) == 3
    async with sessions() as session:
        passport = await session.get(
            Service, "passport_issue", options=[selectinload(Service.networks)]
        )
        assert passport is not None
        assert passport.fee_rial == 11620000 and passport.fee_year == 1404
        assert [n.key for n in passport.networks] == ["police10"]
        assert await session.scalar(select(func.count()).select_from(ServiceNetwork)) == 3


async def test_offices_csv_imports_and_reimport_updates_instead_of_doubling(
    catalogued: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    result = await import_offices(catalogued, _csv(tmp_path, GOOD_ROWS))
    assert (result.created, result.updated) == (2, 0)
    changed = GOOD_ROWS[1].replace("bill_payment", "bill_payment|").replace(",2", ",4")
    result = await import_offices(catalogued, _csv(tmp_path, [GOOD_ROWS[0], changed]))
    assert (result.created, result.updated) == (0, 2)
    async with catalogued() as session:
        office = (
            await session.scalars(
                select(Office).where(Office.code == "T-2").options(selectinload(Office.services))
            )
        ).one()
        assert office.desks == 4
        assert office.weekly_hours["sat"] == [["07:30", "13:30"], ["16:00", "19:00"]]
        assert office.weekly_hours["fri"] == []
        assert sorted(s.service_key for s in office.services) == [
            "bill_payment",
            "birth_certificate_duplicate",
        ]
    assert await _count(catalogued, Office) == 2


async def test_one_bad_row_is_reported_by_line_and_field_and_nothing_is_imported(
    catalogued: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    await import_offices(catalogued, _csv(tmp_path, GOOD_ROWS[:1]))
    renamed = GOOD_ROWS[0].replace("کد ۱۰۱", "کد ۹۹۹")
    bad = GOOD_ROWS[1].replace("32.6539", "95.5")  # latitude outside Iran
    path = _csv(tmp_path, [renamed, bad, GOOD_ROWS[1].replace("T-2", "T-3")])
    with pytest.raises(ImportFailed) as failure:
        await import_offices(catalogued, path)
    assert [(p.line, p.field) for p in failure.value.problems] == [(3, "lat")]
    assert "line 3, field lat" in str(failure.value)
    assert await _count(catalogued, Office) == 1
    async with catalogued() as session:
        office = (await session.scalars(select(Office))).one()
        assert office.name == "دفتر پلیس +۱۰ کد ۱۰۱"  # the good row before the bad one: not applied


async def test_a_service_the_network_does_not_offer_is_refused(
    catalogued: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    wrong = GOOD_ROWS[0].replace("passport_issue", "passport_issue|bill_payment")
    unknown = GOOD_ROWS[1].replace("bill_payment", "teleportation")
    with pytest.raises(ImportFailed) as failure:
        await import_offices(catalogued, _csv(tmp_path, [wrong, unknown]))
    messages = [str(p) for p in failure.value.problems]
    assert messages == [
        "line 2, field services: service 'bill_payment' is not offered by 'police10'",
        "line 3, field services: unknown service 'teleportation'",
    ]
    assert await _count(catalogued, Office) == 0
    assert await _count(catalogued, OfficeService) == 0


async def test_bad_hours_and_duplicate_codes_are_reported(
    catalogued: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    bad_hours = GOOD_ROWS[1].replace("07:30-13:30", "13:30-07:30")
    with pytest.raises(ImportFailed) as failure:
        await import_offices(catalogued, _csv(tmp_path, [GOOD_ROWS[0], GOOD_ROWS[0], bad_hours]))
    found = {(p.line, p.field) for p in failure.value.problems}
    assert found == {(3, "code"), (4, "hours")}


async def test_json_offices_report_the_line_of_the_bad_record(
    catalogued: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    good = {
        "code": "J-1",
        "name": "دفتر پیشخوان",
        "network": "pishkhan",
        "province": "فارس",
        "county": "شیراز",
        "city": "شیراز",
        "lat": 29.61,
        "lon": 52.53,
        "hours": {"sat": [["08:00", "14:00"]]},
        "services": ["bill_payment"],
    }
    bad = {**good, "code": "J-2", "services": []}
    text = '{\n  "offices": [\n' + json.dumps(good, ensure_ascii=False) + ",\n"
    text += json.dumps(bad, ensure_ascii=False) + "\n  ]\n}\n"
    path = tmp_path / "offices.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ImportFailed) as failure:
        await import_offices(catalogued, path)
    assert [(p.line, p.field) for p in failure.value.problems] == [(4, "services")]
    assert await _count(catalogued, Office) == 0


async def test_catalogue_csv_with_an_unknown_network_changes_nothing(
    catalogued: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    path = tmp_path / "catalogue.csv"
    path.write_text(
        "key,name_fa,category,networks,documents,fee_rial,fee_year\n"
        "fuel_card,کارت سوخت,travel,police10,کارت خودرو: اصل,,\n"
        "passport_issue,گذرنامه جدید,travel,police11,اصل شناسنامه,5000000,1405\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportFailed) as failure:
        await import_catalogue(catalogued, path)
    assert [str(p) for p in failure.value.problems] == [
        "line 3, field networks: unknown network 'police11'; known: pishkhan, police10"
    ]
    async with catalogued() as session:
        assert await session.get(Service, "fuel_card") is None
        passport = await session.get(
            Service, "passport_issue", options=[selectinload(Service.networks)]
        )
        assert passport is not None and passport.name_fa == "صدور و تمدید گذرنامه"


async def test_a_service_key_too_long_for_a_button_is_refused(
    catalogued: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    path = tmp_path / "catalogue.csv"
    long_key = "vehicle_ownership_document_replacement"  # 38 characters
    path.write_text(
        "key,name_fa,category,networks,documents,fee_rial,fee_year\n"
        f"{long_key},سند مالکیت خودرو,travel,police10,کارت خودرو: اصل,,\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportFailed) as failure:
        await import_catalogue(catalogued, path)
    assert [(p.line, p.field) for p in failure.value.problems] == [(2, "key")]
    async with catalogued() as session:
        assert await session.get(Service, long_key) is None


async def test_an_office_may_add_its_own_note_to_a_service_it_offers(
    catalogued: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    header = HEADER + ",service_notes"
    row = GOOD_ROWS[1] + ',"bill_payment: فقط صبح‌ها، با کارت بانکی"'
    path = tmp_path / "offices.csv"
    path.write_text(f"{header}\n{row}\n", encoding="utf-8")
    await import_offices(catalogued, path)
    async with catalogued() as session:
        notes = dict(
            (await session.execute(select(OfficeService.service_key, OfficeService.note_fa))).all()
        )
    assert notes == {"birth_certificate_duplicate": "", "bill_payment": "فقط صبح‌ها، با کارت بانکی"}

    stray = row.replace("bill_payment: فقط", "passport_issue: فقط")
    path.write_text(f"{header}\n{stray}\n", encoding="utf-8")
    with pytest.raises(ImportFailed, match="line 2, field service_notes"):
        await import_offices(catalogued, path)
