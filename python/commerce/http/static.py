"""Files the server ships and serves itself under /static/ (the demo store's product images), read through the
package, so an installed wheel serves them too. Only names that exist in the package are answered."""

import re
from functools import cache
from importlib import resources

from commerce.errors import NotFound
from commerce.http.request import Request
from commerce.http.response import Response
from commerce.http.router import Route

TYPES = {".png": b"image/png", ".jpg": b"image/jpeg", ".svg": b"image/svg+xml", ".css": b"text/css"}
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


ROUTES = [Route("GET", "/static/:folder/:name", serve, "public", "A file the server ships (demo images)", tag="Static")]
