"""Load an operator's offices, catalogue or closures from CSV or JSON: all of a file, or none
of it.

Every row is validated first and every problem is reported by line and field; only a file
without problems is written, in one transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.clock import LATIN_DIGITS
from services.closures import (
    ClosurePlan,
    ClosuresAnnounced,
    ClosuresRefused,
    announce_closures,
    closure_problems,
)
from services.records import (
    WEEKDAYS,
    CatalogueFile,
    CategoryRecord,
    ClosureRecord,
    NetworkRecord,
    OfficeRecord,
    ServiceRecord,
)
from services.storage.models import (
    DataImport,
    Network,
    Office,
    OfficeService,
    Service,
    ServiceCategory,
    ServiceNetwork,
)

# Spreadsheets in Iran often carry Persian or Arabic-Indic digits.
_DIGITS = LATIN_DIGITS
_TRUE = {"1", "true", "yes", "y", "بله", "فعال"}
_FALSE = {"0", "false", "no", "n", "خیر", "غیرفعال"}


@dataclass(frozen=True)
class ImportProblem:
    """One thing wrong with one row, phrased for the operator who must fix the file."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, field {self.field}: {self.message}"


class ImportFailed(Exception):
    """The file was rejected; nothing of it was written."""

    def __init__(self, problems: Sequence[ImportProblem]) -> None:
        self.problems = list(problems)
        shown = "\n".join(f"  {p}" for p in self.problems[:50])
        more = len(self.problems) - 50
        super().__init__(
            f"{len(self.problems)} problem(s), nothing imported:\n{shown}"
            + (f"\n  … and {more} more" if more > 0 else "")
        )


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int


@dataclass(frozen=True)
class ClosuresImported:
    added: int
    skipped: int  # already stored: same scope, place, start and end
    bookings_told: int


R = TypeVar("R", bound=BaseModel)


# --- Reading files into (line, raw row) pairs -----------------------------------------------


def _file_format(path: Path, text: str) -> str:
    suffix = path.suffix.lower()
    if suffix in (".json", ".csv"):
        return suffix[1:]
    return "json" if text.lstrip().startswith(("{", "[")) else "csv"


