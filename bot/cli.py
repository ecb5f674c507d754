"""The ``pishkhan`` command: run, shell, migrate, seed, import, and the operator's tools
(offices, supervisors, reports, the outbox, closures, crisis mode)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.logs import configure_logging
from services.booking import essential_only, set_essential_only
from services.clock import jalali_moment, jalali_text, tehran_now
from services.closures import ClosureError, add_closure, closures_ahead
from services.counter_api import new_api_token
from services.identity import MESSENGERS, TELEGRAM, ChatRef
from services.importing import (
    ImportFailed,
    ImportResult,
    import_catalogue,
    import_closures,
    import_offices,
)
from services.outbox import dead_letters, replay
from services.privacy import Vault, secret_key_for
from services.records import ClosureRecord
from services.reports import figures_csv, office_figures
from services.sample_data import load_sample
from services.settings import Settings, SettingsError, load_settings
from services.staff import new_link_code, unlink_office
from services.storage.backup import BackupRefused, backup_sqlite, copy_key
from services.storage.db import create_engine, session_factory
from services.storage.migrate import current_revision, upgrade_to_head
from services.supervision import (
    Scope,
    ScopeError,
    ScopeView,
    new_supervisor_code,
    resolve_scope,
    supervisor_chats,
    unlink_supervisor_chat,
)
from services.webhooks import set_webhook

NO_TOKEN = """\
Neither PISHKHAN_BOT_TOKEN (Telegram) nor PISHKHAN_BALE_TOKEN (Bale) is set, so the bot
has no messenger to serve. Set one of them, or both to serve Telegram and Bale at once.

  Telegram:
    1. In Telegram, talk to @BotFather, send /newbot and follow its questions.
    2. Put the token it gives you in the environment or in a .env file:
         export PISHKHAN_BOT_TOKEN=123456:ABC...
  Bale (بله):
    1. In the Bale app, talk to @botfather, send /newbot and follow its questions.
    2. Put the token it gives you in the environment or in a .env file:
         export PISHKHAN_BALE_TOKEN=123456789:ABC...

Then run `pishkhan run` again.

