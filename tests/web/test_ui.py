"""The moderator UI end to end in headless Chromium (Debian's, driven by Playwright).

A real `listingguard serve` process on a temporary database; a moderator logs in and works the queue with
the keyboard only: n (claim) → digit (topic) → Enter (violation) → n → o (ok) → ...
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import select

from listingguard.db import get_engine, migrate, session_scope
from listingguard.intake.flows import ingest_and_screen
from listingguard.listings.schemas import ListingIn
from listingguard.review import service as review_service
from listingguard.review.models import Decision, ReviewTask
from tests.conftest import REQUIRE_POSTGRES, listing, make_user

CHROMIUM = os.environ.get("LISTINGGUARD_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "correct horse battery"
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, trained_model: Path, screener) -> Iterator[tuple[str, str]]:
    """A running server with three flagged listings, one allowed listing with a blind evaluation task."""
    home = tmp_path_factory.mktemp("ui")
    url = f"sqlite:///{home / 'ui.db'}"
    migrate(url)
    records = [
        listing(id="u1", title="ルイヴィトン 長財布 スーパーコピー", category="wallets", price=2500, condition="new"),
        listing(id="u2", title="拳銃 実銃 本物です", category="toys_hobby", price=40000),
        listing(id="u3", title="子猫 生後2ヶ月 かわいい", category="pet_supplies", price=30000),
        listing(id="u4", title="ナイキ スニーカー 27cm"),
        listing(
            id="u5",
            title="シャネル 財布 スーパーコピー",
            description="スーパーコピー ですが 品質は 良いです。 スーパーコピー 専門店",
            category="wallets",
            price=3000,
        ),
        *(
            listing(id=f"u{i}", title=f"スーパーコピー 長財布 {i}", category="wallets", price=2000 + i)
            for i in range(6, 9)
        ),
    ]
    with session_scope(get_engine(url)) as session:
        ingest_and_screen(session, screener=screener, listings=[ListingIn.model_validate(r) for r in records])
        review_service.create_evaluation_tasks(
            session, listing_ids=["u4"], source="test", actor="t", now=datetime.now(UTC)
        )
    make_user(url, "mod", "moderator", PASSWORD)
    make_user(url, "mod2", "moderator", PASSWORD)
    make_user(url, "lead", "lead", PASSWORD)
    get_engine(url).dispose()
    port = free_port()
    env = {
        **os.environ,
        "LISTINGGUARD_HOME": str(home),
        "LISTINGGUARD_DATABASE_URL": url,
        "LISTINGGUARD_MODEL_DIR": str(trained_model),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "listingguard.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            raise RuntimeError("server did not start: " + (server.stdout.read(4000).decode() if server.stdout else ""))
        yield base, url
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        if REQUIRE_POSTGRES:  # in CI the browser must be there
            pytest.fail(f"Chromium not found at {CHROMIUM}; scripts/ensure-chromium.sh installs it")
        pytest.skip(f"Chromium not found at {CHROMIUM}; install Debian's chromium package")
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield b
        b.close()


def login(page: Page, base: str, user: str = "mod") -> None:
    page.goto(f"{base}/queue")
    expect(page).to_have_url(f"{base}/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{base}/queue")


def decisions(url: str) -> list[Decision]:
    with session_scope(get_engine(url)) as session:
        return list(session.scalars(select(Decision).order_by(Decision.id)))


def test_wrong_password_is_refused(browser: Browser, live: tuple[str, str]) -> None:
    base, _ = live
    page = browser.new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=username]", "mod")
    page.fill("input[name=password]", "wrong password!")
    page.click("button[type=submit]")
    expect(page.locator(".error")).to_contain_text("wrong user name or password")
    page.close()


def test_a_queue_row_opens_its_task_with_every_rule_hit_marked(browser: Browser, live: tuple[str, str]) -> None:
    base, _ = live
    page = browser.new_page()
    login(page, base)
    expect(page.locator("table.queue tbody tr")).to_have_count(8)
    row = page.locator("table.queue tbody tr", has_text="シャネル 財布")
    wanted = int(row.get_attribute("data-task-id") or 0)
    row.locator("td").first.click()  # anywhere on the row, not only the title
    assert task_id(page) == wanted
    expect(page).to_have_url(f"{base}/review/{wanted}")
    expect(page.locator("#listing-description mark.rule")).to_have_count(2)  # both occurrences
    expect(page.locator("#listing-title mark.rule")).to_have_count(1)
    page.keyboard.press("o")
    expect(page.locator("#decided")).to_be_visible()
    page.close()


def test_keyboard_claim_decide_next_cycle(browser: Browser, live: tuple[str, str]) -> None:
    base, url = live
    page = browser.new_page()
    login(page, base)
    rows = page.locator("table.queue tbody tr")
    expect(rows.first).to_be_visible()
    # 7 after the previous test took one from its row; 8 when the scheduler ran this test first
    assert rows.count() in (7, 8)

    page.keyboard.press("n")  # claim the most urgent task (the handgun: weapons, severity 1.0)
    expect(page.locator("#task")).to_be_visible()
    # 拳銃 and 実銃: every hit is marked (a model feature inside a hit splits its mark into segments)
    expect(page.locator("#listing-title mark.rule").first).to_be_visible()
    assert "".join(page.locator("#listing-title mark.rule").all_inner_texts()) == "拳銃実銃"
    expect(page.locator("#signals")).to_contain_text("weapons")
    page.keyboard.press("8")  # weapons is the 8th topic
    expect(page.locator("input[name=topic][value=weapons]")).to_be_checked()
    page.keyboard.press("Enter")
    expect(page.locator("#decided")).to_contain_text("Violation: weapons")

    page.keyboard.press("n")
    expect(page.locator("#task")).to_be_visible()
    page.keyboard.press("o")
    expect(page.locator("#decided")).to_contain_text("OK")
    made = decisions(url)
    assert [d.topics for d in made[-2:]] == [["weapons"], []]
    assert {d.reviewer_id for d in made[-2:]} == {made[-1].reviewer_id}
    page.close()


def test_skip_and_blind_evaluation_task(browser: Browser, live: tuple[str, str]) -> None:
    base, url = live
    page = browser.new_page()
    login(page, base, "mod2")
    page.goto(f"{base}/queue?kind=evaluation")
    page.keyboard.press("n")
    expect(page.locator("#signals.blind")).to_contain_text("Blind review")
    expect(page.locator("table.scores")).to_have_count(0)
    expect(page.locator("mark")).to_have_count(0)
    page.keyboard.press("s")  # skip: the only evaluation task goes back to the queue
    expect(page.locator("#empty")).to_contain_text("back in the queue")
    with session_scope(get_engine(url)) as session:
        task = session.scalars(select(ReviewTask).where(ReviewTask.kind == "evaluation")).one()
        assert task.status == "open" and task.claimed_by is None
    page.keyboard.press("n")  # n on the empty page asks again (with the same filter) and gets it back
    expect(page.locator("#signals.blind")).to_be_visible()
    page.keyboard.press("s")
    expect(page.locator("#empty")).to_be_visible()
    page.close()


def task_id(page: Page) -> int:
    expect(page.locator("#task")).to_be_visible()
    return int(page.locator("#task").get_attribute("data-task-id") or 0)


def test_skip_goes_to_the_next_task_and_n_works_on_every_page(browser: Browser, live: tuple[str, str]) -> None:
    base, url = live
    page = browser.new_page()
    login(page, base)
    page.keyboard.press("n")
    skipped = task_id(page)
    page.keyboard.press("s")
    expect(page.locator(f"#task:not([data-task-id='{skipped}'])")).to_be_visible()  # not "the queue is empty"
    with session_scope(get_engine(url)) as session:
        assert session.get(ReviewTask, skipped).status == "open"  # type: ignore[union-attr]
    page.keyboard.press("o")
    expect(page.locator("#decided")).to_be_visible()
    page.goto(f"{base}/review/abc")  # an error page: HTML with the navigation, and n still works
    expect(page.locator("#message .error")).to_be_visible()
    expect(page.locator("header .who")).to_contain_text("mod")
    page.keyboard.press("n")
    task_id(page)
    page.keyboard.press("o")
    expect(page.locator("#decided")).to_be_visible()
    page.close()


def test_csrf_and_stats(browser: Browser, live: tuple[str, str]) -> None:
    base, _ = live
    page = browser.new_page()
    login(page, base, "lead")
    forged = page.request.post(f"{base}/review/next", form={"filter_kind": "enforcement"})
    assert forged.status == 403 and "CSRF" in forged.text()
    page.goto(f"{base}/stats")
    expect(page.locator("#backlog-topics")).to_be_visible()
    chart = page.request.get(f"{base}/stats/decisions.png")
    assert chart.status == 200 and chart.headers["content-type"] == "image/png"
    page.keyboard.press("n")  # from the stats page straight into a task
    task_id(page)
    page.close()


def test_moderators_do_not_see_the_stats(browser: Browser, live: tuple[str, str]) -> None:
    base, _ = live
    page = browser.new_page()
    login(page, base, "mod2")
    expect(page.locator("header nav a[href='/stats']")).to_have_count(0)
    page.goto(f"{base}/stats")
    expect(page.locator("#message")).to_contain_text("review:manage")
    page.close()


def test_logged_out_users_are_sent_to_login(browser: Browser, live: tuple[str, str]) -> None:
    base, _ = live
    page = browser.new_page()
    page.goto(f"{base}/stats")
    expect(page).to_have_url(f"{base}/login")
    page.close()
