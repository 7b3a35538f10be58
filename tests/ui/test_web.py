"""The web UI in a real browser: sign-in, the algorithm pages with a real classifier and a
detector, data uploads, API keys and a public demo page. Screenshots of each main page go
to $MODELPORT_SCREENSHOTS (default: screenshots/)."""

from __future__ import annotations

import base64
import json
import re
import uuid
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from tests.fixtures.server import Live
from tests.ui.conftest import Tab

pytestmark = pytest.mark.slow


def shoot(page: Page, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def open_tab(page: Page, ref: str, tab: str) -> None:
    page.goto(f"{page.url.split('/ui/')[0]}/ui/algorithms/{ref}")
    page.click(f"#tab-{tab}")
    expect(page.locator(f"#panel-{tab}")).to_be_visible()


def run_image(page: Page, image: Path) -> None:
    page.set_input_files("#try-file", str(image))
    page.click("#try-run")


def drop_image(page: Page, image: Path) -> None:
    """Drag and drop ``image`` onto the try-it drop zone, then run."""
    transfer = page.evaluate_handle(
        """([name, data]) => {
            const transfer = new DataTransfer();
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
            transfer.items.add(new File([bytes], name));
            return transfer;
        }""",
        [image.name, base64.b64encode(image.read_bytes()).decode()],
    )
    page.dispatch_event("[data-testid=dropzone]", "drop", {"dataTransfer": transfer})
    expect(page.locator(".drop-preview")).to_contain_text(image.name)
    page.click("#try-run")


def test_password_sign_in_returns_to_the_page_asked_for_and_signs_out(
    tab: Tab, live: Live, shots: Path
) -> None:
    name = f"ui{uuid.uuid4().hex[:8]}"
    r = live.http.post("/v1/users", json={"username": name, "password": "correct horse 42"})
    assert r.status_code == 200, r.text

    page = tab.goto("/ui/keys")
    page.wait_for_url("**/ui/signin?next=%2Fui%2Fkeys")
    page.fill("#signin-username", name)
    page.fill("#signin-password", "wrong password")
    page.click("#signin-form-submit")
    expect(page.locator("#signin-error")).to_be_visible()
    shoot(page, shots, "signin")

    page.fill("#signin-password", "correct horse 42")
    page.click("#signin-form-submit")
    page.wait_for_url("**/ui/keys")
    expect(page.locator("#signed-in-user")).to_have_text(name)
    expect(page.locator("h1")).to_have_text("API keys")

    page.click("#signout")
    page.wait_for_url("**/ui/signin")
    page.goto(f"{live.url}/ui/data")
    page.wait_for_url("**/ui/signin?next=%2Fui%2Fdata")
    assert tab.context.request.get(f"{live.url}/v1/sessions/current").status == 401


def test_another_user_tries_a_public_algorithm_but_sees_no_builds_or_publishing(
    tab: Tab, live: Live, classifier: str, images: dict[str, Path]
) -> None:
    name = f"ui{uuid.uuid4().hex[:8]}"
    r = live.http.post("/v1/users", json={"username": name, "password": "another horse 42"})
    assert r.status_code == 200, r.text
    page = tab.goto(f"/ui/signin?next=/ui/algorithms/{classifier}")
    page.fill("#signin-username", name)
    page.fill("#signin-password", "another horse 42")
    page.click("#signin-form-submit")
    page.wait_for_url(f"**/ui/algorithms/{classifier}")
    expect(page.locator("[role=tab]")).to_have_count(4)  # no Publish
    page.click("#tab-versions")
    expect(page.locator("[data-testid=version-row]")).to_have_count(1)
    expect(page.locator("#builds-table")).to_have_count(0)
    page.click("#tab-try")
    run_image(page, images["coffee"])
    expect(page.locator("#try-result .bar-label").first).to_have_text("espresso")


def test_the_list_filters_and_the_classifier_finds_the_espresso(
    admin: Page, classifier: str, detector: str, images: dict[str, Path], shots: Path
) -> None:
    admin.reload()  # the list as it is now that both algorithms exist
    rows = admin.locator("[data-testid=algo-row]")
    expect(rows.filter(has_text=classifier)).to_be_visible()
    admin.fill("#algo-search", classifier.split("/")[1])
    expect(rows.filter(has_text=detector)).to_be_hidden()
    expect(rows.filter(has_text=classifier)).to_be_visible()

    admin.click(f"a:text-is('{classifier}')")
    admin.wait_for_url(f"**/ui/algorithms/{classifier}")
    expect(admin.locator("h1")).to_have_text(classifier)
    admin.focus("#tab-overview")
    admin.keyboard.press("ArrowRight")  # tabs follow the keyboard
    expect(admin.locator("#tab-try")).to_be_focused()
    expect(admin.locator("#tab-try")).to_have_attribute("aria-selected", "true")
    run_image(admin, images["coffee"])
    first = admin.locator("#try-result .bar-label").first
    expect(first).to_have_text("espresso")
    answer = json.loads(admin.locator("#try-json").inner_text())
    assert answer["label"] == "espresso"
    expect(admin.locator("#try-duration")).to_contain_text("Ran in")
    shoot(admin, shots, "algorithm-classification")
    admin.click("nav >> text=Algorithms")
    row = admin.locator(f"[data-testid=algo-row][data-ref='{classifier}']")
    expect(row.locator("td").nth(3)).to_have_text(re.compile(r"^[1-9]\d*$"))  # calls, last hour
    shoot(admin, shots, "algorithms")
    admin.go_back()
    admin.wait_for_url(f"**/ui/algorithms/{classifier}*")

    admin.click("#tab-api")
    curl = admin.locator("#snippet-curl").inner_text()
    assert f"/v1/algo/{classifier}/0.1.0" in curl and "--data-binary @image.jpg" in curl
    assert "Algorithmia.client" in admin.locator("#snippet-algorithmia").inner_text()
    admin.click("#tab-versions")
    expect(admin.locator("[data-testid=version-row]")).to_have_count(1)
    build = admin.locator("[data-testid=build-row]").first
    expect(build).to_contain_text("succeeded")
    build.get_by_role("button", name="Logs").click()
    expect(admin.locator(".logs-row pre").first).not_to_have_text("Loading…")


def test_the_detector_draws_one_box_per_detection_and_publishes(
    admin: Page, detector: str, images: dict[str, Path], shots: Path
) -> None:
    open_tab(admin, detector, "try")
    run_image(admin, images["scene"])
    admin.wait_for_selector("#try-result svg rect.box")
    found = json.loads(admin.locator("#try-json").inner_text())["detections"]
    assert len(found) > 0
    expect(admin.locator("#try-result svg rect.box")).to_have_count(len(found))
    person = found[0]  # the astronaut: boxes in the sent 640x480 image's pixels
    assert person["label"] == "person" and person["confidence"] > 0.8
    assert 0 <= person["xmin"] < 60 and 400 < person["ymax"] <= 480, person
    box = admin.locator("#try-result svg rect.box").first
    assert float(box.get_attribute("x") or 0) == pytest.approx(person["xmin"])
    assert float(box.get_attribute("width") or 0) == pytest.approx(person["width"])
    shoot(admin, shots, "algorithm-detection")

    admin.click("#tab-publish")
    admin.select_option("#publish-bump", "major")
    admin.fill("#publish-notes", "first release")
    admin.click("#publish-submit")
    expect(admin.locator("#publish-result")).to_have_text("Published 1.0.0.")
    admin.click("#tab-versions")
    expect(admin.locator("[data-testid=version-row]")).to_contain_text("first release")


def test_a_corrupt_image_shows_the_error(
    admin: Page, detector: str, images: dict[str, Path]
) -> None:
    open_tab(admin, detector, "try")
    for corrupt, send in (("truncated", run_image), ("notes", drop_image)):
        send(admin, images[corrupt])
        error = admin.locator("#try-error")
        expect(error).to_be_visible()
        assert "image" in error.inner_text().lower()
        expect(admin.locator("#try-result")).to_be_empty()


def test_a_collection_takes_an_upload_with_progress(
    admin: Page, tmp_path: Path, shots: Path
) -> None:
    name = f"ui{uuid.uuid4().hex[:8]}"
    admin.click("nav >> text=Data")
    admin.fill("#collection-name", name)
    admin.select_option("#collection-acl", "private")
    admin.click("#collection-create")
    admin.wait_for_url(f"**/ui/data/admin/{name}")
    expect(admin.locator("#acl-select")).to_have_value("private")
    expect(admin.locator("#folder-empty")).to_be_visible()

    weights = tmp_path / "weights.bin"
    weights.write_bytes(bytes(range(256)) * 1200)  # 300 KB
    admin.set_input_files("#upload-file", str(weights))
    admin.click("#upload-start")
    row = admin.locator("[data-testid=file-row][data-name='weights.bin']")
    expect(row).to_be_visible()
    expect(row.locator("[data-testid=file-size]")).to_have_attribute("data-bytes", "307200")
    expect(row.locator("[data-testid=file-size]")).to_have_text("300 KB")
    expect(admin.locator("#upload-progress")).to_have_attribute("value", "100")
    expect(admin.locator("#upload-status")).to_have_text("Uploaded weights.bin.")

    admin.select_option("#acl-select", "public")
    admin.click("#acl-save")
    expect(admin.locator("#acl-status")).to_have_text("Saved.")
    admin.reload()
    expect(admin.locator("#acl-select")).to_have_value("public")
    shoot(admin, shots, "data")


def test_a_key_is_shown_once_and_revoked(admin: Page, live: Live, shots: Path) -> None:
    admin.click("nav >> text=Keys")
    admin.fill("#key-name", "ui-test")
    admin.uncheck("#scope-algo-manage")
    admin.click("#keys-create")
    secret = admin.locator("#key-secret").inner_text()
    assert secret.startswith("mp_")
    row = admin.locator("[data-testid=key-row][data-key-name='ui-test']").first
    expect(row).to_contain_text("algo:call")
    expect(row).not_to_contain_text("algo:manage")
    with httpx.Client(base_url=live.url, headers={"Authorization": f"Simple {secret}"}) as client:
        assert client.get("/v1/algorithms").status_code == 200
        shoot(admin, shots, "keys")

        admin.click("#key-done")
        expect(admin.locator("#key-secret")).to_have_count(0)
        row.get_by_role("button", name="Revoke").click()
        admin.click("#confirm-ok")
        expect(row).to_contain_text("revoked")
        assert client.get("/v1/algorithms").status_code == 401


def test_a_shared_demo_page_works_signed_out(
    admin: Page,
    browser: Browser,
    live: Live,
    classifier: str,
    images: dict[str, Path],
    shots: Path,
) -> None:
    open_tab(admin, classifier, "publish")
    admin.check("#demo-toggle")
    link = admin.locator("#demo-link")
    expect(link).to_be_visible()
    assert link.inner_text() == f"{live.url}/demo/{classifier}"

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{live.url}/demo/{classifier}")
        expect(page.locator("h1")).to_have_text(classifier)
        expect(page.locator("#signin-link")).to_be_visible()
        run_image(page, images["coffee"])
        expect(page.locator("#try-result .bar-label").first).to_have_text("espresso")
        shoot(page, shots, "demo")
        page.set_viewport_size({"width": 390, "height": 844})
        shoot(page, shots, "demo-phone")

        # signed-out callers are rate limited: the page says when to try again
        limited = {"error": {"code": "rate_limited", "message": "too many demo calls"}}
        page.route(
            "**/v1/algo/**",
            lambda route: route.fulfill(status=429, headers={"Retry-After": "7"}, json=limited),
        )
        page.click("#try-run")
        expect(page.locator("#try-error")).to_have_text("Too many requests, try again in 7 s.")
    finally:
        context.close()

    admin.uncheck("#demo-toggle")
    expect(admin.locator("#demo-share")).to_be_hidden()
    assert httpx.get(f"{live.url}/v1/demos/{classifier}").status_code == 404


def test_the_readme_renderer_escapes_html_and_links_only_to_the_web(admin: Page) -> None:
    source = "\n".join(
        [
            "# Title <script>alert(1)</script>",
            "Some **bold**, `<code>` and [a link](https://example.com/?a=1&b=2).",
            "[bad](javascript:alert(1)) <img src=x onerror=alert(1)>",
            "",
            "- one",
            "- two",
            "",
            "```",
            "<b>not bold</b>",
            "```",
        ]
    )
    html = admin.evaluate(
        "async (source) => (await import('/ui/static/markdown.js')).renderMarkdown(source)",
        source,
    )
    assert "<script>" not in html and "<img" not in html and "<b>" not in html
    assert "<h2>Title &lt;script&gt;alert(1)&lt;/script&gt;</h2>" in html
    assert "<strong>bold</strong>" in html and "<code>&lt;code&gt;</code>" in html
    assert '<a href="https://example.com/?a=1&amp;b=2" rel="noopener noreferrer">a link</a>' in html
    assert 'href="javascript' not in html
    assert "<ul><li>one</li><li>two</li></ul>" in html
    assert "<pre><code>&lt;b&gt;not bold&lt;/b&gt;</code></pre>" in html


PAGES = ["/ui/", "/ui/algorithms/{detector}#versions", "/ui/keys", "/ui/data", "/ui/signin"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_fit_a_360_pixel_phone(admin: Page, live: Live, detector: str, path: str) -> None:
    admin.set_viewport_size({"width": 360, "height": 740})
    admin.goto(live.url + path.format(detector=detector))
    admin.wait_for_selector("h1")
    assert admin.evaluate("document.documentElement.scrollWidth") <= 360
