"""The `pishkhan` command as an operator uses it: shell on stdin, run, migrate, seed, import."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
from pathlib import Path

import pytest
from aiohttp import ClientError, ClientSession
from telegram import Bot, BotCommand
from telegram.error import InvalidToken

from dialogs import texts
from emulator import BotApiEmulator, EmulatorClient
from tests.helpers.cli import pishkhan_executable
from tests.helpers.network import free_port


def run_cli(
    args: list[str], stdin: str, tmp_path: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "PISHKHAN_DATABASE_URL": f"sqlite:///{tmp_path / 'shell.db'}",
        **env,
    }
    environment.pop("PISHKHAN_BOT_TOKEN", None)
    environment.pop("PISHKHAN_BALE_TOKEN", None)
    return subprocess.run(
        [pishkhan_executable(), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=90,
        cwd=tmp_path,
        env=environment,
        check=False,
    )


def test_a_scripted_shell_session_shows_menu_buttons_and_answers(tmp_path: Path) -> None:
    script = [
        "6",  # the help button of the menu /start showed
        "مدارک لازم برای گذرنامه",
        "3",  # the third button under the passport's documents: back to the menu
        "/nonsense",
        "/loc 35.7 51.4",
        "/quit",
        "never sent",
    ]
    result = run_cli(["shell"], "\n".join(script) + "\n", tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    # /start is sent for the citizen, and the menu appears as numbered choices.
    assert "سلام شهروند!" in out
    assert f"[1] {texts.MENU_FIND}" in out and f"[6] {texts.MENU_HELP}" in out
    assert texts.HELP.splitlines()[0] in out
    # Free text reaches the passport's page from the shipped catalogue, with its buttons.
    assert "📄 صدور و تمدید گذرنامه" in out and "اصل شناسنامه" in out
    assert f"[3] {texts.DOCS_MENU}" in out
    assert texts.MENU_AGAIN in out
    assert "«/nonsense»" in out
    assert texts.LOCATION_OUTSIDE_FLOW.split("📍")[0].strip() in out
    # /quit ends the session: the line after it is never sent.
    assert "never sent" not in out
    assert (tmp_path / "shell.db").exists()
    assert "Traceback" not in result.stderr


def test_end_of_input_ends_the_shell_and_a_bad_number_is_just_text(tmp_path: Path) -> None:
    result = run_cli(["shell", "--no-sample", "--name", "مینا"], "99\n", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "سلام مینا!" in result.stdout
    assert texts.NOT_UNDERSTOOD.splitlines()[0] in result.stdout


def test_visual_mode_shapes_persian_for_terminals_without_bidi(tmp_path: Path) -> None:
    result = run_cli(["shell", "--no-sample", "--visual"], "", tmp_path)
    assert result.returncode == 0, result.stderr
    # Arabic presentation forms appear only when the letters were shaped for display.
    assert any("\ufe70" <= ch <= "\ufeff" for ch in result.stdout)


def test_run_without_a_token_says_how_to_get_one_and_how_to_try_the_shell(tmp_path: Path) -> None:
    result = run_cli(["run"], "", tmp_path)
    assert result.returncode == 2
    assert "@BotFather" in result.stderr
    assert "PISHKHAN_BOT_TOKEN" in result.stderr and "PISHKHAN_BALE_TOKEN" in result.stderr
    assert "pishkhan shell" in result.stderr


def test_an_invalid_setting_stops_the_cli_naming_the_variable(tmp_path: Path) -> None:
    result = run_cli(["migrate"], "", tmp_path, PISHKHAN_LISTEN="nowhere")
    assert result.returncode == 2
    assert "PISHKHAN_LISTEN" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_console_script_is_installed() -> None:
    assert os.access(pishkhan_executable(), os.X_OK), "pishkhan is not executable"


def test_migrate_seed_and_an_import_with_a_bad_row(tmp_path: Path) -> None:
    migrated = run_cli(["migrate"], "", tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    assert "database at revision" in migrated.stdout

    first = run_cli(["seed"], "", tmp_path)
    again = run_cli(["seed"], "", tmp_path)
    assert "catalogue: 45 created, 0 updated" in first.stdout
    assert "catalogue: 0 created, 45 updated" in again.stdout  # re-seeding never doubles

    header = "code,name,network,province,county,city,address,lat,lon,hours,services"
    good = 'X-1,دفتر آزمایشی,pishkhan,تهران,تهران,تهران,خیابان آزادی,35.70,51.40,"sat-wed 08:00-14:00",bill_payment'  # noqa: E501
    bad = good.replace("X-1", "X-2").replace("35.70", "95.5")
    path = tmp_path / "offices.csv"
    path.write_text("\n".join([header, good, bad]) + "\n", encoding="utf-8")
    failed = run_cli(["import", "offices", str(path)], "", tmp_path)
    assert failed.returncode == 1
    assert "line 3, field lat" in failed.stderr

    path.write_text("\n".join([header, good]) + "\n", encoding="utf-8")
    imported = run_cli(["import", "offices", str(path)], "", tmp_path)
    assert imported.returncode == 0, imported.stderr
    assert "offices: 1 created, 0 updated" in imported.stdout  # the failed file left nothing


def test_import_of_a_missing_file_is_named(tmp_path: Path) -> None:
    result = run_cli(["import", "catalogue", "nowhere.json"], "", tmp_path)
    assert result.returncode == 2
    assert "no such file: nowhere.json" in result.stderr


async def test_run_serves_a_bot_api_server_given_by_base_url(tmp_path: Path) -> None:
    """`pishkhan run` with PISHKHAN_TELEGRAM_BASE_URL polls any Bot API server: here the
    emulator, standing in for Telegram."""
    async with BotApiEmulator() as emulator, EmulatorClient(emulator.root_url) as client:
        environment = {
            **os.environ,
            "PISHKHAN_DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
            "PISHKHAN_BOT_TOKEN": emulator.token,
            "PISHKHAN_TELEGRAM_BASE_URL": emulator.base_url,
        }
        process = await asyncio.create_subprocess_exec(
            pishkhan_executable(),
            "run",
            cwd=tmp_path,
            env=environment,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            citizen = client.person(3001, "فاطمه")
            reply = None
            for _ in range(60):  # the process migrates and seeds before it polls
                if (await client.state())["commands"]:
                    reply = await citizen.says("/start")
                    break
                await asyncio.sleep(0.25)
            assert reply is not None, "the bot never started polling"
            assert reply.text.startswith("سلام فاطمه!")
            assert texts.MENU_FIND in reply.labels
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), 30)
        assert process.returncode == 0, stderr.decode()
        log = stderr.decode()
        assert "loaded the shipped catalogue and sample offices" in log
        assert emulator.token not in log  # the token is part of every request URL


async def test_run_serves_telegram_and_bale_at_once(tmp_path: Path) -> None:
    """Both tokens set: one process polls both Bot API servers (two emulators here) and
    answers each messenger's citizens there."""
    async with (
        BotApiEmulator() as telegram,
        # Ids apart until the store keys chats and updates by (messenger, id) as well.
        BotApiEmulator(token="987654321:BALE-TOKEN", first_update_id=900_000) as bale,
        EmulatorClient(telegram.root_url) as on_telegram,
        EmulatorClient(bale.root_url) as on_bale,
    ):
        environment = {
            **os.environ,
            "PISHKHAN_DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
            "PISHKHAN_LISTEN": f"127.0.0.1:{free_port()}",
            "PISHKHAN_BOT_TOKEN": telegram.token,
            "PISHKHAN_TELEGRAM_BASE_URL": telegram.base_url,
            "PISHKHAN_BALE_TOKEN": bale.token,
            "PISHKHAN_BALE_BASE_URL": bale.base_url,
            "PISHKHAN_BALE_POLL_SECONDS": "0.1",
        }
        process = await asyncio.create_subprocess_exec(
            pishkhan_executable(), "run", cwd=tmp_path, env=environment,
            stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            for _ in range(120):  # the process migrates and seeds before it polls
                if [c for c in bale.calls if c.method == "getUpdates"] and (
                    await on_telegram.state()
                )["commands"]:
                    break
                await asyncio.sleep(0.25)
            first, second = await asyncio.gather(
                on_telegram.person(3101, "فاطمه").says("/start"),
                on_bale.person(3102, "کیان").says("/start"),
            )
            assert first.text.startswith("سلام فاطمه!") and second.text.startswith("سلام کیان!")
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), 30)
        log = stderr.decode()
        assert process.returncode == 0, log
        assert f"telegram: polling as @{telegram.bot_username}" in log
        assert f"bale: polling as @{bale.bot_username}" in log
        assert log.count("has no command list") == 1
        assert telegram.token not in log and bale.token not in log


