"""The router: static and parameter segments, method mismatch, duplicates."""

import pytest

from commerce.errors import NotFound
from commerce.http import Response, Route, Router
from commerce.http.router import MethodNotAllowed


async def _ok(req: object) -> Response:
    return Response(b"")


def _router() -> Router:
    r = Router()
    r.add(Route("GET", "/store/regions", _ok, "store"))
    r.add(Route("GET", "/store/regions/:id", _ok, "store"))
    r.add(Route("POST", "/admin/api-keys/:id/revoke", _ok, "admin"))
    r.add(Route("GET", "/admin/api-keys/special", _ok, "admin"))
    return r


def test_static_and_param_routes() -> None:
    r = _router()
    route, params = r.match("GET", "/store/regions")
    assert route.path == "/store/regions" and params == {}
    route, params = r.match("GET", "/store/regions/reg_1/")
    assert route.path == "/store/regions/:id" and params == {"id": "reg_1"}
    route, params = r.match("POST", "/admin/api-keys/apk_9/revoke")
    assert params == {"id": "apk_9"}
    # A static segment wins over a parameter.
    assert r.match("GET", "/admin/api-keys/special")[0].path == "/admin/api-keys/special"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/store"),
        ("GET", "/store/regions/a/b"),
        ("GET", "/"),
        ("GET", "/store//regions"),
    ],
)
def test_misses_are_not_found(method: str, path: str) -> None:
    with pytest.raises(NotFound):
        _router().match(method, path)


def test_a_known_path_with_another_method_is_405_naming_the_methods() -> None:
    with pytest.raises(MethodNotAllowed) as caught:
        _router().match("DELETE", "/store/regions")
    assert caught.value.status == 405 and caught.value.allow == ["GET"]


def test_duplicate_and_clashing_routes_are_refused() -> None:
    r = _router()
    with pytest.raises(ValueError, match="duplicate"):
        r.add(Route("GET", "/store/regions", _ok, "store"))
    with pytest.raises(ValueError, match="clashes"):
        r.add(Route("GET", "/store/regions/:region_id/x", _ok, "store"))


def test_a_rest_segment_takes_whatever_deeper_routes_do_not() -> None:
    r = Router()
    r.add(Route("GET", "/app", _ok, "public"))
    r.add(Route("GET", "/app/*path", _ok, "public"))
    r.add(Route("GET", "/app/assets/:name", _ok, "public"))
    assert r.match("GET", "/app")[0].path == "/app"
    assert r.match("GET", "/app/orders") == (r.routes[1], {"path": "orders"})
    assert r.match("GET", "/app/orders/o_1/fulfillment")[1] == {"path": "orders/o_1/fulfillment"}
    assert r.match("GET", "/app/assets/a.js")[0].path == "/app/assets/:name"
    # Deeper than the asset route, or beside it: the rest segment answers.
    assert r.match("GET", "/app/assets/a/b.js")[1] == {"path": "assets/a/b.js"}
    with pytest.raises(MethodNotAllowed):
        r.match("POST", "/app/orders")
    with pytest.raises(NotFound):
        r.match("GET", "/application")
    with pytest.raises(ValueError, match="last segment"):
        r.add(Route("GET", "/x/*rest/y", _ok, "public"))


def test_a_static_path_is_found_as_the_walk_finds_it() -> None:
    """Paths of static segments are looked up whole (Router._exact); with a trailing slash they take the walk: both
    give the route that was added, for every route of the app."""
    from commerce.app import build_router

    router = build_router()
    static = [r for r in router.routes if not any(s[:1] in (":", "*") for s in r.path.split("/"))]
    assert len(static) > 50
    for route in static:
        assert router.match(route.method, route.path) == (route, {})
        assert router.match(route.method, route.path + "/") == (route, {})
