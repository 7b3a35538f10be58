"""The web UI on PostgreSQL: every page it has, driven in Chromium against a gateway whose
store is a real PostgreSQL database (the other browser tests run on SQLite)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from tests.fixtures.server import Live, free_port, serving
from tests.http.test_demos import DEMO
from tests.ui.conftest import new_tab

from modelport.config import Settings

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_live(fresh_postgres_url: str, tmp_path: Path) -> Iterator[Live]:
    settings = Settings(home=tmp_path, port=free_port(), database_url=fresh_postgres_url)
    with serving(settings) as running:
        yield running


@pytest.fixture
def pg_page(browser: Browser, pg_live: Live) -> Iterator[Page]:
    pg_live.http.post("/v1/users", json={"username": "pg_ui", "password": "pg password"})
    with new_tab(browser, pg_live) as tab:
        page = tab.goto("/ui/signin")
        page.fill("#signin-username", "pg_ui")
        page.fill("#signin-password", "pg password")
        page.keyboard.press("Enter")
        page.wait_for_selector("#signed-in-user")
        yield page


def test_every_page_on_postgresql(pg_live: Live, pg_page: Page) -> None:
    pg_live.deploy("demo", DEMO)
    pg_live.publish("demo", public=True)
    page = pg_page
    page.goto(f"{pg_live.url}/ui/")
    expect(page.locator("a", has_text="admin/demo")).to_be_visible()
    page.click("text=admin/demo")
    expect(page.locator("h1")).to_contain_text("admin/demo")
    expect(page.locator("#panel-overview")).to_contain_text("Says hello.")  # the README
    page.click("#tab-try")
    page.fill("#try-input", "postgres")
    page.click("#try-run")
    expect(page.locator("#try-json")).to_contain_text('"hello": "postgres"')
    name = f"pg{uuid.uuid4().hex[:6]}"
    page.click("nav >> text=Data")
    page.fill("#collection-name", name)
    page.click("#collection-create")
    page.wait_for_url(f"**/ui/data/pg_ui/{name}")
    expect(page.locator("#folder-empty")).to_be_visible()
    page.click("nav >> text=Keys")
    page.fill("#key-name", "pg key")
    page.click("#keys-create")
    expect(page.locator("#key-secret")).to_contain_text("mp_")