async def _served(url: str) -> None:
    """Once the process answers HTTP (its webhook route is up)."""
    async with ClientSession() as http:
        for _ in range(120):
            with contextlib.suppress(ClientError, OSError):
                async with http.get(url) as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.25)
    raise AssertionError(f"nothing served at {url}")


async def test_run_serves_bale_alone_by_its_webhook_with_the_secret_in_the_path(
    tmp_path: Path,
) -> None:
    async with (
        BotApiEmulator(token="987654321:BALE-TOKEN") as bale,
        EmulatorClient(bale.root_url) as on_bale,
    ):
        port = free_port()
        url = f"http://127.0.0.1:{port}/bale"
        environment = {
            **os.environ,
            "PISHKHAN_DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
            "PISHKHAN_LISTEN": f"127.0.0.1:{port}",
            "PISHKHAN_BALE_TOKEN": bale.token,
            "PISHKHAN_BALE_BASE_URL": bale.base_url,
            "PISHKHAN_BALE_WEBHOOK_URL": url,
        }
        environment.pop("PISHKHAN_BOT_TOKEN", None)
        process = await asyncio.create_subprocess_exec(
            pishkhan_executable(), "run", cwd=tmp_path, env=environment,
            stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            for _ in range(120):
                if [c for c in bale.calls if c.method == "setWebhook"]:
                    break
                await asyncio.sleep(0.25)
            (registered,) = [c for c in bale.calls if c.method == "setWebhook"]
            hooked = registered.params["url"]
            assert set(registered.params) == {"url"} and hooked.startswith(url + "/")
            await _served(f"http://127.0.0.1:{port}/healthz")
            reply = await on_bale.person(3201, "کیان").says("/start")
            assert reply.text.startswith("سلام کیان!")
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), 30)
        log = stderr.decode()
        assert process.returncode == 0, log
        assert f"bale: webhook as @{bale.bot_username}" in log
        assert f"bale sends updates to {url}" in log
        secret = hooked.rsplit("/", 1)[1]
        assert bale.token not in log and secret not in log


