"""Files the server ships and serves itself, read through the package so an installed wheel serves them too: the
demo store's product images under /static/, and the admin dashboard (built from admin/ by `make install` into
commerce/admin_ui/) under /app. Only names that exist in the package are answered."""

import re
from functools import cache
from importlib import resources

from commerce.errors import NotFound
from commerce.http.request import Request
from commerce.http.response import Response
from commerce.http.router import Route

TYPES = {
    ".png": b"image/png",
    ".jpg": b"image/jpeg",
    ".svg": b"image/svg+xml",
    ".css": b"text/css",
    ".js": b"text/javascript; charset=utf-8",
    ".ttf": b"font/ttf",
    ".woff": b"font/woff",
    ".woff2": b"font/woff2",
    ".html": b"text/html; charset=utf-8",
}
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,80}\.(png|jpg|svg|css)$")
CACHE = [(b"cache-control", b"public, max-age=86400")]


@cache
def _read(folder: str, name: str) -> bytes | None:
    node = resources.files("commerce").joinpath("static", folder, name)
    return node.read_bytes() if node.is_file() else None


async def serve(req: Request) -> Response:
    folder, name = req.params["folder"], req.params["name"]
    body = _read(folder, name) if folder == "demo" and NAME.match(name) else None
    if body is None:
        raise NotFound(f"File {folder}/{name} was not found")
    return Response(body, content_type=TYPES[name[name.rindex(".") :]], headers=CACHE)


# The admin UI: Vite names every asset by its content hash, so an asset never changes under its name (cached for a
# year); index.html names the current assets, so it is asked again each time.
ASSET = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,120}\.(js|css|ttf|woff2?|svg|png)$")
IMMUTABLE = [(b"cache-control", b"public, max-age=31536000, immutable")]
NO_CACHE = [(b"cache-control", b"no-cache")]


def _admin_file(*parts: str) -> bytes | None:
    # Not cached in memory: the assets are ~11 MB, and browsers keep them.
    node = resources.files("commerce").joinpath("admin_ui", *parts)
    return node.read_bytes() if node.is_file() else None


async def admin_asset(req: Request) -> Response:
    name = req.params["name"]
    body = _admin_file("assets", name) if ASSET.match(name) else None
    if body is None:
        raise NotFound(f"File assets/{name} was not found")
    return Response(body, content_type=TYPES[name[name.rindex(".") :]], headers=IMMUTABLE)


async def admin_page(req: Request) -> Response:
    """Every other path under /app is one of the dashboard's client-side routes: its index.html (SPA fallback)."""
    body = _admin_file("index.html")
    if body is None:
        raise NotFound("The admin UI is not built: run `make install` with node and npm on the PATH")
    return Response(body, content_type=TYPES[".html"], headers=NO_CACHE)


ROUTES = [
    Route("GET", "/static/:folder/:name", serve, "public", "A file the server ships (demo images)", tag="Static"),
    Route("GET", "/app", admin_page, "public", "The admin dashboard", tag="Static"),
    Route("GET", "/app/*path", admin_page, "public", "The admin dashboard (its client-side routes)", tag="Static"),
    Route("GET", "/app/assets/:name", admin_asset, "public", "The admin dashboard's assets", tag="Static"),
]