def _json_records(text: str, key: str) -> list[tuple[int, Any]]:
    """The records of a JSON list (top-level, or under ``key``) with the line each starts on."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFailed([ImportProblem(exc.lineno, "-", f"not valid JSON: {exc.msg}")]) from None
    if isinstance(document, dict) and not isinstance(document.get(key), list):
        raise ImportFailed([ImportProblem(1, key, f'expected a list under "{key}"')])
    if not isinstance(document, dict | list):
        raise ImportFailed([ImportProblem(1, "-", "expected a JSON object or list")])
    decoder = json.JSONDecoder()

    def skip(position: int, chars: str = " \t\r\n") -> int:
        while position < len(text) and text[position] in chars:
            position += 1
        return position

    position = skip(0, " \t\r\n\ufeff")
    if isinstance(document, dict):
        # Walk the top-level members, so a same-named field inside a record is never taken.
        position = skip(position + 1)
        while True:
            name, position = decoder.raw_decode(text, position)
            position = skip(skip(position) + 1)  # past the colon
            if name == key:
                break
            _, position = decoder.raw_decode(text, position)
            position = skip(skip(position) + 1)  # past the comma
    position += 1  # past the opening bracket of the list
    records: list[tuple[int, Any]] = []
    while True:
        position = skip(position, " \t\r\n,")
        if position >= len(text) or text[position] == "]":
            return records
        value, end = decoder.raw_decode(text, position)
        records.append((text.count("\n", 0, position) + 1, value))
        position = end


def _csv_rows(text: str) -> list[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    rows = []
    for row in reader:
        if None in row:
            raise ImportFailed([ImportProblem(reader.line_num, "-", "more cells than columns")])
        cleaned = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        if any(cleaned.values()):
            rows.append((reader.line_num, cleaned))
    return rows


def _split(value: str) -> list[str]:
    return [part.strip() for part in re.split(r"[|،,]", value) if part.strip()]


def _optional(value: str) -> str | None:
    return value or None


def _bool(value: str, default: bool) -> bool | str:
    lowered = value.lower()
    if not lowered:
        return default
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    return value  # left for validation to reject with a clear message


def parse_hours(text: str) -> dict[str, list[tuple[str, str]]]:
    """Parse ``sat-wed 08:00-14:00; thu 08:00-12:00; fri closed`` into weekly hours."""
    hours: dict[str, list[tuple[str, str]]] = {day: [] for day in WEEKDAYS}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        days_text, _, times_text = part.partition(" ")
        days: list[str] = []
        for chunk in days_text.lower().split(","):
            first, _, last = chunk.partition("-")
            if first not in WEEKDAYS or (last and last not in WEEKDAYS):
                raise ValueError(f"unknown day in {part!r}; days are {', '.join(WEEKDAYS)}")
            i, j = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
            days.extend(WEEKDAYS[i : j + 1] if i <= j else WEEKDAYS[i:] + WEEKDAYS[: j + 1])
        times_text = times_text.strip()
        if times_text.lower() in ("closed", "تعطیل"):
            intervals: list[tuple[str, str]] = []
        else:
            intervals = []
            for span in times_text.split(","):
                start, sep, end = span.strip().partition("-")
                if not sep:
                    raise ValueError(f"expected HH:MM-HH:MM in {part!r}")
                intervals.append((start.strip(), end.strip()))
        for day in days:
            hours[day] = intervals
    return hours


def _office_from_csv(row: Mapping[str, str]) -> dict[str, Any]:
    raw: dict[str, Any] = dict(row)
    for field in ("district", "lat", "lon", "phone", "hours", "desks"):
        raw[field] = row.get(field, "").translate(_DIGITS)
    raw["district"] = _optional(row.get("district", ""))
    raw["services"] = _split(row.get("services", ""))
    raw["service_notes"] = {
        key.strip(): note.strip()
        for key, _, note in (
            item.partition(":") for item in row.get("service_notes", "").split("|") if item.strip()
        )
    }
    raw["active"] = _bool(row.get("active", ""), True)
    raw["hours"] = parse_hours(raw["hours"])
    for field in ("desks", "lat", "lon"):
        if field in raw and raw[field] == "":
            del raw[field]
    return raw


def _service_from_csv(source: Mapping[str, str]) -> dict[str, Any]:
    row = dict(source)
    for field in ("fee_rial", "fee_year", "slot_minutes"):
        row[field] = row.get(field, "").translate(_DIGITS)
    raw: dict[str, Any] = {
        k: v
        for k, v in row.items()
        if k
        in (
            "key",
            "name_fa",
            "category",
            "typical_duration_fa",
            "slot_minutes",
            "notes_fa",
        )
        and v != ""
    }
    raw["networks"] = _split(row.get("networks", ""))
    raw["aliases"] = _split(row.get("aliases", ""))
    raw["sources"] = _split(row.get("sources", ""))
    raw["documents"] = [
        {"name_fa": name.strip(), "note_fa": note.strip()}
        for name, _, note in (doc.partition(":") for doc in row.get("documents", "").split("|"))
        if name.strip()
    ]
    if row.get("fee_rial"):
        raw["fee"] = {
            "amount_rial": row["fee_rial"],
            "year": row.get("fee_year", ""),
            "note_fa": row.get("fee_note_fa", ""),
            "source": row.get("fee_source", ""),
        }
    if row.get("online_url"):
        raw["online"] = {
            "url": row["online_url"],
            "name_fa": row.get("online_name_fa", ""),
            "note_fa": row.get("online_note_fa", ""),
        }
    raw["visit_required"] = _bool(row.get("visit_required", ""), True)
    raw["essential"] = _bool(row.get("essential", ""), False)
    return raw


def _validate(
    model: type[R], rows: Iterable[tuple[int, Any]], problems: list[ImportProblem]
) -> list[tuple[int, R]]:
    valid = []
    for line, raw in rows:
        try:
            valid.append((line, model.model_validate(raw)))
        except ValidationError as exc:
            for error in exc.errors():
                field = ".".join(str(p) for p in error["loc"]) or "-"
                problems.append(ImportProblem(line, field, error["msg"]))
    return valid


def _converted(
    rows: Iterable[tuple[int, Mapping[str, str]]],
    convert: Any,
    problems: list[ImportProblem],
) -> list[tuple[int, Any]]:
    out = []
    for line, row in rows:
        try:
            out.append((line, convert(row)))
        except ValueError as exc:
            problems.append(ImportProblem(line, "hours", str(exc)))
    return out


def _duplicates(
    records: Sequence[tuple[int, BaseModel]], attr: str, problems: list[ImportProblem]
) -> None:
    seen: dict[str, int] = {}
    for line, record in records:
        value = getattr(record, attr)
        if value in seen:
            problems.append(
                ImportProblem(line, attr, f"{value!r} already appears on line {seen[value]}")
            )
        seen.setdefault(value, line)


def parse_offices(path: Path) -> list[tuple[int, OfficeRecord]]:
    """Read and validate an offices file; raise ImportFailed listing every problem."""
    text = path.read_text(encoding="utf-8")
    problems: list[ImportProblem] = []
    if _file_format(path, text) == "json":
        raw_rows: list[tuple[int, Any]] = _json_records(text, "offices")
    else:
        raw_rows = _converted(_csv_rows(text), _office_from_csv, problems)
    records = _validate(OfficeRecord, raw_rows, problems)
    _duplicates(records, "code", problems)
    if problems:
        raise ImportFailed(problems)
    return records


def parse_catalogue(path: Path) -> tuple[CatalogueFile, list[tuple[int, ServiceRecord]]]:
    """Read and validate a catalogue file (JSON with networks/categories, or services CSV)."""
    text = path.read_text(encoding="utf-8")
    problems: list[ImportProblem] = []
    networks: list[tuple[int, NetworkRecord]] = []
    categories: list[tuple[int, CategoryRecord]] = []
    if _file_format(path, text) == "json":
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ImportFailed([ImportProblem(exc.lineno, "-", exc.msg)]) from None
        service_rows = _json_records(text, "services")
        if isinstance(document, dict):
            if document.get("networks"):
                networks = _validate(NetworkRecord, _json_records(text, "networks"), problems)
            if document.get("categories"):
                categories = _validate(CategoryRecord, _json_records(text, "categories"), problems)
    else:
        service_rows = [(line, _service_from_csv(row)) for line, row in _csv_rows(text)]
    services = _validate(ServiceRecord, service_rows, problems)
    _duplicates(services, "key", problems)
    _duplicates(networks, "key", problems)
    _duplicates(categories, "key", problems)
    if problems:
        raise ImportFailed(problems)
    catalogue = CatalogueFile(
        networks=[n for _, n in networks],
        categories=[c for _, c in categories],
        services=[s for _, s in services],
    )
    return catalogue, services


def _read_closures(path: Path) -> tuple[list[tuple[int, ClosureRecord]], list[ImportProblem]]:
    """The closures of a file that are well formed, and what is wrong with the others."""
    text = path.read_text(encoding="utf-8")
    problems: list[ImportProblem] = []
    if _file_format(path, text) == "json":
        raw_rows: list[tuple[int, Any]] = _json_records(text, "closures")
    else:
        raw_rows = list(_csv_rows(text))
    records = _validate(ClosureRecord, raw_rows, problems)
    seen: dict[tuple[object, ...], int] = {}
    for line, record in records:
        place = (record.office, record.province, record.city)
        key = (record.scope, *place, record.starts_at, record.ends)
        if key in seen:
            problems.append(ImportProblem(line, "-", f"the same closure as line {seen[key]}"))
        seen.setdefault(key, line)
    return records, problems


# --- Writing ---------------------------------------------------------------------------------


async def _existing(session: AsyncSession, column: Any) -> set[str]:
    return set((await session.scalars(select(column))).all())


def _unknown(kind: str, key: str, known: set[str]) -> str:
    # Naming the keys that would do saves the operator a look into the catalogue.
    return f"unknown {kind} {key!r}; known: {', '.join(sorted(known)) or 'none yet'}"


async def _write_catalogue(
    session: AsyncSession,
    catalogue: CatalogueFile,
    services: list[tuple[int, ServiceRecord]],
    problems: list[ImportProblem],
) -> ImportResult:
    for position, category in enumerate(catalogue.categories):
        await session.merge(
            ServiceCategory(key=category.key, name_fa=category.name_fa, position=position)
        )
    for network in catalogue.networks:
        await session.merge(Network(**network.model_dump()))
    await session.flush()
    network_keys = await _existing(session, Network.key)
    category_keys = await _existing(session, ServiceCategory.key)
    for line, service in services:
        for key in service.networks:
            if key not in network_keys:
                problems.append(
                    ImportProblem(line, "networks", _unknown("network", key, network_keys))
                )
        if service.category not in category_keys:
            problems.append(
                ImportProblem(
                    line, "category", _unknown("category", service.category, category_keys)
                )
            )
    if problems:
        return ImportResult(0, 0)
    known = await _existing(session, Service.key)
    for _, service in services:
        await session.merge(
            Service(
                key=service.key,
                name_fa=service.name_fa,
                category_key=service.category,
                aliases=list(service.aliases),
                documents=[d.model_dump() for d in service.documents],
                fee_rial=service.fee.amount_rial if service.fee else None,
                fee_year=service.fee.year if service.fee else None,
                fee_note_fa=service.fee.note_fa if service.fee else "",
                fee_source=service.fee.source if service.fee else "",
                typical_duration_fa=service.typical_duration_fa,
                slot_minutes=service.slot_minutes,
                online_url=service.online.url if service.online else None,
                online_name_fa=service.online.name_fa if service.online else "",
                online_note_fa=service.online.note_fa if service.online else "",
                visit_required=service.visit_required,
                essential=service.essential,
                notes_fa=service.notes_fa,
                sources=list(service.sources),
                active=True,
            )
        )
    keys = [s.key for _, s in services]
    await session.execute(delete(ServiceNetwork).where(ServiceNetwork.service_key.in_(keys)))
    links = [{"service_key": s.key, "network_key": n} for _, s in services for n in s.networks]
    if links:
        await session.execute(insert(ServiceNetwork), links)
    created = sum(1 for key in keys if key not in known)
    return ImportResult(created=created, updated=len(keys) - created)


async def _write_offices(
    session: AsyncSession,
    offices: list[tuple[int, OfficeRecord]],
    problems: list[ImportProblem],
    is_sample: bool,
) -> ImportResult:
    network_keys = await _existing(session, Network.key)
    offered_by = {
        (row.service_key, row.network_key)
        for row in (await session.scalars(select(ServiceNetwork)))
    }
    service_keys = {service for service, _ in offered_by} | await _existing(session, Service.key)
    for line, office in offices:
        if office.network not in network_keys:
            problems.append(
                ImportProblem(line, "network", _unknown("network", office.network, network_keys))
            )
            continue
        for key in office.services:
            if key not in service_keys:
                problems.append(ImportProblem(line, "services", f"unknown service {key!r}"))
            elif (key, office.network) not in offered_by:
                problems.append(
                    ImportProblem(
                        line, "services", f"service {key!r} is not offered by {office.network!r}"
                    )
                )
    if problems:
        return ImportResult(0, 0)

    existing = {code: id_ for code, id_ in await session.execute(select(Office.code, Office.id))}
    columns = [
        {
            "code": o.code,
            "name": o.name,
            "network_key": o.network,
            "province": o.province,
            "county": o.county,
            "city": o.city,
            "district": o.district,
            "address": o.address,
            "lat": o.lat,
            "lon": o.lon,
            "phone": o.phone,
            "weekly_hours": {day: [list(span) for span in spans] for day, spans in o.hours.items()},
            "desks": o.desks,
            "active": o.active,
            "notes_fa": o.notes_fa,
            "is_sample": is_sample,
        }
        for _, o in offices
    ]
    new_rows = [row for row in columns if row["code"] not in existing]
    changed = [{**row, "id": existing[row["code"]]} for row in columns if row["code"] in existing]
    if changed:
        await session.execute(update(Office), changed)
        await session.execute(
            delete(OfficeService).where(OfficeService.office_id.in_([r["id"] for r in changed]))
        )
    ids = {row["code"]: row["id"] for row in changed}
    if new_rows:
        result = await session.execute(insert(Office).returning(Office.code, Office.id), new_rows)
        ids.update({code: id_ for code, id_ in result})
    offered = [
        {"office_id": ids[o.code], "service_key": key, "note_fa": o.service_notes.get(key, "")}
        for _, o in offices
        for key in o.services
    ]
    if offered:
        await session.execute(insert(OfficeService), offered)
    return ImportResult(created=len(new_rows), updated=len(changed))


async def import_catalogue(
    sessions: async_sessionmaker[AsyncSession], path: Path, *, kind: str = "catalogue"
) -> ImportResult:
    """Validate and load a catalogue file in one transaction."""
    catalogue, services = parse_catalogue(path)
    problems: list[ImportProblem] = []
    async with sessions() as session, session.begin():
        result = await _write_catalogue(session, catalogue, services, problems)
        if problems:
            raise ImportFailed(problems)  # rolls the transaction back
        session.add(DataImport(kind=kind, source=path.name, rows=len(services)))
    # Imported here, not at the top: services.catalogue reads the shipped files through
    # services.sample_data, which imports this module.
    from services.catalogue import forget_service_details

    forget_service_details()
    return result


async def import_offices(
    sessions: async_sessionmaker[AsyncSession],
    path: Path,
    *,
    is_sample: bool = False,
    kind: str = "offices",
) -> ImportResult:
    """Validate and load an offices file in one transaction (upsert by office code)."""
    offices = parse_offices(path)
    problems: list[ImportProblem] = []
    async with sessions() as session, session.begin():
        result = await _write_offices(session, offices, problems, is_sample)
        if problems:
            raise ImportFailed(problems)
        session.add(DataImport(kind=kind, source=path.name, rows=len(offices)))
    return result


async def import_closures(
    sessions: async_sessionmaker[AsyncSession], path: Path, now: dt.datetime
) -> ClosuresImported:
    """Validate and announce a file of closures in one transaction, telling each citizen
    booked inside one (once); closures already stored are skipped, so a re-import is safe."""
    records, problems = _read_closures(path)
    plans = [
        ClosurePlan(
            scope=r.scope,
            starts_at=r.starts_at,
            ends_at=r.ends,
            reason_fa=r.reason_fa,
            office_code=r.office,
            province=r.province,
            city=r.city,
        )
        for _, r in records
    ]
    lines = [line for line, _ in records]
    announced = ClosuresAnnounced()
    async with sessions() as session, session.begin():
        if problems:
            # The rows that did parse are checked too, so one round of fixes is enough.
            wrong = await closure_problems(session, plans)
        else:
            try:
                announced = await announce_closures(session, plans, now)
                wrong = []
            except ClosuresRefused as refused:
                wrong = refused.problems
        problems += [ImportProblem(lines[i], e.field, str(e)) for i, e in wrong]
        if problems:
            raise ImportFailed(sorted(problems, key=lambda p: p.line))  # rolls back
        session.add(DataImport(kind="closures", source=path.name, rows=len(records)))
    return ClosuresImported(
        added=len(announced.added),
        skipped=len(announced.present),
        bookings_told=announced.bookings_told,
    )