async def test_the_emulator_command_serves_the_bot_api_until_stopped(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        pishkhan_executable(), "emulator", "--listen", "127.0.0.1:0", "--token", "42:LOCAL",
        cwd=tmp_path, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        first_line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        base_url = first_line.split(" at ", 1)[1].split()[0]
        async with Bot("42:LOCAL", base_url=base_url) as bot:
            assert (await bot.get_me()).is_bot
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 30)
    assert process.returncode == 0


def test_the_crisis_switch_is_set_and_reported(tmp_path: Path) -> None:
    assert "crisis mode off" in run_cli(["crisis", "status"], "", tmp_path).stdout
    assert "crisis mode ON" in run_cli(["crisis", "on"], "", tmp_path).stdout
    assert "crisis mode ON" in run_cli(["crisis", "status"], "", tmp_path).stdout
    assert "crisis mode off" in run_cli(["crisis", "off"], "", tmp_path).stdout


def test_closures_are_announced_and_listed_from_the_command_line(tmp_path: Path) -> None:
    assert run_cli(["seed"], "", tmp_path).returncode == 0  # a closure names offices' places
    added = run_cli(
        [
            "closure",
            "add",
            "--city",
            "تهران/تهران",
            "--from",
            "۱۴۰۹/۰۱/۱۰",
            "--reason",
            "آلودگی هوا",
        ],
        "",
        tmp_path,
    )
    assert added.returncode == 0, added.stderr
    assert "booking(s) told" in added.stdout
    listed = run_cli(["closure", "list"], "", tmp_path)
    assert "city\tتهران/تهران" in listed.stdout and "آلودگی هوا" in listed.stdout
    assert "1409/01/10 00:00 → 1409/01/11 00:00" in listed.stdout  # a whole day, as typed
    wrong_office = run_cli(
        ["closure", "add", "--office", "NOPE", "--from", "1409/01/10", "--reason", "x"],
        "",
        tmp_path,
    )
    assert wrong_office.returncode == 2 and "no office with code 'NOPE'" in wrong_office.stderr
    bad_date = run_cli(
        ["closure", "add", "--nation", "--from", "1409/13/40", "--reason", "x"], "", tmp_path
    )
    assert bad_date.returncode == 2 and "unreadable date" in bad_date.stderr


def test_an_operator_makes_a_link_code_and_unlinks_an_office(tmp_path: Path) -> None:
    assert run_cli(["seed"], "", tmp_path).returncode == 0
    made = run_cli(["office", "link", "S-0001"], "", tmp_path)
    assert made.returncode == 0, made.stderr
    assert "/link " in made.stdout and "valid for 48 hours, once" in made.stdout
    assert run_cli(["office", "link", "NOPE"], "", tmp_path).returncode == 2
    unlinked = run_cli(["office", "unlink", "S-0001"], "", tmp_path)
    assert unlinked.returncode == 0 and "unlinked" in unlinked.stdout


