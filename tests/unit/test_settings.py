"""An operator's mistake in the environment is named, not buried in a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.settings import SettingsError, load_settings


def test_defaults_run_on_a_local_sqlite_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.database_url == "sqlite+aiosqlite:///pishkhan.db"
    assert settings.bot_token is None
    assert settings.telegram_base_url == "https://api.telegram.org/bot"


def test_an_invalid_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PISHKHAN_LISTEN", "everywhere")
    monkeypatch.setenv("PISHKHAN_DATABASE_URL", "mysql://db/x")
    with pytest.raises(SettingsError) as error:
        load_settings()
    message = str(error.value)
    assert "PISHKHAN_LISTEN: " in message and "HOST:PORT" in message
    assert "PISHKHAN_DATABASE_URL: " in message


def test_plain_database_urls_get_the_async_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PISHKHAN_DATABASE_URL", "postgresql://bot:pw@db:5432/pishkhan")
    assert load_settings().database_url == "postgresql+asyncpg://bot:pw@db:5432/pishkhan"
    monkeypatch.setenv("PISHKHAN_DATABASE_URL", "sqlite:////var/lib/pishkhan/bot.db")
    assert load_settings().sqlite_path == Path("/var/lib/pishkhan/bot.db")


def test_dot_env_file_is_read_and_secrets_stay_hidden(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(
        "PISHKHAN_BOT_TOKEN=123:secret-token\nPISHKHAN_TELEGRAM_BASE_URL=http://127.0.0.1:8081/bot/\n"
    )
    settings = load_settings()
    assert settings.bot_token is not None
    assert settings.bot_token.get_secret_value() == "123:secret-token"
    assert "secret-token" not in repr(settings)
    assert settings.telegram_base_url == "http://127.0.0.1:8081/bot"


def test_bale_alone_needs_no_telegram_token(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_settings().messengers == []
    monkeypatch.setenv("PISHKHAN_BALE_TOKEN", "987654321:bale-secret")
    settings = load_settings()
    assert settings.messengers == ["bale"]
    assert settings.bale_base_url == "https://tapi.bale.ai/bot"
    assert settings.bale_poll_seconds == 1.0
    assert "bale-secret" not in repr(settings)
    monkeypatch.setenv("PISHKHAN_BOT_TOKEN", "123:telegram")
    monkeypatch.setenv("PISHKHAN_BALE_BASE_URL", "http://127.0.0.1:8082/bot/")
    settings = load_settings()
    assert settings.messengers == ["telegram", "bale"]
    assert settings.bale_base_url == "http://127.0.0.1:8082/bot"


def test_bad_bale_settings_name_their_variables(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PISHKHAN_BALE_BASE_URL", "tapi.bale.ai/bot")
    monkeypatch.setenv("PISHKHAN_BALE_POLL_SECONDS", "0")
    monkeypatch.setenv("PISHKHAN_BALE_WEBHOOK_SECRET", "a/b")
    monkeypatch.setenv("PISHKHAN_BALE_WEBHOOK_URL", "ftp://example.org/bale")
    with pytest.raises(SettingsError) as error:
        load_settings()
    message = str(error.value)
    for variable in ("BASE_URL", "POLL_SECONDS", "WEBHOOK_SECRET", "WEBHOOK_URL"):
        assert f"PISHKHAN_BALE_{variable}: " in message


def test_a_webhook_url_without_its_token_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PISHKHAN_BOT_TOKEN", "123:telegram")
    monkeypatch.setenv("PISHKHAN_BALE_WEBHOOK_URL", "https://bot.example.org/bale")
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert "PISHKHAN_BALE_WEBHOOK_URL is set but PISHKHAN_BALE_TOKEN is not" in str(error.value)
    monkeypatch.setenv("PISHKHAN_BALE_TOKEN", "987:bale")
    assert load_settings().bale_webhook_url == "https://bot.example.org/bale"
