#!/usr/bin/env python3
"""Build the shipped divisions and SAMPLE office data from files in this repository.

A development-time tool (standard library only): run it from anywhere as

    python3 tools/make_sample_data.py

then check the result with ``git diff services/data``. It reads

- ``tools/data/iran-divisions/*.csv``: provinces, counties, cities and city points
  (SaliBhdr/typhoon-iran-cities, MIT; see the README there); ``--divisions DIR`` reads a newer
  copy of that folder instead;
- ``services/data/catalogue.json``: the networks, which of them offer which service, and
  which services need no visit. The catalogue is the one place these facts are written; after
  changing them, run the tool again so the sample offices follow.

and writes ``services/data/divisions.json``, ``services/data/sample_offices.json`` and
``services/data/NOTICE-iran-divisions.txt`` (``--out`` elsewhere). The installed bot reads only
those files.

The output is deterministic: the same inputs and seed give byte-identical files. The offices
are fictional (names, addresses, phones, hours and service lists are generated); only the
cities and their points are real.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import statistics
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

SEED: Final = 1403
SUSPECT_KM: Final = 250.0
# Iran's bounding box, generous by a little: (lat_min, lat_max, lon_min, lon_max).
IRAN_BOX: Final = (25.0, 40.0, 44.0, 63.5)
COORD_DECIMALS: Final = 5
EARTH_KM: Final = 6371.0088

# --- Services per network --------------------------------------------------------------------

# How common each service is among a network's offices (uneven on purpose), in the order the
# draws are made. This only tunes the sample: which network offers which service is the
# catalogue's word (load_offers). A service the catalogue gives a network that is not listed
# here gets DEFAULT_SHARE and is drawn after the listed ones.
DEFAULT_SHARE: Final = 0.5
SERVICE_SHARE: Final[dict[str, dict[str, float]]] = {
    "pishkhan": {
        "bill_payment": 0.9,
        "insurance_history": 0.85,
        "subsidy": 0.85,
        "landline_services": 0.6,
        "sim_card_services": 0.55,
        "unemployment_insurance": 0.5,
        "bus_ticket": 0.45,
        "optional_insurance": 0.4,
        "post_bank": 0.35,
        "smart_national_card": 0.3,
        "birth_certificate_duplicate": 0.25,
        "birth_certificate_replacement": 0.22,
        "birth_registration": 0.15,
        "car_scrapping": 0.15,
    },
    "police10": {
        "passport_issue": 0.88,
        "driving_licence_renewal": 0.86,
        "traffic_fines": 0.8,
        "passport_lost": 0.7,
        "driving_licence_duplicate": 0.7,
        "fuel_card": 0.6,
        "vehicle_owner_address_change": 0.6,
        "military_card_replacement": 0.5,
        "military_service_exemption": 0.45,
        "military_dispatch": 0.4,
        "amaken_permit": 0.35,
        "business_licence": 0.2,
    },
    "judicial": {
        "criminal_record": 0.95,
        "sana_registration": 0.9,
        "lawsuit_filing": 0.8,
        "judicial_notice": 0.7,
    },
    "municipal": {
        "municipal_tolls": 0.7,
        "building_permit": 0.6,
        "renewal_clearance": 0.6,
        "vehicle_tolls": 0.55,
        "completion_certificate": 0.5,
        "no_violation_certificate": 0.5,
        "construction_complaint": 0.35,
        "traffic_zone_permit": 0.25,
    },
    "rural_ict": {
        "bill_payment": 0.9,
        "subsidy": 0.8,
        "post_parcel": 0.7,
        "insurance_history": 0.6,
        "post_bank": 0.6,
        "landline_services": 0.5,
    },
    "post": {"post_parcel": 0.98, "post_bank": 0.85, "smart_national_card": 0.4},
    "civil_registry": {
        "birth_certificate_duplicate": 0.9,
        "birth_registration": 0.9,
        "smart_national_card": 0.85,
        "birth_certificate_replacement": 0.85,
        "death_registration": 0.85,
        "national_card_lost": 0.8,
        "name_change": 0.5,
    },
    "plate_center": {"plate_transfer": 0.95, "plate_duplicate": 0.7},
    "social_security": {"insurance_history": 0.95, "optional_insurance": 0.8},
    "guild_union": {"business_licence": 1.0},
    "inspection_center": {"technical_inspection": 1.0},
}


@dataclass(frozen=True)
class Offers:
    """What the catalogue lets sample offices offer."""

    shares: dict[str, dict[str, float]]  # network -> its services -> share, in draw order
    no_visit: frozenset[str]  # services done online only: no province needs a counter for them


def load_offers(path: Path) -> Offers:
    """The catalogue's networks per service, with this tool's shares attached."""
    catalogue = json.loads(path.read_text(encoding="utf-8"))
    offered: dict[str, list[str]] = {n["key"]: [] for n in catalogue["networks"]}
    for service in catalogue["services"]:
        for network in service["networks"]:
            if network not in offered:
                raise SystemExit(f"{path}: {service['key']} names unknown network {network!r}")
            offered[network].append(service["key"])
    shares: dict[str, dict[str, float]] = {}
    for network, services in offered.items():
        tuned = SERVICE_SHARE.get(network, {})
        if stale := sorted(set(tuned) - set(services)):
            print(
                f"warning: {network} no longer offers {stale}; drop them from SERVICE_SHARE",
                file=sys.stderr,
            )
        shares[network] = {s: share for s, share in tuned.items() if s in services}
        shares[network].update((s, DEFAULT_SHARE) for s in services if s not in tuned)
    placed = {network for mix in TIER_MIX.values() for network in mix}
    if unknown := sorted(placed - set(offered)):
        raise SystemExit(f"{path}: TIER_MIX places networks the catalogue lacks: {unknown}")
    if idle := sorted(n for n in placed if not shares[n]):
        raise SystemExit(f"{path}: networks with sample offices but no services: {idle}")
    if unplaced := sorted(n for n in offered if shares[n] and n not in placed):
        print(f"warning: no sample offices for {unplaced}; add them to TIER_MIX", file=sys.stderr)
    no_visit = frozenset(
        s["key"] for s in catalogue["services"] if not s.get("visit_required", True)
    )
    return Offers(shares, no_visit)


# --- Cities: how big, hence how many offices of which network ---------------------------------

# The listed big cities, with a size factor relative to Mashhad.
BIG_CITIES: Final[dict[tuple[str, str], float]] = {
    ("خراسان رضوی", "مشهد"): 1.0,
    ("اصفهان", "اصفهان"): 0.85,
    ("البرز", "کرج"): 0.8,
    ("فارس", "شیراز"): 0.8,
    ("آذربایجان شرقی", "تبریز"): 0.75,
    ("قم", "قم"): 0.6,
    ("خوزستان", "اهواز"): 0.6,
}
TEHRAN: Final = ("تهران", "تهران")

# Province capitals (names as the source spells them); small ones get fewer offices.
CAPITALS: Final[dict[str, str]] = {
    "آذربایجان شرقی": "تبریز",
    "آذربایجان غربی": "ارومیه",
    "اردبیل": "اردبیل",
    "اصفهان": "اصفهان",
    "البرز": "کرج",
    "ایلام": "ایلام",
    "بوشهر": "بوشهر",
    "تهران": "تهران",
    "چهارمحال و بختیاری": "شهرکرد",
    "خراسان جنوبی": "بیرجند",
    "خراسان رضوی": "مشهد",
    "خراسان شمالی": "بجنورد",
    "خوزستان": "اهواز",
    "زنجان": "زنجان",
    "سمنان": "سمنان",
    "سیستان و بلوچستان": "زاهدان",
    "فارس": "شیراز",
    "قزوین": "قزوین",
    "قم": "قم",
    "کردستان": "سنندج",
    "کرمان": "کرمان",
    "کرمانشاه": "کرمانشاه",
    "کهگیلویه و بویراحمد": "یاسوج",
    "گلستان": "گرگان",
    "گیلان": "رشت",
    "لرستان": "خرم آباد",
    "مازندران": "ساری",
    "مرکزی": "اراک",
    "هرمزگان": "بندرعباس",
    "همدان": "همدان",
    "یزد": "یزد",
}
SMALL_CAPITALS: Final = frozenset(
    {"ایلام", "یاسوج", "شهرکرد", "بجنورد", "سمنان", "بیرجند", "بوشهر"}
)

# Large cities that are not province capitals (a population proxy; roughly > 150,000).
LARGE_CITIES: Final = frozenset(
    {
        ("تهران", "اسلامشهر"),
        ("تهران", "شهریار"),
        ("تهران", "قدس"),
        ("تهران", "ملارد"),
        ("تهران", "ورامین"),
        ("تهران", "پاکدشت"),
        ("تهران", "قرچک"),
        ("تهران", "نسیم شهر"),
        ("تهران", "رباطکریم"),
        ("تهران", "پرند"),
        ("البرز", "نظرآباد"),
        ("البرز", "هشتگرد"),
        ("خراسان رضوی", "نیشابور"),
        ("خراسان رضوی", "سبزوار"),
        ("خراسان رضوی", "تربت حیدریه"),
        ("خراسان رضوی", "قوچان"),
        ("خراسان رضوی", "کاشمر"),
        ("اصفهان", "کاشان"),
        ("اصفهان", "خمینی شهر"),
        ("اصفهان", "نجف آباد"),
        ("اصفهان", "شاهین شهر"),
        ("خوزستان", "دزفول"),
        ("خوزستان", "آبادان"),
        ("خوزستان", "خرمشهر"),
        ("خوزستان", "اندیمشک"),
        ("خوزستان", "بهبهان"),
        ("خوزستان", "بندرماهشهر"),
        ("خوزستان", "ایذه"),
        ("لرستان", "بروجرد"),
        ("مرکزی", "ساوه"),
        ("آذربایجان شرقی", "مراغه"),
        ("آذربایجان شرقی", "مرند"),
        ("آذربایجان شرقی", "میانه"),
        ("آذربایجان غربی", "خوی"),
        ("آذربایجان غربی", "میاندوآب"),
        ("آذربایجان غربی", "بوکان"),
        ("آذربایجان غربی", "مهاباد"),
        ("همدان", "ملایر"),
        ("مازندران", "بابل"),
        ("مازندران", "آمل"),
        ("گلستان", "گنبدکاووس"),
        ("گیلان", "بندرانزلی"),
        ("کرمان", "سیرجان"),
        ("کرمان", "رفسنجان"),
        ("کرمان", "بم"),
        ("سیستان و بلوچستان", "ایرانشهر"),
        ("سیستان و بلوچستان", "چابهار"),
        ("فارس", "مرودشت"),
        ("فارس", "کازرون"),
        ("فارس", "جهرم"),
        ("سمنان", "شاهرود"),
        ("کرمانشاه", "اسلام آبادغرب"),
        ("کردستان", "سقز"),
    }
)

# Expected number of offices per network in one city of each tier (the fraction is a chance).
TIER_MIX: Final[dict[str, dict[str, float]]] = {
    "tehran": {
        "pishkhan": 40,
        "police10": 24,
        "municipal": 26,
        "judicial": 14,
        "post": 10,
        "civil_registry": 8,
        "social_security": 6,
        "plate_center": 5,
        "guild_union": 4,
        "inspection_center": 3,
    },
    "big": {
        "pishkhan": 14,
        "police10": 8,
        "municipal": 7,
        "judicial": 5,
        "post": 4,
        "civil_registry": 3,
        "social_security": 3,
        "plate_center": 2,
        "guild_union": 2,
        "inspection_center": 2,
    },
    "capital": {
        "pishkhan": 5,
        "police10": 3,
        "municipal": 2.5,
        "judicial": 2,
        "post": 2,
        "civil_registry": 1.2,
        "social_security": 1,
        "plate_center": 1,
        "guild_union": 1,
        "inspection_center": 1,
    },
    "large": {
        "pishkhan": 1.8,
        "police10": 1.1,
        "municipal": 0.8,
        "judicial": 0.7,
        "post": 0.8,
        "civil_registry": 0.7,
        "social_security": 0.4,
        "plate_center": 0.3,
        "guild_union": 0.3,
        "inspection_center": 0.4,
    },
    "seat": {
        "pishkhan": 0.5,
        "police10": 0.35,
        "municipal": 0.2,
        "judicial": 0.15,
        "post": 0.25,
        "civil_registry": 0.15,
        "rural_ict": 0.05,
        "social_security": 0.04,
        "inspection_center": 0.03,
    },
    "town": {"rural_ict": 0.11, "pishkhan": 0.03, "post": 0.02},
}
# Networks that every capital (hence every province) must have at least once.
CORE_NETWORKS: Final = ("pishkhan", "police10", "judicial", "post", "civil_registry")

# Radius (km) of the disc around a city's point that its offices are spread over.
TIER_RADIUS_KM: Final[dict[str, float]] = {
    "big": 4.0,
    "capital": 3.0,
    "large": 2.0,
    "seat": 1.0,
    "town": 0.6,
}
TEHRAN_DISTRICT_RADIUS_KM: Final = 1.8

# Approximate centre points of Tehran's 22 municipal districts (مناطق ۱ تا ۲۲), by hand from
# general knowledge of the city; good to a kilometre or two, not survey data.
TEHRAN_DISTRICTS: Final[tuple[tuple[float, float], ...]] = (
    (35.8000, 51.4650),  # 1: Tajrish, Niavaran, Darband
    (35.7700, 51.3650),  # 2: Shahrak-e Gharb, Saadat Abad
    (35.7600, 51.4300),  # 3: Vanak, Jordan, Davoudieh
    (35.7600, 51.5200),  # 4: Majidieh, Lavizan, Tehranpars north
    (35.7500, 51.3000),  # 5: Punak, Jannat Abad, Shahran
    (35.7200, 51.4000),  # 6: Valiasr, Keshavarz, Yusef Abad
    (35.7250, 51.4450),  # 7: Abbas Abad, Sohrevardi, Shariati
    (35.7300, 51.4900),  # 8: Narmak, Tehranpars west
    (35.6850, 51.3300),  # 9: Mehrabad, Azadi
    (35.6850, 51.3700),  # 10: Salsabil, Karun
    (35.6800, 51.4000),  # 11: Rah Ahan, Amirieh, Monirieh
    (35.6750, 51.4300),  # 12: Bazaar, old city
    (35.7050, 51.4900),  # 13: Tehran-e No, Piroozi north
    (35.6750, 51.4700),  # 14: Piroozi, Khavaran, Shahid Mahallati
    (35.6350, 51.4800),  # 15: Masoudieh, Afsarieh
    (35.6350, 51.4050),  # 16: Javadieh, Naziabad
    (35.6550, 51.3700),  # 17: Abuzar, Zamzam
    (35.6550, 51.2900),  # 18: Yaft Abad west, Shadabad
    (35.6250, 51.3500),  # 19: Khani Abad, Nemat Abad
    (35.5900, 51.4400),  # 20: Shahr-e Rey
    (35.7000, 51.2200),  # 21: Tehransar, Chitgar south
    (35.7550, 51.1800),  # 22: Chitgar lake, Shahrak-e Chitgar
)

# Landline area codes (with the trunk 0) per province.
AREA_CODES: Final[dict[str, str]] = {
    "آذربایجان شرقی": "041",
    "آذربایجان غربی": "044",
    "اردبیل": "045",
    "اصفهان": "031",
    "البرز": "026",
    "ایلام": "084",
    "بوشهر": "077",
    "تهران": "021",
    "چهارمحال و بختیاری": "038",
    "خراسان جنوبی": "056",
    "خراسان رضوی": "051",
    "خراسان شمالی": "058",
    "خوزستان": "061",
    "زنجان": "024",
    "سمنان": "023",
    "سیستان و بلوچستان": "054",
    "فارس": "071",
    "قزوین": "028",
    "قم": "025",
    "کردستان": "087",
    "کرمان": "034",
    "کرمانشاه": "083",
    "کهگیلویه و بویراحمد": "074",
    "گلستان": "017",
    "گیلان": "013",
    "لرستان": "066",
    "مازندران": "011",
    "مرکزی": "086",
    "هرمزگان": "076",
    "همدان": "081",
    "یزد": "035",
}

NOTICE_FA: Final = (
    "این فهرست نمونه است: برای آزمودن ربات به‌طور خودکار ساخته شده و دفترهای آن واقعی نیستند. "
    "نام‌ها، نشانی‌ها، شماره‌تلفن‌ها، ساعت‌های کار و خدمات ساختگی‌اند و فقط شهرها و "
    "موقعیت تقریبی آن‌ها واقعی است. برای مراجعه، نشانی دفتر را از منبع رسمی بپرسید."
)

STREETS: Final = (
    "امام خمینی",
    "انقلاب",
    "آزادی",
    "شهید بهشتی",
    "طالقانی",
    "مطهری",
    "شریعتی",
    "فردوسی",
    "حافظ",
    "سعدی",
    "کشاورز",
    "پاسداران",
    "جمهوری اسلامی",
    "شهید چمران",
    "دانشگاه",
    "معلم",
    "ملت",
    "بسیج",
    "ولیعصر",
    "شهید رجایی",
    "شهید باهنر",
    "امام رضا",
    "شهید مدنی",
    "سلمان فارسی",
    "کارگر",
    "استقلال",
    "پیروزی",
    "ابوذر",
    "۱۷ شهریور",
    "۲۲ بهمن",
    "فلسطین",
    "شهدا",
    "نواب",
    "جانبازان",
    "خیام",
    "مولوی",
    "عدالت",
    "سپاه",
    "هفت تیر",
    "نبوت",
)
ALLEYS: Final = (
    "لاله",
    "نسترن",
    "یاس",
    "نرگس",
    "بهار",
    "گلستان",
    "اقاقیا",
    "شقایق",
    "ارغوان",
    "مریم",
    "سوسن",
    "شهید رضایی",
    "شهید احمدی",
    "شهید کریمی",
    "شهید حسینی",
    "شهید محمدی",
    "دوم",
    "سوم",
    "پنجم",
    "هفتم",
    "دوازدهم",
    "۱۴",
    "۸",
    "۲۱",
    "۶",
    "۳۲",
    "فرهنگ",
    "امید",
)
LANDMARKS: Final = (
    "بانک ملی",
    "مسجد جامع",
    "پارک شهر",
    "اداره برق",
    "بیمارستان امام",
    "میدان شهدا",
    "اداره مخابرات",
    "بانک ملت",
    "پاساژ مرکزی",
    "آموزش و پرورش",
    "دبیرستان فردوسی",
    "ایستگاه آتش‌نشانی",
)
TRADES: Final = (
    "پوشاک",
    "خواربارفروشان",
    "آرایشگران مردانه",
    "مشاوران املاک",
    "فروشندگان لوازم خانگی",
    "نانوایان",
    "تعمیرکاران خودرو",
    "فروشندگان لوازم یدکی",
    "رستوران‌داران",
    "کفاشان",
    "طلا و جواهر",
    "لوازم التحریر",
)

DAYS: Final = ("sat", "sun", "mon", "tue", "wed", "thu", "fri")
Interval = list[str]

FA_DIGITS: Final = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def fa(number: int) -> str:
    """Write a number with Persian digits."""
    return str(number).translate(FA_DIGITS)


# --- Geometry ----------------------------------------------------------------------------------


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_KM * math.asin(math.sqrt(h))


def in_iran_box(lat: float, lon: float) -> bool:
    lat_min, lat_max, lon_min, lon_max = IRAN_BOX
    return lat_min <= lat <= lat_max and lon_min <= lon <= lon_max


def jitter(rng: random.Random, lat: float, lon: float, radius_km: float) -> tuple[float, float]:
    """A point uniformly distributed in a disc of ``radius_km`` around (lat, lon)."""
    r = radius_km * math.sqrt(rng.random())
    theta = rng.uniform(0, 2 * math.pi)
    dlat = (r * math.cos(theta)) / 111.32
    dlon = (r * math.sin(theta)) / (111.32 * math.cos(math.radians(lat)))
    return round(lat + dlat, COORD_DECIMALS), round(lon + dlon, COORD_DECIMALS)


def median_point(points: Sequence[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(p[0] for p in points), statistics.median(p[1] for p in points)


def nearest_district(lat: float, lon: float) -> int:
    best = min(
        range(len(TEHRAN_DISTRICTS)),
        key=lambda i: distance_km(lat, lon, *TEHRAN_DISTRICTS[i]),
    )
    return best + 1


# --- Divisions ---------------------------------------------------------------------------------


@dataclass
class City:
    id: int
    name: str
    province_id: int
    county_id: int
    source_lat: float
    source_lon: float
    lat: float | None = None
    lon: float | None = None
    coord_quality: str = "source"


@dataclass
class Divisions:
    provinces: dict[int, dict[str, Any]]
    counties: dict[int, dict[str, Any]]
    cities: dict[int, City]
    suspects_listed: set[int] = field(default_factory=set)
    fixed: list[int] = field(default_factory=list)
    dropped: list[int] = field(default_factory=list)
    out_of_box: list[int] = field(default_factory=list)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def load_divisions(folder: Path) -> Divisions:
    provinces = {
        int(r["id"]): {"id": int(r["id"]), "name": r["name"], "code": r["code"]}
        for r in read_csv(folder / "provinces.csv")
    }
    counties = {
        int(r["id"]): {"id": int(r["id"]), "name": r["name"], "province_id": int(r["province_id"])}
        for r in read_csv(folder / "counties.csv")
    }
    points = {
        int(r["city_id"]): (float(r["lat"]), float(r["lon"]))
        for r in read_csv(folder / "city_coordinates.csv")
    }
    cities: dict[int, City] = {}
    for r in read_csv(folder / "cities.csv"):
        city_id = int(r["id"])
        lat, lon = points[city_id]
        cities[city_id] = City(
            id=city_id,
            name=r["name"],
            province_id=int(r["province_id"]),
            county_id=int(r["county_id"]),
            source_lat=lat,
            source_lon=lon,
        )
        if counties[cities[city_id].county_id]["province_id"] != cities[city_id].province_id:
            raise SystemExit(f"city {city_id}: county and province disagree")
    listed = {int(r["city_id"]) for r in read_csv(folder / "suspect_coordinates.csv")}
    return Divisions(provinces, counties, cities, suspects_listed=listed)


def fix_coordinates(div: Divisions) -> None:
    """Replace far-away city points by their county's median, or drop them."""
    by_province: dict[int, list[City]] = defaultdict(list)
    for city in div.cities.values():
        by_province[city.province_id].append(city)
    suspects: set[int] = set()
    for members in by_province.values():
        centre = median_point([(c.source_lat, c.source_lon) for c in members])
        for c in members:
            if distance_km(c.source_lat, c.source_lon, *centre) > SUSPECT_KM:
                suspects.add(c.id)
    if suspects != div.suspects_listed:
        print(
            f"warning: computed suspects differ from suspect_coordinates.csv: "
            f"{sorted(suspects ^ div.suspects_listed)}",
            file=sys.stderr,
        )
    suspects |= div.suspects_listed

    by_county: dict[int, list[City]] = defaultdict(list)
    for city in div.cities.values():
        if city.id not in suspects:
            by_county[city.county_id].append(city)

    for city in sorted(div.cities.values(), key=lambda c: c.id):
        if city.id not in suspects:
            city.lat, city.lon, city.coord_quality = city.source_lat, city.source_lon, "source"
            continue
        good = by_county.get(city.county_id, [])
        if good:
            lat, lon = median_point([(c.source_lat, c.source_lon) for c in good])
            city.lat, city.lon, city.coord_quality = lat, lon, "county_median"
            div.fixed.append(city.id)
        else:
            city.lat, city.lon, city.coord_quality = None, None, "missing"
            div.dropped.append(city.id)

    for city in div.cities.values():
        if city.lat is not None and city.lon is not None and not in_iran_box(city.lat, city.lon):
            city.lat, city.lon, city.coord_quality = None, None, "missing"
            div.out_of_box.append(city.id)