To try the bot right now without a token or network, chat with it in this terminal:
  pishkhan shell
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pishkhan",
        description="Pishkhan bot: nearest e-service counter, documents, booking, tracking.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="serve Telegram and/or Bale, whichever has a token (each by webhook when its "
        "URL is set, else polling)",
    )
    run.add_argument(
        "--no-sample", action="store_true", help="do not load sample data into an empty database"
    )
    run.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="N worker processes on one port (webhook mode with PostgreSQL)",
    )
    run.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)  # one of a pool

    shell = commands.add_parser(
        "shell", help="chat with the bot in this terminal (no token, no network)"
    )
    shell.add_argument(
        "--no-sample", action="store_true", help="do not load sample data into an empty database"
    )
    shell.add_argument("--user-id", type=int, default=1001, help="user id to act as")
    shell.add_argument("--name", default="شهروند", help="first name to act as")
    shell.add_argument(
        "--visual",
        action="store_true",
        help="shape and reorder Persian for terminals without right-to-left support",
    )
    shell.add_argument(
        "--messenger",
        choices=MESSENGERS,
        default="telegram",
        help="whose Bot API the emulator speaks (bale: no venues, no command list, ...)",
    )

    emulator = commands.add_parser(
        "emulator", help="serve the local Bot API emulator for `run` to poll"
    )
    emulator.add_argument("--listen", default="127.0.0.1:8081", help="HOST:PORT to serve on")
    emulator.add_argument("--token", default="123456:TEST-TOKEN", help="the bot token it accepts")
    emulator.add_argument(
        "--messenger", choices=MESSENGERS, default="telegram", help="whose Bot API it speaks"
    )

    office = commands.add_parser("office", help="link an office's Telegram group, or unlink it")
    office_commands = office.add_subparsers(dest="office_command", required=True)
    office_link = office_commands.add_parser("link", help="a one-time code for /link CODE")
    office_link.add_argument("office", metavar="OFFICE_CODE")
    office_link.add_argument("--hours", type=int, default=48, help="how long the code works")
    office_unlink = office_commands.add_parser("unlink", help="forget the office's chat and staff")
    office_unlink.add_argument("office", metavar="OFFICE_CODE")
    office_token = office_commands.add_parser(
        "token", help="a bearer token for the office's own system to call the counter API"
    )
    office_token.add_argument("office", metavar="OFFICE_CODE")
    office_hook = office_commands.add_parser(
        "webhook", help="send the office's bookings to its own system (signed webhooks)"
    )
    office_hook.add_argument("office", metavar="OFFICE_CODE")
    office_hook.add_argument("url", nargs="?", help="the endpoint; leave out with --remove")
    office_hook.add_argument("--remove", action="store_true", help="stop sending")

    supervisor = commands.add_parser(
        "supervisor", help="link a supervisor's chat to offices (complaints, /stats), or unlink it"
    )
    supervisor_commands = supervisor.add_subparsers(dest="supervisor_command", required=True)
    supervisor_link = supervisor_commands.add_parser(
        "link", help="a one-time code for /supervise CODE"
    )
    scope = supervisor_link.add_mutually_exclusive_group(required=True)
    scope.add_argument("--office", metavar="CODE", help="one office, by its code")
    scope.add_argument("--county", metavar="PROVINCE/COUNTY", help="every office of a county")
    scope.add_argument("--province", metavar="PROVINCE", help="every office of a province")
    scope.add_argument("--network", metavar="KEY", help="every office of a network")
    supervisor_link.add_argument("--hours", type=int, default=48, help="how long the code works")
    supervisor_commands.add_parser("list", help="linked supervisor chats and their scopes")
    supervisor_unlink = supervisor_commands.add_parser(
        "unlink", help="the chat gets no more complaints; its members are forgotten"
    )
    supervisor_unlink.add_argument("chat_id", type=int, metavar="CHAT_ID")
    supervisor_unlink.add_argument(
        "--messenger",
        choices=MESSENGERS,
        default=TELEGRAM,
        help="the messenger the chat is on, as `supervisor list` shows it (default: telegram)",
    )

    report = commands.add_parser(
        "report", help="per office: bookings, no-shows, ratings, complaints (CSV, Jalali dates)"
    )
    report.add_argument("--from", dest="starts", required=True, help="first day, 1405/09/01")
    report.add_argument("--to", dest="ends", required=True, help="last day, 1405/09/30")
    report.add_argument(
        "--scope",
        metavar="KIND:VALUE",
        help="office:CODE, county:PROVINCE/COUNTY, province:P or network:KEY (default: all)",
    )
    report.add_argument(
        "--out", type=Path, help="write to this file (UTF-8 with BOM, for Excel); default stdout"
    )

    outbox = commands.add_parser("outbox", help="dead letters: list them, or replay them")
    outbox_commands = outbox.add_subparsers(dest="outbox_command", required=True)
    outbox_commands.add_parser("list", help="events given up on, with their last error")
    outbox_replay = outbox_commands.add_parser("replay", help="send dead letters again")
    outbox_replay.add_argument("ids", nargs="*", type=int, help="event numbers (default: all)")

    crisis = commands.add_parser(
        "crisis", help="essential services only: on, off, or show the current state"
    )
    crisis.add_argument("state", choices=["on", "off", "status"])

    closure = commands.add_parser(
        "closure", help="announce an office, city, province or nationwide closure, or list them"
    )
    closure_commands = closure.add_subparsers(dest="closure_command", required=True)
    closure_add = closure_commands.add_parser("add", help="add a closure (Jalali date and time)")
    target = closure_add.add_mutually_exclusive_group(required=True)
    target.add_argument("--office", metavar="CODE", help="one office, by its code")
    target.add_argument("--city", metavar="PROVINCE/CITY", help="every office of a city")
    target.add_argument("--province", metavar="PROVINCE", help="every office of a province")
    target.add_argument("--nation", action="store_true", help="every office in the country")
    closure_add.add_argument(
        "--from", dest="starts", required=True, help="1405/09/10 or 1405/09/10 08:00"
    )
    closure_add.add_argument("--to", dest="ends", help="end (default: the end of the --from day)")
    closure_add.add_argument("--reason", required=True, help="what citizens are told, in Persian")
    closure_commands.add_parser("list", help="closures not over yet")

    backup = commands.add_parser(
        "backup", help="a consistent copy of the SQLite database, while the bot runs"
    )
    backup.add_argument("target", type=Path, help="the file to write, e.g. /var/backups/p.db")
    backup.add_argument("--force", action="store_true", help="replace the file if it exists")
    backup.add_argument(
        "--with-key",
        action="store_true",
        help="also copy the generated key file (owner-only) beside the backup",
    )
    commands.add_parser("migrate", help="apply database migrations")
    commands.add_parser("seed", help="load the shipped catalogue and sample offices")

    importing = commands.add_parser("import", help="load an operator's data file (CSV or JSON)")
    importing.add_argument("kind", choices=["offices", "catalogue", "closures"])
    importing.add_argument("file", type=Path)
    return parser


