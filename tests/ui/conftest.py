"""Browser tests of the web UI: Debian's headless Chromium driven by Playwright's sync API,
against the session's live gateway. One browser per module; a fresh context per test."""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from tests.detectors.test_ssdlite import installed_graph
from tests.fixtures.server import Live
from tests.modelfile.conftest import Deploy, deploy_model  # noqa: F401 (a fixture)
from tests.modelfile.test_mobilenet import imagenet_labels, mobilenet  # noqa: F401 (a fixture)

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: scripts/test installs Debian's chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield launched
        launched.close()


class Tab:
    """A page in its own browser context, failing the test on any uncaught script error."""

    def __init__(self, context: BrowserContext, live: Live) -> None:
        self.context, self.live = context, live
        self.page: Page = context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def goto(self, path: str) -> Page:
        self.page.goto(self.live.url + path)
        return self.page

    def sign_in_with_key(self, key: str, then: str = "/ui/") -> Page:
        page = self.goto(f"/ui/signin?next={then}")
        page.fill("#signin-apikey", key)
        page.click("#signin-key-form-submit")
        page.wait_for_selector("#signed-in-user")
        return page


@contextmanager
def new_tab(browser: Browser, live: Live) -> Iterator[Tab]:
    """A signed-out tab on ``live`` in a fresh context, closed after; a script error fails."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    opened = Tab(context, live)
    yield opened
    context.close()
    assert not opened.errors, opened.errors


@pytest.fixture
def tab(browser: Browser, live: Live) -> Iterator[Tab]:
    """A signed-out tab; ``tab.page`` is the Playwright page."""
    with new_tab(browser, live) as opened:
        yield opened


@pytest.fixture
def admin(tab: Tab, live: Live) -> Page:
    """A tab signed in with the admin's API key, on the algorithms list."""
    return tab.sign_in_with_key(live.key)


@pytest.fixture(scope="module")
def shots() -> Path:
    """Where screenshots go: $MODELPORT_SCREENSHOTS, else screenshots/ at the repo root."""
    folder = Path(os.environ.get("MODELPORT_SCREENSHOTS") or ROOT / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """coffee.jpg (scikit-image's), scene.jpg (for the detector), and two corrupt files."""
    from skimage import data

    folder = tmp_path_factory.mktemp("images")
    coffee = io.BytesIO()
    Image.fromarray(data.coffee()).save(coffee, format="JPEG", quality=95)
    (folder / "coffee.jpg").write_bytes(coffee.getvalue())
    Image.fromarray(data.astronaut()).resize((640, 480)).save(folder / "scene.jpg", quality=90)
    (folder / "truncated.jpg").write_bytes(coffee.getvalue()[:2000])
    (folder / "notes.txt").write_text("this is not an image\n")
    return {path.stem: path for path in folder.iterdir()}


@pytest.fixture(scope="module")
def classifier(
    live: Live,
    mobilenet: Path,  # noqa: F811
    deploy_model: Deploy,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> str:
    """MobileNetV2 deployed with no code and published public: its owner/name."""
    path = imagenet_labels(tmp_path_factory.mktemp("classifier"))
    name = f"classifier_{uuid.uuid4().hex[:6]}"
    flags = ["--task", "image-classification", "--labels", str(path), "--top-k", "5"]
    deploy_model(mobilenet, *flags, "--name", f"admin/{name}")
    live.publish(name)
    return f"admin/{name}"


@pytest.fixture(scope="module")
def detector(deploy_model: Deploy, tmp_path_factory: pytest.TempPathFactory) -> str:  # noqa: F811
    """The SSDLite person detector (shipped TF graph, cv2.dnn), deployed with no code, built
    but not published: its owner/name."""
    folder = tmp_path_factory.mktemp("detector")
    (folder / "person.txt").write_text("person\n")
    name = f"detector_{uuid.uuid4().hex[:6]}"
    flags = ["--task", "object-detection", "--labels", str(folder / "person.txt")]
    deploy_model(installed_graph(), *flags, "--threshold", "0.3", "--name", f"admin/{name}")
    return f"admin/{name}"