def divisions_document(div: Divisions) -> dict[str, Any]:
    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, COORD_DECIMALS)

    return {
        "source": (
            "SaliBhdr/typhoon-iran-cities (MIT, (c) 2019 Salar Bahador), csv/; "
            "division codes: Statistical Centre of Iran, 1399"
        ),
        "notice": "NOTICE-iran-divisions.txt",
        "generated_by": "tools/make_sample_data.py",
        "coord_quality": {
            "source": "the point given by the source",
            "county_median": "the source point was > 250 km from its province; replaced by the "
            "median point of the other cities of its county",
            "missing": "the source point was unusable and no replacement was found",
        },
        "provinces": [div.provinces[k] for k in sorted(div.provinces)],
        "counties": [div.counties[k] for k in sorted(div.counties)],
        "cities": [
            {
                "id": c.id,
                "name": c.name,
                "province_id": c.province_id,
                "county_id": c.county_id,
                "lat": rounded(c.lat),
                "lon": rounded(c.lon),
                "coord_quality": c.coord_quality,
            }
            for c in sorted(div.cities.values(), key=lambda c: c.id)
        ],
        "tehran_districts_note": (
            "Approximate centre points of Tehran's 22 municipal districts, for assigning a "
            "district to a point; not survey data."
        ),
        "tehran_districts": [
            {"number": i + 1, "lat": lat, "lon": lon}
            for i, (lat, lon) in enumerate(TEHRAN_DISTRICTS)
        ],
    }


