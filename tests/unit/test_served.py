"""Which messengers `pishkhan run` serves, how, and when a pool of workers cannot."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.runtime import served
from bot.webhook import derived_secret
from bot.workers import WORKERS_NEED_WEBHOOK, pool_problem
from services.settings import load_settings

BALE_TOKEN = "987654321:bale-secret"


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env from elsewhere


def test_bale_alone_is_polled_from_its_own_api() -> None:
    (bale,) = served(load_settings(bale_token=BALE_TOKEN))
    assert (bale.messenger, bale.mode, bale.base_url) == (
        "bale",
        "polling",
        "https://tapi.bale.ai/bot",
    )


def test_bales_webhook_secret_is_in_the_path_and_telegrams_in_a_header() -> None:
    settings = load_settings(
        bot_token="123:telegram",
        webhook_url="https://bot.example.ir/telegram/updates",
        bale_token=BALE_TOKEN,
        bale_webhook_url="https://bot.example.ir/bale/",
    )
    telegram, bale = served(settings)
    assert telegram.target is not None and bale.target is not None
    assert telegram.target.registered_url == "https://bot.example.ir/telegram/updates"
    assert not telegram.target.secret_in_path
    secret = derived_secret(BALE_TOKEN)
    assert bale.target.registered_url == f"https://bot.example.ir/bale/{secret}"
    assert bale.target.path == "/bale/" and BALE_TOKEN not in bale.target.registered_url
    chosen = load_settings(
        bale_token=BALE_TOKEN, bale_webhook_url="https://b.ir/x", bale_webhook_secret="s3cr3t"
    )
    (only,) = served(chosen)
    assert only.target is not None and only.target.registered_url == "https://b.ir/x/s3cr3t"


def test_workers_need_every_messenger_in_webhook_mode() -> None:
    both = {
        "bot_token": "123:telegram",
        "webhook_url": "https://bot.example.ir/telegram",
        "bale_token": BALE_TOKEN,
        "database_url": "postgresql://db/pishkhan",
    }
    assert pool_problem(load_settings(**both), 2) == WORKERS_NEED_WEBHOOK  # Bale polled
    assert (
        pool_problem(load_settings(**both, bale_webhook_url="https://bot.example.ir/b"), 2) is None
    )
