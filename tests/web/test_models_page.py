"""The models page in headless Chromium: a server that follows the registry, versions searched by author,
topic and text, and the aliases shown as they are."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from listingguard.config import Settings
from listingguard.db import get_engine, migrate, session_scope
from listingguard.registry import service
from listingguard.registry.serving import artifact_store
from listingguard.release import promote as release
from tests.conftest import make_user
from tests.registry.conftest import variant
from tests.web.live import serve
from tests.web.test_ui import PASSWORD, browser, login

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
__all__ = ["browser"]


@pytest.fixture(scope="module")
def registry_server(tmp_path_factory: pytest.TempPathFactory, trained_model: Path) -> Iterator[str]:
    home = tmp_path_factory.mktemp("models-ui")
    url = f"sqlite:///{home / 'ui.db'}"
    migrate(url)
    settings = Settings(home=home, database_url=url, model_dir=None)
    other = variant(trained_model, home / "other", "model-by-bea")
    manifest = json.loads((other / "manifest.json").read_text())
    manifest["author"] = "bea"
    (other / "manifest.json").write_text(json.dumps(manifest))
    now = datetime.now(UTC)
    with session_scope(get_engine(url)) as session:
        store = artifact_store(settings)
        first, _ = service.register_model(
            session, store=store, directory=trained_model, note="baseline", actor="t", now=now
        )
        service.register_model(session, store=store, directory=other, note="new slang", actor="t", now=now)
        release.promote(
            session,
            ref=first.version,
            alias="production",
            reason="first",
            actor=release.Actor("ada", "admin"),
            settings=settings,
            store=store,
            now=now,
        )
    make_user(url, "mod", "moderator", PASSWORD)
    get_engine(url).dispose()
    with serve(url, home, None) as base:
        yield base


def test_search_model_versions_by_author_and_text(browser: Browser, registry_server: str) -> None:
    page = browser.new_page()
    login(page, registry_server)
    page.click("text=Models")
    expect(page).to_have_url(f"{registry_server}/models")
    expect(page.locator("#aliases")).to_contain_text("production")
    rows = page.locator("#models tbody tr, #models tr:has(td)")
    expect(rows).to_have_count(2)
    expect(page.locator("#models")).to_contain_text("production")  # the alias column names the released one
    page.fill("input[name=author]", "bea")
    page.click("#model-search button[type=submit]")
    expect(rows).to_have_count(1)
    expect(page.locator("#models")).to_contain_text("model-by-bea")
    expect(page.locator("#models")).to_contain_text("never")
    page.fill("input[name=author]", "")
    page.fill("input[name=q]", "baseline")
    page.click("#model-search button[type=submit]")
    expect(rows).to_have_count(1)
    expect(page.locator("#models")).not_to_contain_text("model-by-bea")
    page.goto(f"{registry_server}/models?since=notadate")
    expect(page.locator("body")).to_contain_text("YYYY-MM-DD")
    page.close()