# --- Offices -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    city: City
    province: str
    county: str
    tier: str
    size: float  # scales the tier's office counts


def classify(div: Divisions) -> list[Place]:
    """Tier every usable city, biggest first within each province."""
    places: list[Place] = []
    seen_named: set[tuple[str, str]] = set()
    for city in div.cities.values():
        if city.coord_quality not in ("source", "county_median"):
            continue
        province = div.provinces[city.province_id]["name"]
        county = div.counties[city.county_id]["name"]
        key = (province, city.name)
        size = 1.0
        if key == TEHRAN:
            tier = "tehran"
        elif key in BIG_CITIES:
            tier, size = "big", BIG_CITIES[key]
        elif CAPITALS.get(province) == city.name:
            tier = "capital"
            size = 0.7 if city.name in SMALL_CAPITALS else 1.0
        elif key in LARGE_CITIES:
            tier = "large"
        elif city.name == county:
            tier = "seat"
        else:
            tier = "town"
        if tier != "seat" and tier != "town":
            seen_named.add(key)
        places.append(Place(city, province, county, tier, size))
    expected = {TEHRAN} | set(BIG_CITIES) | set(CAPITALS.items()) | set(LARGE_CITIES)
    if missing := expected - seen_named:
        raise SystemExit(f"named cities not found among usable cities: {sorted(missing)}")
    order = {"tehran": 0, "big": 1, "capital": 2, "large": 3, "seat": 4, "town": 5}
    places.sort(key=lambda p: (p.city.province_id, order[p.tier], p.city.id))
    return places


