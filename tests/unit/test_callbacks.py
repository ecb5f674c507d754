"""Buttons carry typed data; a forged or stale payload is refused, never run."""

from __future__ import annotations

import json

import pytest

from dialogs.callbacks import (
    MAX_DOCUMENTS,
    CallbackData,
    FindMore,
    FindPage,
    MenuChoice,
    MyBooking,
    StaffDocs,
    network_tag,
    tagged_network,
)
from services.catalogue import shipped_service_names
from services.sample_data import shipped_file


def test_a_menu_button_round_trips() -> None:
    packed = MenuChoice("docs").pack()
    assert packed == "m:docs"
    assert CallbackData.parse(packed) == MenuChoice("docs")


@pytest.mark.parametrize(
    "data",
    [
        "m:teleport", "m", "m:docs:extra", "zz:docs", "", None, "m:" + "x" * 80, 17,
        f"mb:cancel:{2**63}", f"sx:{-(2**63) - 1}:1", "mb:cancel:--5", "mb:cancel:-",
        "mb:cancel:٥", "mb:cancel:+5", "mb:cancel: 5",
    ],
)  # fmt: skip
def test_forged_or_stale_payloads_do_not_parse(data: object) -> None:
    assert CallbackData.parse(data) is None


def test_the_largest_64_bit_id_still_parses() -> None:
    assert CallbackData.parse(f"mb:cancel:{2**63 - 1}") == MyBooking("cancel", 2**63 - 1)


def test_packing_refuses_what_telegram_would_reject() -> None:
    with pytest.raises(ValueError):
        MenuChoice("a" * 70).pack()
    with pytest.raises(ValueError):
        MenuChoice("a:b").pack()


def test_a_filtered_page_of_every_shipped_service_fits_a_button() -> None:
    """The longest key beside the farthest coordinates, both filters and the last page."""
    for service in shipped_service_names():
        for network in ("", network_tag("a_network_key_as_long_as_the_column_allows")):
            page = FindPage(service.key, 20, -900_000, -1_800_000, 1, network)
            assert CallbackData.parse(page.pack()) == page


@pytest.mark.parametrize(
    "data",
    [
        "fp:birth_certificate_replacement:0:357000:514100:2:",  # open now is 0 or 1
        "fp:birth_certificate_replacement:0:357000:514100:1:pishkhan",  # a key, not a tag
        "fp:birth_certificate_replacement:0:357000:514100:1:ABCDEF",
        "fp:birth_certificate_replacement:-1:357000:514100:0:",
        "fp:birth_certificate_replacement:21:357000:514100:0:",
        "fp:birth_certificate_replacement:0:357000:514100:0",  # a field short
        "fp:Birth:0:357000:514100:0:",
    ],
)
def test_forged_filters_do_not_parse(data: str) -> None:
    assert CallbackData.parse(data) is None


def test_a_further_button_sent_before_the_filters_still_parses() -> None:
    old = "fm:birth_certificate_replacement:1:357000:514100"
    assert CallbackData.parse(old) == FindMore("birth_certificate_replacement", 1, 357000, 514100)


def test_a_network_tag_names_one_network_of_those_known() -> None:
    catalogue = json.loads(shipped_file("catalogue.json").read_text(encoding="utf-8"))
    keys = [network["key"] for network in catalogue["networks"]]
    assert len({network_tag(key) for key in keys}) == len(keys) > 5
    assert tagged_network(network_tag("civil_registry"), keys) == "civil_registry"
    assert tagged_network(network_tag("a_network_gone"), keys) is None


def test_every_shipped_services_documents_fit_the_missing_documents_picker() -> None:
    """A bit per document of the longest list, the largest booking id: one button each."""
    catalogue = json.loads(shipped_file("catalogue.json").read_text(encoding="utf-8"))
    longest = max(len(service["documents"]) for service in catalogue["services"])
    assert longest <= MAX_DOCUMENTS
    for index in range(longest):
        pick = StaffDocs("toggle", 2**63 - 1, 2**longest - 1, index)
        assert CallbackData.parse(pick.pack()) == pick


@pytest.mark.parametrize(
    "data",
    [
        "sd:toggle:5:0:16",  # past the longest list
        "sd:toggle:5:65536:0",  # a bit past it
        "sd:send:0:1:0",
        "sd:drop:5:1:0",
        "sd:toggle:9223372036854775808:1:0",  # an id past 2**63
        "sa:teleport:5",
    ],
)
def test_forged_staff_buttons_do_not_parse(data: str) -> None:
    assert CallbackData.parse(data) is None
