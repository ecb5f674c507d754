"""A citizen narrows the nearest counters to those open at that moment, or to one network."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from dialogs import find, texts
from dialogs.callbacks import FindMore
from emulator import BotMessage, Person, Reply
from services.clock import TEHRAN
from services.closures import add_closure
from services.geo import haversine_km
from services.opening import holiday_name
from services.storage.models import Network, Office, OfficeService
from tests.helpers.find import SERVICE, SERVICE_FA, TEHRAN_VALIASR
from tests.helpers.world import World

# A Saturday that is no official holiday; the sample offices keep their usual hours.
SATURDAY = dt.date(2026, 11, 28)
_ITEM = re.compile(r"^[۰-۹]+\. (.+) — (.+)\n   📏 ([۰-۹٫٬]+) کیلومتر · (.+)$", re.MULTILINE)
_FA_TO_ASCII = str.maketrans("۰۱۲۳۴۵۶۷۸۹٫٬", "0123456789.,")


@dataclass(frozen=True)
class Item:
    """One office as a results message lists it."""

    name: str
    network: str
    km: float
    status: str


def items(message: BotMessage) -> list[Item]:
    return [
        Item(name, network, float(km.translate(_FA_TO_ASCII).replace(",", "")), status)
        for name, network, km, status in _ITEM.findall(message.text)
    ]


def names(message: BotMessage) -> list[str]:
    return [item.name for item in items(message)]


@dataclass(frozen=True)
class Candidate:
    """An office offering the service, as the database has it (the test's own scan)."""

    code: str
    name: str
    network: str  # key
    km: float
    saturday: list[list[str]]  # shifts, ["08:00", "14:00"]

    def open_on_saturday_at(self, hhmm: str) -> bool:
        return any(start <= hhmm < end for start, end in self.saturday)


async def candidates(world: World, service: str = SERVICE) -> list[Candidate]:
    """Every active office offering the service, nearest to Valiasr first."""
    async with world.deps.sessions() as session:
        rows = await session.execute(
            select(Office)
            .join(OfficeService)
            .where(OfficeService.service_key == service, Office.active)
        )
        found = [
            Candidate(
                o.code,
                o.name,
                o.network_key,
                haversine_km(*TEHRAN_VALIASR, o.lat, o.lon),
                [list(shift) for shift in o.weekly_hours.get("sat", [])],
            )
            for (o,) in rows
        ]
    return sorted(found, key=lambda c: c.km)


async def network_names(world: World) -> dict[str, str]:
    async with world.deps.sessions() as session:
        return {n.key: n.short_fa for n in await session.scalars(select(Network))}


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Sets the wall clock the find dialog reads, to a time on SATURDAY in Tehran."""
    assert holiday_name(SATURDAY) is None

    def set_to(hhmm: str) -> None:
        at = dt.datetime.combine(SATURDAY, dt.time.fromisoformat(hhmm), TEHRAN)
        monkeypatch.setattr(find, "tehran_now", lambda: at)

    set_to("10:00")
    return set_to


async def results_at_valiasr(world: World, citizen: Person) -> Reply:
    await citizen.says("نزدیکترین دفتر برای تعویض شناسنامه")
    results = await citizen.shares_location(*TEHRAN_VALIASR)
    assert results.last.text.startswith(texts.FIND_HEADER.format(service=SERVICE_FA))
    return results


def redrawn(pressed: Reply, results: Reply) -> BotMessage:
    """The results message, edited in place by a filter: no new message."""
    (message,) = pressed.messages
    assert message.message_id == results.last.message_id and message.edited
    return message


async def _close_on_saturday(
    world: World, office_code: str, from_hour: int, to_hour: int, reason: str
) -> None:
    """An office closed for some hours of SATURDAY (announced the hour before), and the
    bot's directory reloaded as it would be on its next search."""
    await add_closure(
        world.deps.sessions,
        scope="office",
        office_code=office_code,
        starts_at=dt.datetime.combine(SATURDAY, dt.time(from_hour), TEHRAN),
        ends_at=dt.datetime.combine(SATURDAY, dt.time(to_hour), TEHRAN),
        reason_fa=reason,
        now=dt.datetime.combine(SATURDAY, dt.time(from_hour - 1), TEHRAN),
    )
    world.deps.directory.expire()
    await world.deps.directory.fresh(find.tehran_now())


async def test_open_now_hides_an_office_closed_at_that_moment_and_shows_it_again(
    world: World, clock: Callable[[str], None]
) -> None:
    offering = await candidates(world)
    nearest = offering[0]
    assert nearest.open_on_saturday_at("10:00")  # only the closure keeps it shut
    await _close_on_saturday(world, nearest.code, 9, 12, "قطعی برق")

    mina = world.client.person(6001, "مینا")
    results = await results_at_valiasr(world, mina)
    everyone = items(results.last)
    assert everyone[0].name == nearest.name
    assert everyone[0].status.startswith("🔴 بسته است (قطعی برق)")
    assert texts.FIND_OPEN_NOW_OFF in results.last.labels
    assert not results.last.text.count("🔽")

    only_open = redrawn(await mina.presses(texts.FIND_OPEN_NOW_OFF), results)
    expected = [c.name for c in offering[1:] if c.open_on_saturday_at("10:00")][:5]
    assert names(only_open) == expected and nearest.name not in names(only_open)
    assert all(item.status.startswith("🟢 باز است تا") for item in items(only_open))
    filtered = texts.FIND_FILTERED.format(filters=texts.FIND_FILTER_OPEN.format(time="۱۰:۰۰"))
    assert filtered in only_open.text.splitlines()
    assert texts.FIND_OPEN_NOW_ON in only_open.labels
    assert texts.FIND_OPEN_NOW_OFF not in only_open.labels

    again = redrawn(await mina.presses(texts.FIND_OPEN_NOW_ON), results)
    assert items(again) == everyone
    assert filtered not in again.text
    assert texts.FIND_OPEN_NOW_OFF in again.labels


async def test_open_now_means_the_moment_of_the_press_by_each_offices_own_hours(
    world: World, clock: Callable[[str], None]
) -> None:
    offering = await candidates(world)
    saeed = world.client.person(6002, "سعید")
    results = await results_at_valiasr(world, saeed)
    morning = names(results.last)
    assert all(c.open_on_saturday_at("10:00") for c in offering[:5])

    clock("16:45")  # the citizen reads the list for a while, then presses
    pressed = redrawn(await saeed.presses(texts.FIND_OPEN_NOW_OFF), results)
    evening = [c.name for c in offering if c.km <= 50 and c.open_on_saturday_at("16:45")]
    assert names(pressed) == evening[:5]
    assert set(morning) - set(evening)  # offices open in the morning, shut by now
    assert "(ساعت ۱۶:۴۵)" in pressed.text
    assert (texts.FIND_MORE in pressed.labels) == (len(evening) > 5)


async def test_nothing_open_within_the_radius_is_said_and_the_filter_can_be_lifted(
    world: World, clock: Callable[[str], None]
) -> None:
    offering = await candidates(world)
    assert not any(c.open_on_saturday_at("22:00") for c in offering if c.km <= 50)
    clock("22:00")
    nasrin = world.client.person(6003, "نسرین")
    results = await results_at_valiasr(world, nasrin)
    everyone = names(results.last)
    assert len(everyone) == 5

    nothing = redrawn(await nasrin.presses(texts.FIND_OPEN_NOW_OFF), results)
    assert nothing.text == texts.FIND_NONE_FILTERED.format(
        km="۵۰",
        which=texts.FIND_NONE_WHICH,
        service=SERVICE_FA,
        open=texts.FIND_NONE_OPEN.format(time="۲۲:۰۰"),
    )
    assert names(nothing) == []
    assert texts.FIND_OPEN_NOW_ON in nothing.labels
    assert texts.FIND_NETWORK_ON.format(network=texts.FIND_ALL_NETWORKS) in nothing.labels
    assert texts.DOCS_MENU in nothing.labels

    lifted = redrawn(await nasrin.presses(texts.FIND_OPEN_NOW_ON), results)
    assert names(lifted) == everyone


async def test_the_network_filter_shows_only_that_network(
    world: World, clock: Callable[[str], None]
) -> None:
    offering = await candidates(world)
    short = await network_names(world)
    near = [c for c in offering if c.km <= 50]
    present = list(dict.fromkeys(short[c.network] for c in near))
    assert len(present) == 2  # civil registry offices and Pishkhan counters

    omid = world.client.person(6004, "امید")
    results = await results_at_valiasr(world, omid)
    everyone = items(results.last)
    assert {item.network for item in everyone} == set(present)
    all_label = texts.FIND_NETWORK_ON.format(network=texts.FIND_ALL_NETWORKS)
    labels = results.last.labels
    assert labels[labels.index(all_label) + 1 :][:2] == present  # nearest network first
    unchanged = await omid.presses(all_label, expect_reply=False)  # the one already chosen
    assert unchanged.messages == ()

    pishkhan = short["pishkhan"]
    pressed = redrawn(await omid.presses(pishkhan), results)
    assert names(pressed) == [c.name for c in near if c.network == "pishkhan"][:5]
    assert {item.network for item in items(pressed)} == {pishkhan}
    assert texts.FIND_FILTERED.format(filters=pishkhan) in pressed.text.splitlines()
    assert texts.FIND_NETWORK_ON.format(network=pishkhan) in pressed.labels
    assert texts.FIND_ALL_NETWORKS in pressed.labels and all_label not in pressed.labels
    assert texts.FIND_OPEN_NOW_OFF in pressed.labels

    back = redrawn(await omid.presses(texts.FIND_ALL_NETWORKS), results)
    assert items(back) == everyone


async def test_one_network_near_offers_no_network_choice(
    world: World, clock: Callable[[str], None]
) -> None:
    citizen = world.client.person(6005, "بهرام")
    await citizen.says("نزدیکترین دفتر برای صدور گذرنامه")
    results = await citizen.shares_location(*TEHRAN_VALIASR)
    assert {item.network for item in items(results.last)} == {"پلیس +۱۰"}
    assert texts.FIND_OPEN_NOW_OFF in results.last.labels
    assert not any(label.endswith(texts.FIND_ALL_NETWORKS) for label in results.last.labels)


async def test_filters_survive_further_away(world: World, clock: Callable[[str], None]) -> None:
    offering = await candidates(world)
    registry = (await network_names(world))["civil_registry"]
    closed = next(c for c in offering if c.network == "civil_registry")
    await _close_on_saturday(world, closed.code, 8, 11, "بازسازی")
    expected = [
        c.name
        for c in offering
        if c.network == "civil_registry" and c.open_on_saturday_at("10:00") and c != closed
    ]
    assert len(expected) > 5 and all(c.km <= 50 for c in offering if c.name in expected[:10])

    leila = world.client.person(6006, "لیلا")
    results = await results_at_valiasr(world, leila)
    await leila.presses(registry)
    first = redrawn(await leila.presses(texts.FIND_OPEN_NOW_OFF), results)
    assert names(first) == expected[:5]

    further = await leila.presses(texts.FIND_MORE)
    page = further.last
    assert page.message_id != results.last.message_id  # a new message, the first stays
    assert page.text.startswith(texts.FIND_HEADER_MORE.format(service=SERVICE_FA))
    assert names(page) == expected[5:10]
    assert {item.network for item in items(page)} == {registry}
    assert all(item.status.startswith("🟢") for item in items(page))
    both = texts.FIND_FILTER_SEPARATOR.join([texts.FIND_FILTER_OPEN.format(time="۱۰:۰۰"), registry])
    assert texts.FIND_FILTERED.format(filters=both) in page.text.splitlines()
    assert texts.FIND_OPEN_NOW_ON in page.labels
    assert texts.FIND_NETWORK_ON.format(network=registry) in page.labels

    # A filter pressed under the further page starts again from the first, in place.
    unfiltered = await leila.presses(texts.FIND_OPEN_NOW_ON, message_id=page.message_id)
    (redone,) = unfiltered.messages
    assert redone.message_id == page.message_id
    assert redone.text.startswith(texts.FIND_HEADER.format(service=SERVICE_FA))
    assert names(redone)[0] == closed.name


async def test_a_forged_filter_is_answered_as_stale_and_changes_nothing(
    world: World, clock: Callable[[str], None]
) -> None:
    kian = world.client.person(6007, "کیان")
    results = await results_at_valiasr(world, kian)
    before = (await world.client.messages(kian.chat_id))[-1]
    forged = [
        "fp:birth_certificate_replacement:0:357000:514100:1:abcdef",  # no such network
        "fp:birth_certificate_replacement:0:357000:514100:2:",
        "fp:birth_certificate_replacement:0:357000:514100:1:pishkhan",
        "fp:birth_certificate_replacement:0:999999:514100:1:",
        "fp:birth_certificate_replacement:0:357000:514100:1",
    ]
    for data in forged:
        reply = await kian.presses(texts.FIND_OPEN_NOW_OFF, data=data)
        assert reply.text == texts.MENU_AGAIN
        assert reply.last.message_id != results.last.message_id
    answers = await world.client.callback_answers(kian.chat_id)
    assert [a["text"] for a in answers] == [texts.STALE_BUTTON] * len(forged)
    messages = await world.client.messages(kian.chat_id)
    after = next(m for m in messages if m.message_id == before.message_id)
    assert not after.edited and after.text == before.text and after.buttons == before.buttons


async def test_a_further_button_sent_before_the_filters_still_works(
    world: World, clock: Callable[[str], None]
) -> None:
    offering = await candidates(world)
    parisa = world.client.person(6008, "پریا")
    await results_at_valiasr(world, parisa)
    old = FindMore(SERVICE, 1, round(TEHRAN_VALIASR[0] * 10_000), round(TEHRAN_VALIASR[1] * 10_000))
    further = await parisa.presses(texts.FIND_MORE, data=old.pack())
    assert names(further.last) == [c.name for c in offering[5:10]]
    assert texts.FIND_OPEN_NOW_OFF in further.last.labels
    (answer,) = await world.client.callback_answers(parisa.chat_id)
    assert not answer.get("text")  # no stale notice