def office_count(rng: random.Random, expected: float) -> int:
    whole = math.floor(expected)
    return whole + (1 if rng.random() < expected - whole else 0)


class OfficeMaker:
    """Generates fictional offices; keeps the state that makes them unique."""

    def __init__(self, rng: random.Random, offers: Offers) -> None:
        self.rng = rng
        self.offers = offers
        self.points: set[tuple[float, float]] = set()
        self.phones: set[str] = set()
        self.numbers: dict[tuple[str, str], set[int]] = defaultdict(set)
        self.names: set[str] = set()
        self.tehran_districts: list[int] = []

    # -- location --

    def point(self, place: Place) -> tuple[float, float, int | None]:
        assert place.city.lat is not None and place.city.lon is not None
        for _ in range(1000):
            district: int | None = None
            if place.tier == "tehran":
                if not self.tehran_districts:
                    self.tehran_districts = list(range(1, 23))
                    self.rng.shuffle(self.tehran_districts)
                centre = TEHRAN_DISTRICTS[self.tehran_districts.pop() - 1]
                lat, lon = jitter(self.rng, *centre, TEHRAN_DISTRICT_RADIUS_KM)
                district = nearest_district(lat, lon)
            else:
                radius = TIER_RADIUS_KM[place.tier] * (0.75 + 0.25 * place.size)
                lat, lon = jitter(self.rng, place.city.lat, place.city.lon, radius)
            if in_iran_box(lat, lon) and (lat, lon) not in self.points:
                self.points.add((lat, lon))
                return lat, lon, district
        raise RuntimeError(f"no free point near city {place.city.id}")

    # -- texts --

    def number(self, province: str, network: str, low: int, high: int) -> int:
        used = self.numbers[(province, network)]
        while True:
            n = self.rng.randint(low, high)
            if n not in used:
                used.add(n)
                return n

    def name(self, network: str, place: Place, index: int, district: int | None) -> str:
        city, province = place.city.name, place.province
        where = f"منطقه {fa(district)} {city}" if district else city
        if network == "pishkhan":
            return f"دفتر پیشخوان دولت شماره {fa(self.number(province, network, 100, 9999))} {city}"
        if network == "police10":
            return f"دفتر پلیس +۱۰ کد {fa(self.number(province, network, 100, 9999))} {city}"
        if network == "judicial":
            code = fa(self.number(province, network, 1000, 99999))
            return f"دفتر خدمات الکترونیک قضایی کد {code} {city}"
        if network == "municipal":
            code = fa(self.number(province, network, 100, 999))
            return f"دفتر خدمات الکترونیک شهر شماره {code} {where}"
        if network == "rural_ict":
            code = fa(self.number(province, network, 1000, 9999))
            return f"دفتر ICT روستایی {city} کد {code}"
        if network == "post":
            return (
                f"اداره پست مرکزی {city}"
                if index == 0
                else (f"اداره پست شعبه {fa(index + 1)} {where}")
            )
        if network == "civil_registry":
            return (
                f"اداره ثبت احوال {city}"
                if index == 0
                else (f"اداره ثبت احوال ناحیه {fa(index + 1)} {city}")
            )
        if network == "plate_center":
            return (
                f"مرکز تعویض پلاک راهور {city}"
                if index == 0
                else (f"مرکز تعویض پلاک راهور شماره {fa(index + 1)} {city}")
            )
        if network == "social_security":
            return f"شعبه {fa(index + 1)} تامین اجتماعی {city}"
        if network == "guild_union":
            return f"اتحادیه صنف {TRADES[index % len(TRADES)]} {city}"
        if network == "inspection_center":
            return f"مرکز معاینه فنی خودرو شماره {fa(index + 1)} {city}"
        raise ValueError(network)

    def address(self, district: int | None) -> str:
        rng = self.rng
        street = f"{rng.choice(('خیابان', 'خیابان', 'خیابان', 'بلوار'))} {rng.choice(STREETS)}"
        roll = rng.random()
        if roll < 0.55:
            detail = f"کوچه {rng.choice(ALLEYS)}"
        elif roll < 0.75:
            detail = f"نبش کوچه {rng.choice(ALLEYS)}"
        elif roll < 0.9:
            detail = f"روبه‌روی {rng.choice(LANDMARKS)}"
        else:
            detail = f"جنب {rng.choice(LANDMARKS)}"
        text = f"{street}، {detail}، پلاک {fa(rng.randint(1, 420))}"
        if rng.random() < 0.2:
            text += f"، طبقه {rng.choice(('همکف', 'اول', 'دوم'))}"
        return f"منطقه {fa(district)}، {text}" if district else text

    def phone(self, province: str) -> str:
        while True:
            number = (
                AREA_CODES[province]
                + str(self.rng.randint(3, 7))
                + (f"{self.rng.randint(0, 9_999_999):07d}")
            )
            if number not in self.phones:
                self.phones.add(number)
                return number

    # -- hours, services, desks --

    def hours(self, network: str, tier: str) -> dict[str, list[Interval]]:
        rng = self.rng
        government = network in ("post", "civil_registry", "social_security", "plate_center")
        split = False
        roll = rng.random()
        if government or network == "inspection_center":
            if roll < 0.5:
                day = [["08:00", "14:00"]]
            elif roll < 0.85:
                day = [["07:30", "13:30"]]
            elif network == "inspection_center":
                day, split = [["07:30", "13:00"], ["15:00", "18:00"]], True
            else:
                day = [["07:00", "14:00"]]
        elif roll < 0.45:
            day = [["08:00", "14:00"]]
        elif roll < 0.7:
            day = [["07:30", "13:30"]]
        elif roll < 0.95:
            split = True
            day = rng.choice(
                (
                    [["08:00", "13:00"], ["16:00", "19:00"]],
                    [["08:30", "13:30"], ["16:30", "20:00"]],
                    [["08:00", "12:30"], ["15:30", "18:30"]],
                )
            )
        else:
            day = [["08:00", "16:00"]]
        week: dict[str, list[Interval]] = {d: [list(i) for i in day] for d in DAYS[:5]}
        if split and rng.random() < 0.15:  # no afternoon shift on Wednesdays
            week["wed"] = [list(day[0])]

        tehran_government = tier == "tehran" and government
        if tehran_government:
            thursday_open = False
        elif network in ("post", "civil_registry"):
            thursday_open = rng.random() < 0.25
        elif government:
            thursday_open = rng.random() < 0.4
        else:
            thursday_open = rng.random() < 0.65
        closing = "13:00" if split and rng.random() < 0.3 else "12:00"
        week["thu"] = [[day[0][0], closing]] if thursday_open else []

        friday_open = network in ("pishkhan", "police10", "rural_ict", "inspection_center")
        week["fri"] = [["09:00", "12:00"]] if friday_open and rng.random() < 0.025 else []
        return week

    def services(self, network: str) -> list[str]:
        shares = self.offers.shares[network]
        chosen = [s for s, share in shares.items() if self.rng.random() < share]
        if not chosen:
            chosen = [max(shares, key=lambda s: shares[s])]
        return sorted(chosen)

    def desks(self, network: str, tier: str) -> int:
        low, high = {
            "pishkhan": (1, 4),
            "police10": (2, 5),
            "judicial": (1, 3),
            "municipal": (1, 4),
            "rural_ict": (1, 1),
            "post": (2, 6),
            "civil_registry": (2, 6),
            "plate_center": (3, 6),
            "social_security": (3, 6),
            "guild_union": (1, 2),
            "inspection_center": (2, 5),
        }[network]
        if tier in ("seat", "town"):
            high = max(low, high - 2)
        return self.rng.randint(low, high)

    def office(self, place: Place, network: str, index: int) -> dict[str, Any]:
        lat, lon, district = self.point(place)
        name = self.name(network, place, index, district)
        while name in self.names:  # two centres with the same number: say which district
            name += f" ({fa(district or index + 1)})"
        self.names.add(name)
        return {
            "code": "",
            "name": name,
            "network": network,
            "province": place.province,
            "county": place.county,
            "city": place.city.name,
            "district": district,
            "address": self.address(district),
            "lat": lat,
            "lon": lon,
            "phone": self.phone(place.province),
            "hours": self.hours(network, place.tier),
            "services": self.services(network),
            "desks": self.desks(network, place.tier),
        }


