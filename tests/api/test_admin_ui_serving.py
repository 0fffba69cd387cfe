"""The admin dashboard at /app: index.html for every client-side route (no-cache), hashed assets cached for a year,
unknown assets 404. Built by `make install` when npm is present; without a build /app says how to build it."""

import re
from importlib import resources

import httpx

from tests.conftest import assert_error

BUILT = resources.files("commerce").joinpath("admin_ui", "index.html").is_file()


def test_app_serves_the_dashboard_or_says_how_to_build_it(client: httpx.Client) -> None:
    for path in ("/app", "/app/", "/app/orders", "/app/orders/order_123/fulfillment", "/app/login"):
        r = client.get(path)
        if not BUILT:
            assert_error(r, 404, "not_found", "make install")
            continue
        assert r.status_code == 200, (path, r.text)
        assert r.headers["content-type"].startswith("text/html")
        assert r.headers["cache-control"] == "no-cache"
        assert '<div id="medusa">' in r.text


def test_assets_are_immutable_and_unknown_ones_404(client: httpx.Client) -> None:
    assert_error(client.get("/app/assets/nothing-here.js"), 404, "not_found")
    assert_error(client.get("/app/assets/run.exe"), 404, "not_found")
    if not BUILT:
        return
    index = client.get("/app").text
    scripts = re.findall(r'src="(/app/assets/[^"]+\.js)"', index)
    styles = re.findall(r'href="(/app/assets/[^"]+\.css)"', index)
    assert scripts and styles, index
    for url, kind in ((scripts[0], "text/javascript"), (styles[0], "text/css")):
        r = client.get(url)
        assert r.status_code == 200, url
        assert r.headers["content-type"].startswith(kind)
        assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert len(r.content) > 1000