def test_an_operator_sets_a_webhook_and_looks_at_dead_letters(tmp_path: Path) -> None:
    assert run_cli(["seed"], "", tmp_path).returncode == 0
    hook = run_cli(["office", "webhook", "S-0001", "https://counter.example/hook"], "", tmp_path)
    assert hook.returncode == 0, hook.stderr
    assert "whsec_" in hook.stdout
    assert (
        "webhooks stopped"
        in run_cli(["office", "webhook", "S-0001", "--remove"], "", tmp_path).stdout
    )
    assert run_cli(["office", "webhook", "S-0001", "ftp://x"], "", tmp_path).returncode == 2
    token = run_cli(["office", "token", "S-0001"], "", tmp_path)
    assert token.returncode == 0 and "\npk_" in token.stdout
    assert "0 dead letter(s)" in run_cli(["outbox", "list"], "", tmp_path).stdout
    assert "0 event(s) queued again" in run_cli(["outbox", "replay"], "", tmp_path).stdout


def test_every_shell_run_on_the_same_database_answers_from_its_first_line(
    tmp_path: Path,
) -> None:
    # The bot ignores an update_id it handled: each run's updates must be new to the store.
    for run in range(3):
        result = run_cli(["shell", "--no-sample"], "/help\n", tmp_path)
        assert result.returncode == 0, result.stderr
        assert "سلام شهروند!" in result.stdout, f"run {run + 1}: no greeting"
        assert texts.HELP.splitlines()[0] in result.stdout, f"run {run + 1}: /help unanswered"
        assert "(the bot did not answer)" not in result.stdout


def test_a_script_starting_with_start_is_greeted_once(tmp_path: Path) -> None:
    result = run_cli(["shell", "--no-sample"], "/start\n/help\n", tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("سلام شهروند!") == 1
    assert texts.HELP.splitlines()[0] in result.stdout


def test_the_shell_talks_to_the_bot_through_a_bale_emulator(tmp_path: Path) -> None:
    result = run_cli(["shell", "--messenger", "bale"], "مدارک گذرنامه\n/quit\n", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "local Bale (بله) emulator" in result.stdout
    assert "سلام شهروند!" in result.stdout
    assert "📄 صدور و تمدید گذرنامه" in result.stdout and "اصل شناسنامه" in result.stdout
    assert "(the bot did not answer)" not in result.stdout
    assert "Traceback" not in result.stderr


def test_on_bale_the_shell_shows_a_place_as_a_pin_with_a_map_link_then_its_name(
    tmp_path: Path,
) -> None:
    script = [
        "مدارک گذرنامه",
        "1",  # the nearest office offering it
        "/loc 35.7 51.4",
        "1",  # the map of the first office
        "/quit",
    ]
    result = run_cli(["shell", "--messenger", "bale"], "\n".join(script) + "\n", tmp_path)
    assert result.returncode == 0, result.stderr
    shown = result.stdout.rsplit("شما> 1\n", 1)[1].splitlines()
    # No venue on Bale: a pin (the coordinates and a link to a map), then a text message
    # with the office's name and address, where Telegram would show one venue line.
    pin, name = shown[1], shown[3]
    assert shown[0] == shown[2] == "🤖"
    assert pin.strip().startswith("📍 35.") and "https://www.openstreetmap.org/?mlat=35." in pin
    assert "دفتر پلیس +۱۰" in name and " — " not in name


async def test_the_emulator_command_speaks_bales_bot_api(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        pishkhan_executable(), "emulator", "--listen", "127.0.0.1:0", "--messenger", "bale",
        cwd=tmp_path, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        first_line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        assert first_line.startswith("Bale Bot API emulator at ")
        base_url = first_line.split(" at ", 1)[1].split()[0]
        async with Bot("123456:TEST-TOKEN", base_url=base_url) as bot:
            assert (await bot.get_me()).is_bot
            with pytest.raises(InvalidToken, match="Not Found"):  # PTB's reading of a 404
                await bot.set_my_commands([BotCommand("start", "شروع")])
        async with EmulatorClient(base_url.removesuffix("/bot")) as client:
            state = await client.state()
        assert state["messenger"] == "bale"
        assert [c["method"] for c in state["unsupported_calls"]] == ["setMyCommands"]
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 30)
    assert process.returncode == 0