def make_offices(
    places: Iterable[Place], rng: random.Random, offers: Offers
) -> list[dict[str, Any]]:
    maker = OfficeMaker(rng, offers)
    offices: list[dict[str, Any]] = []
    for place in places:
        for network, expected in TIER_MIX[place.tier].items():
            count = office_count(rng, expected * place.size)
            if place.tier in ("tehran", "big", "capital") and network in CORE_NETWORKS:
                count = max(count, 1)
            offices.extend(maker.office(place, network, i) for i in range(count))
    ensure_service_coverage(offices, rng, offers)
    for number, office in enumerate(offices, start=1):
        office["code"] = f"S-{number:04d}"
    return offices


def ensure_service_coverage(
    offices: list[dict[str, Any]], rng: random.Random, offers: Offers
) -> None:
    """Every in-person service of a network is offered in each province where it has offices."""
    by_group: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for office in offices:
        by_group[(office["province"], office["network"])].append(office)
    for (_province, network), members in by_group.items():
        for service in offers.shares[network]:
            if service in offers.no_visit:
                continue
            if any(service in o["services"] for o in members):
                continue
            # Offices are listed biggest city first: give it to one in the biggest city.
            biggest = [o for o in members if o["city"] == members[0]["city"]]
            chosen = rng.choice(biggest)
            chosen["services"] = sorted([*chosen["services"], service])


