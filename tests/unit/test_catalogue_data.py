"""The shipped service catalogue, checked for what a citizen would notice if it were wrong."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CATALOGUE_FILE = Path(__file__).resolve().parents[2] / "services" / "data" / "catalogue.json"
SAMPLE_FILE = CATALOGUE_FILE.with_name("sample_offices.json")

NO_VISIT = {"bill_payment", "municipal_tolls", "vehicle_tolls"}
# Services a citizen may need even when counters serve only essentials.
MUST_BE_ESSENTIAL = {
    "smart_national_card",
    "national_card_lost",
    "birth_registration",
    "death_registration",
    "passport_issue",
    "driving_licence_renewal",
    "military_dispatch",
}
MUST_NOT_BE_ESSENTIAL = {"bill_payment", "bus_ticket", "municipal_tolls", "vehicle_tolls"}

ARABIC_YEH_KAF = re.compile("[\u064a\u0643]")
ASCII_DIGIT = re.compile("[0-9]")
ZWNJ = "\u200c"


@pytest.fixture(scope="module")
def catalogue() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))
    return document


@pytest.fixture(scope="module")
def sample_offices() -> list[dict[str, Any]]:
    offices: list[dict[str, Any]] = json.loads(SAMPLE_FILE.read_text(encoding="utf-8"))["offices"]
    return offices


@pytest.fixture(scope="module")
def services(catalogue: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {service["key"]: service for service in catalogue["services"]}


def _persian_fields(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every user-facing Persian text: values of *_fa fields, at any depth."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key.endswith("_fa") and isinstance(value, str):
                yield f"{path}.{key}", value
            else:
                yield from _persian_fields(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _persian_fields(item, f"{path}[{index}]")


def _folded(alias: str) -> str:
    return alias.lower().replace(" ", "").replace(ZWNJ, "")


def test_the_catalogue_offers_at_least_forty_services(services: dict[str, dict[str, Any]]) -> None:
    assert len(services) >= 40


def test_service_keys_are_not_repeated(catalogue: dict[str, Any]) -> None:
    keys = [service["key"] for service in catalogue["services"]]
    assert len(keys) == len(set(keys))


# Which network offers which service is written once, in catalogue.json; the sample offices
# are generated from it (tools/make_sample_data.py). These checks catch the two drifting apart.


def test_networks_are_described_once(catalogue: dict[str, Any]) -> None:
    keys = [network["key"] for network in catalogue["networks"]]
    assert len(keys) == len(set(keys))
    for network in catalogue["networks"]:
        assert network["name_fa"] and network["short_fa"] and network["description_fa"]


def test_every_service_is_offered_at_some_sample_office(
    catalogue: dict[str, Any], sample_offices: list[dict[str, Any]]
) -> None:
    offered = {key for office in sample_offices for key in office["services"]}
    assert [s["key"] for s in catalogue["services"] if s["key"] not in offered] == []


def test_every_network_offering_a_service_has_sample_offices(
    catalogue: dict[str, Any], sample_offices: list[dict[str, Any]]
) -> None:
    named = {network for service in catalogue["services"] for network in service["networks"]}
    assert named - {office["network"] for office in sample_offices} == set()


def test_sample_offices_offer_only_what_the_catalogue_gives_their_network(
    catalogue: dict[str, Any], sample_offices: list[dict[str, Any]]
) -> None:
    networks = {network["key"] for network in catalogue["networks"]}
    pairs = {(s["key"], n) for s in catalogue["services"] for n in s["networks"]}
    wrong = [
        (office["code"], key)
        for office in sample_offices
        for key in office["services"]
        if office["network"] not in networks or (key, office["network"]) not in pairs
    ]
    assert wrong == []


def test_where_a_network_has_offices_each_of_its_visited_services_is_there(
    catalogue: dict[str, Any], sample_offices: list[dict[str, Any]]
) -> None:
    # A citizen told that a network offers a service finds it in their own province, wherever
    # that network has sample offices; fails when the catalogue gains a pair the sample lacks.
    offered: dict[tuple[str, str], set[str]] = defaultdict(set)
    for office in sample_offices:
        offered[(office["province"], office["network"])].update(office["services"])
    missing = [
        (province, network, service["key"])
        for (province, network), keys in sorted(offered.items())
        for service in catalogue["services"]
        if service["visit_required"] and network in service["networks"]
        if service["key"] not in keys
    ]
    assert missing == []


def test_every_referenced_network_and_category_exists(catalogue: dict[str, Any]) -> None:
    network_keys = {network["key"] for network in catalogue["networks"]}
    category_keys = {category["key"] for category in catalogue["categories"]}
    for service in catalogue["services"]:
        assert set(service["networks"]) <= network_keys, service["key"]
        assert service["category"] in category_keys, service["key"]


def test_every_category_has_services_and_there_are_a_handful(catalogue: dict[str, Any]) -> None:
    used = {service["category"] for service in catalogue["services"]}
    declared = [category["key"] for category in catalogue["categories"]]
    assert len(declared) == len(set(declared))
    assert set(declared) == used
    assert 8 <= len(declared) <= 11


def test_a_citizen_who_must_visit_is_told_what_to_bring(catalogue: dict[str, Any]) -> None:
    for service in catalogue["services"]:
        if service["visit_required"]:
            assert service["documents"], f"{service['key']} lists no documents"
        for document in service["documents"]:
            assert document["name_fa"].strip(), service["key"]


def test_only_the_fully_online_services_need_no_visit(services: dict[str, dict[str, Any]]) -> None:
    assert {key for key, service in services.items() if not service["visit_required"]} == NO_VISIT


def test_a_service_that_needs_no_visit_says_where_to_do_it_online(
    services: dict[str, dict[str, Any]],
) -> None:
    for key in NO_VISIT:
        online = services[key]["online"]
        assert online is not None, key
        assert online["url"] and online["name_fa"], key


def test_online_links_are_secure(catalogue: dict[str, Any]) -> None:
    for service in catalogue["services"]:
        if service["online"] is not None:
            assert service["online"]["url"].startswith("https://"), service["key"]


def test_fees_are_whole_rials_with_a_jalali_year_and_a_source(catalogue: dict[str, Any]) -> None:
    for service in catalogue["services"]:
        fee = service["fee"]
        if fee is None:
            continue
        assert isinstance(fee["amount_rial"], int) and not isinstance(fee["amount_rial"], bool)
        assert fee["amount_rial"] > 0, service["key"]
        assert isinstance(fee["year"], int) and 1400 <= fee["year"] <= 1406, service["key"]
        assert fee["source"], service["key"]


def test_the_passport_fee_is_the_reported_1404_total(services: dict[str, dict[str, Any]]) -> None:
    fee = services["passport_issue"]["fee"]
    assert (fee["amount_rial"], fee["year"]) == (11_620_000, 1404)


def test_persian_text_uses_persian_yeh_and_kaf(catalogue: dict[str, Any]) -> None:
    raw = CATALOGUE_FILE.read_text(encoding="utf-8")
    assert not ARABIC_YEH_KAF.search(raw)
    for where, text in _persian_fields(catalogue):
        assert not ARABIC_YEH_KAF.search(text), where


def test_persian_text_uses_persian_digits(catalogue: dict[str, Any]) -> None:
    offenders = [where for where, text in _persian_fields(catalogue) if ASCII_DIGIT.search(text)]
    assert offenders == []


def test_the_yearly_change_notice_is_there(catalogue: dict[str, Any]) -> None:
    assert catalogue["version"]
    assert catalogue["notice_fa"].strip()


def test_aliases_point_to_one_service_only(catalogue: dict[str, Any]) -> None:
    owner: dict[str, str] = {}
    clashes = []
    for service in catalogue["services"]:
        for alias in {_folded(alias) for alias in service["aliases"]}:
            if alias in owner:
                clashes.append((alias, owner[alias], service["key"]))
            owner[alias] = service["key"]
    assert clashes == []


def test_each_service_has_a_useful_number_of_aliases(catalogue: dict[str, Any]) -> None:
    # Aliases are the vocabulary free text is matched against: enough to catch how people
    # say it, not so many that one service swallows others' words.
    for service in catalogue["services"]:
        assert 6 <= len(service["aliases"]) <= 30, service["key"]
        assert all(alias.strip() for alias in service["aliases"]), service["key"]


def test_counter_slots_are_realistic(catalogue: dict[str, Any]) -> None:
    for service in catalogue["services"]:
        assert 10 <= service["slot_minutes"] <= 30, service["key"]


def test_crisis_essentials_are_marked(services: dict[str, dict[str, Any]]) -> None:
    assert all(services[key]["essential"] for key in MUST_BE_ESSENTIAL)
    assert not any(services[key]["essential"] for key in MUST_NOT_BE_ESSENTIAL)


def test_every_service_names_its_sources(catalogue: dict[str, Any]) -> None:
    for service in catalogue["services"]:
        assert service["sources"], service["key"]
