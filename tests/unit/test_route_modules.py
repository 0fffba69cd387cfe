"""app.ROUTE_MODULES, by which a worker imports a route module on the first request to one of its paths: complete
(every route's module is listed under that route's key) and exact (no module listed under a key it does not serve)."""

import importlib

from commerce import app


def test_every_route_is_found_by_its_key_and_every_key_serves_a_route() -> None:
    for name, keys in app.ROUTE_MODULES.items():
        served = set()
        for route in importlib.import_module(name).ROUTES:
            key = app.route_key(route.path)
            assert ":" not in key and "*" not in key, f"{route.path}: a key must be literal, not a parameter"
            assert name in app.ROUTES_BY_KEY.get(key, []), f"{route.method} {route.path} ({name}) is not under {key!r}"
            served.add(key)
        assert served == set(keys), f"{name} is listed under {sorted(set(keys) - served)}, which it does not serve"


def test_route_key() -> None:
    assert app.route_key("/store/products/prod_1") == "store/products"
    assert app.route_key("/admin/products") == "admin/products"
    assert app.route_key("/static/demo/a.png") == "static"
    assert app.route_key("/app") == app.route_key("/app/orders/1") == "app"
    assert app.route_key("/") == ""


def test_the_router_of_every_module_is_the_whole_api() -> None:
    router = app.build_router()
    assert len(router.routes) == len(app.all_routes())
    assert {r.path for r in router.routes} >= {"/health", "/health/ready", "/store/products", "/admin/products"}