# --- Output ------------------------------------------------------------------------------------


def compact(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def dump_document(document: dict[str, Any]) -> str:
    """JSON with each record of a list of records on its own line (readable diffs)."""
    parts = []
    for key, value in document.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            body = "[\n" + ",\n".join(compact(item) for item in value) + "\n]"
        else:
            body = compact(value)
        parts.append(f"{compact(key)}:{body}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def notice_text(div: Divisions, office_count: int) -> str:
    fixed, dropped = len(div.fixed), len(div.dropped)
    return f"""\
Iran's administrative divisions and city points in divisions.json and sample_offices.json

Source: the public repository SaliBhdr/typhoon-iran-cities, folder csv/
(provinces.csv, counties.csv, cities.csv, city_coordinates.csv), released under the MIT
licence below. Its division codes come from the Statistical Centre of Iran (1399).

Changes made by tools/make_sample_data.py:
- Kept provinces (id, name, code), counties (id, name, province_id) and cities (id, name,
  province_id, county_id, lat, lon); dropped the other columns; stripped whitespace from
  names (the names are otherwise as in the source, with spaces where a half-space would be
  correct). Rounded points to {COORD_DECIMALS} decimals.
- {len(div.suspects_listed)} cities lay more than {SUSPECT_KM:.0f} km from the median point of
  their province (mostly towns that got the point of a namesake elsewhere). {fixed} of them
  now carry the median point of the other cities of their county
  (coord_quality "county_median"); {dropped} have no such cities and lost their point
  (lat/lon null, coord_quality "missing"). All other points are as given
  (coord_quality "source"). Every point kept lies within lat 25-40, lon 44-63.5.
- Added approximate centre points of Tehran's 22 municipal districts (our own estimate,
  not from the source).
- sample_offices.json holds {office_count} FICTIONAL offices placed around these city points;
  only the division names and city points come from the source.

MIT License

Copyright (c) 2019 Salar Bahador

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""


def summary(div: Divisions, offices: list[dict[str, Any]], out: Path) -> str:
    per_network = Counter(o["network"] for o in offices)
    per_province = Counter(o["province"] for o in offices)
    low = min(per_province.items(), key=lambda kv: kv[1])
    high = max(per_province.items(), key=lambda kv: kv[1])
    tehran = [o for o in offices if o["province"] == "تهران" and o["city"] == "تهران"]
    lines = [
        f"offices: {len(offices)} in {len(per_province)} provinces "
        f"(min {low[1]} {low[0]}, max {high[1]} {high[0]}); Tehran city {len(tehran)} "
        f"in {len({o['district'] for o in tehran})} districts",
        "per network: " + ", ".join(f"{k} {v}" for k, v in per_network.most_common()),
        f"suspect cities: {len(div.suspects_listed)}; fixed {len(div.fixed)} (county median), "
        f"dropped {len(div.dropped)}; out of box {len(div.out_of_box)}",
    ]
    for name in ("divisions.json", "sample_offices.json", "NOTICE-iran-divisions.txt"):
        lines.append(f"{name}: {(out / name).stat().st_size:,} bytes")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    root = Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--divisions",
        type=Path,
        default=root / "tools" / "data" / "iran-divisions",
        help="the folder of divisions CSVs (default: tools/data/iran-divisions)",
    )
    parser.add_argument(
        "--catalogue",
        type=Path,
        default=root / "services" / "data" / "catalogue.json",
        help="the catalogue saying which network offers which service",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=root / "services" / "data",
        help="where to write the JSON files (default: services/data)",
    )
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)

    offers = load_offers(args.catalogue)
    div = load_divisions(args.divisions)
    fix_coordinates(div)
    rng = random.Random(args.seed)
    offices = make_offices(classify(div), rng, offers)

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    (out / "divisions.json").write_text(dump_document(divisions_document(div)), encoding="utf-8")
    sample = {
        "sample": True,
        "notice_fa": NOTICE_FA,
        "generated_by": "tools/make_sample_data.py",
        "offices": offices,
    }
    (out / "sample_offices.json").write_text(dump_document(sample), encoding="utf-8")
    (out / "NOTICE-iran-divisions.txt").write_text(notice_text(div, len(offices)), encoding="utf-8")
    print(summary(div, offices, out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
