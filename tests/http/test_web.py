"""The web UI's files as the gateway serves them: one page for every UI address, static files
with a strict Content-Security-Policy, nothing from another origin, and a small weight."""

from __future__ import annotations

import re
from importlib import resources

import httpx

from tests.fixtures.server import Live

WEB = resources.files("modelport") / "web"


def test_every_ui_address_serves_the_page(live: Live) -> None:
    with httpx.Client(base_url=live.url) as b:  # no credentials: the page signs in itself
        r = b.get("/")
        assert (r.status_code, r.headers["location"]) == (307, "/ui/")
        pages = [b.get(p) for p in ("/ui", "/ui/", "/ui/algorithms/admin/x", "/demo/admin/x")]
        assert {p.status_code for p in pages} == {200}
        assert len({p.text for p in pages}) == 1 and "<html" in pages[0].text
        csp = pages[0].headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert pages[0].headers["x-content-type-options"] == "nosniff"
        script = b.get("/ui/static/app.js")
        assert script.headers["content-type"].startswith("text/javascript")
        again = b.get("/ui/static/app.js", headers={"If-None-Match": script.headers["etag"]})
        assert again.status_code == 304
        assert script.headers["content-encoding"] == "gzip"  # httpx asks for it, and unpacks
        assert script.text == (WEB / "app.js").read_text()
        for missing in ("/ui/static/missing.js", "/ui/static/.hidden", "/ui/static/web"):
            assert b.get(missing).status_code == 404, missing
        # a way out of the folder is just another UI address: the page, never the file
        r = b.get("/ui/static/..%2F__init__.py")
        assert r.text == pages[0].text


def test_the_ui_is_light_and_self_contained() -> None:
    files = [f for f in WEB.iterdir() if f.is_file()]
    total = sum(len(f.read_bytes()) for f in files)
    assert total < 300_000, f"the web UI weighs {total} bytes"
    for f in files:
        if f.name.endswith((".js", ".html", ".css")):
            text = f.read_text()
            # no CDN: every script, style and font comes from the gateway itself
            assert not re.search(r"""(src|href)=["']https?://""", text), f.name
            assert "@import url(http" not in text and "eval(" not in text, f.name