def _print_result(what: str, result: ImportResult) -> None:
    print(f"{what}: {result.created} created, {result.updated} updated")


@asynccontextmanager
async def migrated(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """The database at the newest schema, for one command; the engine closed after it."""
    engine = create_engine(settings.database_url)
    try:
        await upgrade_to_head(engine)
        yield session_factory(engine)
    finally:
        await engine.dispose()


def _backup(settings: Settings, args: argparse.Namespace) -> int:
    source = settings.sqlite_path
    if source is None:
        print(
            "pishkhan backup copies a SQLite file; back PostgreSQL up with pg_dump -Fc "
            "(see docs/deploy.md)",
            file=sys.stderr,
        )
        return 2
    try:
        made = backup_sqlite(source, args.target, replace=args.force)
        key = (
            copy_key(source.with_name(source.name + ".key"), args.target)
            if args.with_key and settings.secret_key is None
            else None
        )
    except BackupRefused as refused:
        print(f"no backup made: {refused}", file=sys.stderr)
        return 2
    print(f"backup of {source} written to {made.target} ({made.size_bytes / 2**20:.1f} MiB)")
    if key is not None:
        print(f"key copied to {key}: store it apart from the backup once it leaves this host")
    else:
        print(
            "keep the secret key too (PISHKHAN_SECRET_KEY, or the .key file beside the "
            "database): without it the backup's national codes and mobiles cannot be read"
        )
    return 0


async def _migrate(settings: Settings) -> int:
    engine = create_engine(settings.database_url)
    try:
        await upgrade_to_head(engine)
        print(f"database at revision {await current_revision(engine)}")
    finally:
        await engine.dispose()
    return 0


async def _closure(settings: Settings, args: argparse.Namespace) -> int:
    async with migrated(settings) as sessions:
        if args.closure_command == "list":
            for closure, code in await closures_ahead(sessions, tehran_now()):
                where = (
                    code
                    or (closure.city and f"{closure.province}/{closure.city}")
                    or closure.province
                    or "nation"
                )
                print(
                    f"{closure.id}\t{closure.scope}\t{where}\t"
                    f"{jalali_text(closure.starts_at)} → {jalali_text(closure.ends_at)}\t"
                    f"{closure.reason_fa}"
                )
            return 0
        province, _, city = (args.city or "").partition("/")
        scope = (
            "office"
            if args.office
            else "city"
            if args.city
            else "province"
            if args.province
            else "nation"
        )
        try:
            record = ClosureRecord.model_validate(
                {
                    "scope": scope,
                    "office": args.office,
                    "province": args.province or province,
                    "city": city,
                    "from": args.starts,
                    "to": args.ends,
                    "reason": args.reason,
                }
            )
        except ValidationError as exc:
            for error in exc.errors():
                option = "--" + ".".join(str(part) for part in error["loc"])
                print(f"{option}: {error['msg']}", file=sys.stderr)
            return 2
        try:
            added = await add_closure(
                sessions,
                scope=record.scope,
                starts_at=record.starts_at,
                ends_at=record.ends,
                reason_fa=record.reason_fa,
                now=tehran_now(),
                office_code=record.office,
                province=record.province,
                city=record.city,
            )
        except ClosureError as exc:
            print(exc, file=sys.stderr)
            return 2
        if added.already_present:
            print(f"closure {added.id} is already present (same place and times); nobody told")
            return 0
        print(f"closure {added.id} added; {added.bookings_affected} booking(s) told")
    return 0


async def _office(settings: Settings, args: argparse.Namespace) -> int:
    async with migrated(settings) as sessions:
        if args.office_command == "webhook":
            if not args.remove and not (args.url or "").startswith(("https://", "http://")):
                print("give the endpoint's http(s) URL, or --remove", file=sys.stderr)
                return 2
            try:
                secret = await set_webhook(
                    sessions, Vault(secret_key_for(settings)), args.office,
                    None if args.remove else args.url,
                )  # fmt: skip
            except LookupError as exc:
                print(exc.args[0], file=sys.stderr)
                return 2
            if secret is None:
                print(f"office {args.office}: webhooks stopped")
            else:
                print(
                    f"office {args.office}: events go to {args.url}, signed per Standard "
                    f"Webhooks with this secret (shown once; give it to the counter):\n{secret}"
                )
            return 0
        if args.office_command == "token":
            try:
                token = await new_api_token(sessions, args.office)
            except LookupError as exc:
                print(exc.args[0], file=sys.stderr)
                return 2
            print(
                f"office {args.office}: counter API token (shown once; the old one no longer "
                f"works):\n{token}"
            )
            return 0
        if args.office_command == "unlink":
            if not await unlink_office(sessions, args.office):
                print(f"no office with code {args.office!r}", file=sys.stderr)
                return 2
            print(f"office {args.office} unlinked: its chat gets no more bookings")
            return 0
        try:
            code, name = await new_link_code(sessions, args.office, tehran_now(), args.hours)
        except LookupError as exc:
            print(exc.args[0], file=sys.stderr)
            return 2
        print(
            f"link code for {name}: {code}\n"
            f"valid for {args.hours} hours, once. Staff add the bot to their group and send:\n"
            f"  /link {code}"
        )
    return 0


def _scope_words(scope: ScopeView) -> str:
    if scope.scope == "office":
        return f"office {scope.office_name}"
    if scope.scope == "county":
        return f"county {scope.province}/{scope.county}"
    if scope.scope == "province":
        return f"province {scope.province}"
    return f"network {scope.network_name}"


async def _supervisor(settings: Settings, args: argparse.Namespace) -> int:
    async with migrated(settings) as sessions:
        if args.supervisor_command == "list":
            chats = await supervisor_chats(sessions)
            for chat in chats:
                scopes = "; ".join(_scope_words(s) for s in chat.scopes)
                where = f"{chat.chat.messenger}\t{chat.chat.chat_id}"
                print(f"{where}\t{chat.members} member(s)\t{scopes}")
            print(f"{len(chats)} supervisor chat(s)")
            return 0
        if args.supervisor_command == "unlink":
            linked = ChatRef(args.messenger, args.chat_id)
            removed = await unlink_supervisor_chat(sessions, linked)
            named = f"{linked.messenger} chat {linked.chat_id}"
            if not removed:
                print(f"{named} supervises nothing", file=sys.stderr)
                return 2
            print(f"{named} unlinked ({removed} scope(s)): it gets no more complaints")
            return 0
        kind, value = next(
            (kind, getattr(args, kind))
            for kind in ("office", "county", "province", "network")
            if getattr(args, kind)
        )
        try:
            code, scope = await new_supervisor_code(sessions, kind, value, tehran_now(), args.hours)
        except ScopeError as exc:
            print(exc, file=sys.stderr)
            return 2
        print(
            f"supervisor code for {_scope_words(scope)}: {code}\n"
            f"valid for {args.hours} hours, once. The supervisor adds the bot to their group "
            f"(or opens a private chat with it) and sends:\n  /supervise {code}"
        )
    return 0


async def _report(settings: Settings, args: argparse.Namespace) -> int:
    try:
        starts = jalali_moment(args.starts)
        ends = jalali_moment(args.ends, end_of_day=True)
    except ValueError as exc:
        print(f"unreadable date: {exc}", file=sys.stderr)
        return 2
    if ends <= starts:
        print("--to must not be before --from", file=sys.stderr)
        return 2
    async with migrated(settings) as sessions:
        scopes: list[Scope] | None = None
        if args.scope:
            kind, _, value = args.scope.partition(":")
            try:
                async with sessions() as session:
                    scopes = [await resolve_scope(session, kind.strip(), value)]
            except ScopeError as exc:
                print(exc, file=sys.stderr)
                return 2
        rows = await office_figures(sessions, starts, ends, scopes)
    text = figures_csv(rows)
    if args.out is None:
        sys.stdout.write(text)
    else:
        # The BOM tells Excel the file is UTF-8; without it Persian shows as mojibake.
        args.out.write_text(text, encoding="utf-8-sig", newline="")
        print(f"{len(rows)} office(s) written to {args.out}", file=sys.stderr)
    return 0


async def _outbox(settings: Settings, args: argparse.Namespace) -> int:
    async with migrated(settings) as sessions:
        if args.outbox_command == "list":
            letters = await dead_letters(sessions)
            for letter in letters:
                print(
                    f"{letter.id}\t{letter.channel}\t{letter.event_type}\toffice "
                    f"{letter.office_id}\t{letter.attempts} attempts\t{letter.last_error or ''}"
                )
            print(f"{len(letters)} dead letter(s)")
            return 0
        count = await replay(sessions, args.ids or None, tehran_now())
        print(f"{count} event(s) queued again")
    return 0


async def _crisis(settings: Settings, state: str) -> int:
    async with migrated(settings) as sessions:
        if state != "status":
            await set_essential_only(sessions, state == "on")
        async with sessions() as session:
            on = await essential_only(session)
        print(
            "crisis mode ON: only essential services can be booked"
            if on
            else "crisis mode off: every service can be booked"
        )
    return 0


async def _seed(settings: Settings) -> int:
    async with migrated(settings) as sessions:
        catalogue, offices = await load_sample(sessions)
    _print_result("catalogue", catalogue)
    _print_result("sample offices", offices)
    return 0


async def _import(settings: Settings, kind: str, path: Path) -> int:
    async with migrated(settings) as sessions:
        try:
            if kind == "closures":
                closures = await import_closures(sessions, path, tehran_now())
                print(
                    f"{closures.added} closures added, {closures.skipped} skipped as already "
                    f"present; {closures.bookings_told} booking(s) told"
                )
            else:
                importer = import_offices if kind == "offices" else import_catalogue
                _print_result(kind, await importer(sessions, path))
        except ImportFailed as exc:
            print(f"{path}: {exc}", file=sys.stderr)
            return 1
    return 0


async def _serve_emulator(listen: str, token: str, messenger: str) -> int:
    from bot.runtime import wait_for_stop_signal
    from emulator import BotApiEmulator

    host, _, port = listen.rpartition(":")
    emulator = BotApiEmulator(token=token, messenger=messenger)
    await emulator.start(host or "127.0.0.1", int(port))
    try:
        print(
            f"{messenger.capitalize()} Bot API emulator at {emulator.base_url} (control API "
            f"under {emulator.root_url}/_emulator/). In another terminal:\n"
            f"  PISHKHAN_BOT_TOKEN={token} PISHKHAN_TELEGRAM_BASE_URL={emulator.base_url} "
            "pishkhan run",
            flush=True,
        )
        await wait_for_stop_signal()
    finally:
        await emulator.stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    # In the shell, log lines would interleave with the chat: only problems are shown.
    quiet_shell = args.command == "shell" and settings.log_level == "INFO"
    configure_logging("WARNING" if quiet_shell else settings.log_level, as_json=settings.log_json)

    if args.command == "run":
        if not settings.messengers:
            print(NO_TOKEN, file=sys.stderr)
            return 2
        from bot.runtime import serve
        from bot.workers import pool_problem, run_pool

        problem = pool_problem(settings, args.workers)
        if problem:
            print(problem, file=sys.stderr)
            return 2
        try:
            if args.workers > 1:
                asyncio.run(run_pool(settings, args.workers, with_sample=not args.no_sample))
            else:
                asyncio.run(serve(settings, with_sample=not args.no_sample, worker=args.worker))
        except SettingsError as exc:
            print(exc, file=sys.stderr)
            return 2
        return 0
    if args.command == "shell":
        from bot.shell import run_shell

        return asyncio.run(
            run_shell(
                settings,
                with_sample=not args.no_sample,
                user_id=args.user_id,
                name=args.name,
                visual=args.visual,
                messenger=args.messenger,
            )
        )
    if args.command == "emulator":
        return asyncio.run(_serve_emulator(args.listen, args.token, args.messenger))
    if args.command == "import" and not args.file.is_file():
        print(f"no such file: {args.file}", file=sys.stderr)
        return 2
    if args.command == "office":
        return asyncio.run(_office(settings, args))
    if args.command == "outbox":
        return asyncio.run(_outbox(settings, args))
    if args.command == "supervisor":
        return asyncio.run(_supervisor(settings, args))
    if args.command == "report":
        return asyncio.run(_report(settings, args))
    if args.command == "closure":
        return asyncio.run(_closure(settings, args))
    if args.command == "crisis":
        return asyncio.run(_crisis(settings, args.state))
    if args.command == "backup":
        return _backup(settings, args)
    if args.command == "migrate":
        return asyncio.run(_migrate(settings))
    if args.command == "seed":
        return asyncio.run(_seed(settings))
    return asyncio.run(_import(settings, args.kind, args.file))


if __name__ == "__main__":
    sys.exit(main())
