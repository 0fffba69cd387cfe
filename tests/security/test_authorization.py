"""The authorization matrix: every route of the router, asked by every kind of caller, answers as its guard says.

The route list comes from `commerce.app.build_router().routes` (plus the two routes the app adds at startup), and
ROUTES below names the guard each one must have: a route added, removed or moved to another guard without a row here
fails `test_every_route_has_a_row`. Each (route, caller) pair is one real HTTP request against one server, with path
ids filled in (customer A's own cart, order and address where ownership matters, ids of nothing otherwise) and a
minimal body. "Allowed" means the guard let the request through: any answer but 401/403, and never a 5xx (a 400, 404
or 409 from the handler is fine). A refusal is asserted exactly, status and error type, as the code answers today:

- admin routes: a user JWT (bearer or cookie session) or a live secret key (`Basic base64(sk:)` or `Bearer sk_`)
  pass; everyone else gets 401 unauthorized.
- store routes: a live publishable key passes; a missing or revoked one is Medusa's 400 not_allowed (the token a
  caller sends does not matter on these).
- store routes with an optional customer: as store, but a token that is sent and invalid is a 401.
- customer routes: the key first (400 not_allowed), then a customer token or session (401 unauthorized otherwise).
- public routes: no guard; the few /auth routes that read a token themselves (session, refresh, password update)
  answer 401 without a valid one.

Ownership, beyond the guards: customer B gets 404 for customer A's addresses and sees only B's orders. Carts and
orders by id are NOT owned, as in Medusa: whoever holds a cart's or an order's id may use it (the id, unguessable,
is the secret), so B can read A's cart and A's order when given the id; B cannot take A's cart over
(POST /store/carts/:id/customer, A has an account: 400 not_allowed).
"""

import base64
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
import pytest

from commerce.app import build_router
from tests.conftest import JWT_SECRET, Server, eventually
from tests.shop import ADDRESS, build, cart_ready, ok, product

# Every route and the guard it must have. A new route needs a row here (and its guard reviewed).
ROUTES: dict[str, str] = {
    "GET /health": "public",
    "GET /health/ready": "public",
    "GET /static/:folder/:name": "public",
    "GET /app": "public",
    "GET /app/*path": "public",
    "GET /app/assets/:name": "public",
    "POST /auth/session": "public",
    "DELETE /auth/session": "public",
    "POST /auth/token/refresh": "public",
    "POST /auth/user/emailpass": "public",
    "POST /auth/user/emailpass/register": "public",
    "POST /auth/user/emailpass/reset-password": "public",
    "POST /auth/user/emailpass/update": "public",
    "POST /auth/customer/emailpass": "public",
    "POST /auth/customer/emailpass/register": "public",
    "POST /auth/customer/emailpass/reset-password": "public",
    "POST /auth/customer/emailpass/update": "public",
    "GET /auth/user/providers": "public",
    "GET /auth/customer/providers": "public",
    "GET /auth/mfa/factors": "admin",
    "GET /admin/users": "admin",
    "GET /admin/users/me": "admin",
    "GET /admin/users/:id": "admin",
    "GET /admin/users/:id/auth-providers": "admin",
    "POST /admin/users/:id": "admin",
    "GET /admin/feature-flags": "public",
    "GET /admin/product-options": "admin",
    "GET /admin/product-options/:id": "admin",
    "GET /admin/product-options/:id/values": "admin",
    "POST /admin/product-options": "admin",
    "POST /admin/product-options/:id": "admin",
    "DELETE /admin/product-options/:id": "admin",
    "GET /admin/plugins": "admin",
    "GET /admin/returns": "admin",
    "GET /admin/claims": "admin",
    "GET /admin/exchanges": "admin",
    "GET /admin/orders/:id/changes": "admin",
    "GET /admin/orders/:id/preview": "admin",
    "GET /admin/promotions/:id/rules": "admin",
    "GET /admin/promotions/rule-attribute-options/:rule_type": "admin",
    "GET /admin/promotions/:id/target-rules": "admin",
    "GET /admin/promotions/:id/buy-rules": "admin",
    "GET /admin/notifications": "admin",
    "GET /store/regions": "store",
    "GET /store/regions/:id": "store",
    "GET /admin/regions": "admin",
    "POST /admin/regions": "admin",
    "GET /admin/regions/:id": "admin",
    "POST /admin/regions/:id": "admin",
    "DELETE /admin/regions/:id": "admin",
    "GET /store/currencies": "store",
    "GET /store/currencies/:code": "store",
    "GET /admin/currencies": "admin",
    "GET /admin/currencies/:code": "admin",
    "GET /admin/sales-channels": "admin",
    "POST /admin/sales-channels": "admin",
    "GET /admin/sales-channels/:id": "admin",
    "POST /admin/sales-channels/:id": "admin",
    "DELETE /admin/sales-channels/:id": "admin",
    "GET /admin/api-keys": "admin",
    "POST /admin/api-keys": "admin",
    "GET /admin/api-keys/:id": "admin",
    "POST /admin/api-keys/:id": "admin",
    "DELETE /admin/api-keys/:id": "admin",
    "POST /admin/api-keys/:id/revoke": "admin",
    "POST /admin/api-keys/:id/sales-channels": "admin",
    "GET /admin/stores": "admin",
    "GET /admin/stores/:id": "admin",
    "POST /admin/stores/:id": "admin",
    "POST /store/customers": "store",
    "POST /store/customers/me": "customer",
    "GET /store/customers/me/addresses": "customer",
    "POST /store/customers/me/addresses": "customer",
    "GET /store/customers/me/addresses/:address_id": "customer",
    "POST /store/customers/me/addresses/:address_id": "customer",
    "DELETE /store/customers/me/addresses/:address_id": "customer",
    "GET /admin/customers": "admin",
    "POST /admin/customers": "admin",
    "GET /admin/customers/:id": "admin",
    "POST /admin/customers/:id": "admin",
    "DELETE /admin/customers/:id": "admin",
    "POST /admin/customers/:id/customer-groups": "admin",
    "GET /admin/customer-groups": "admin",
    "POST /admin/customer-groups": "admin",
    "GET /admin/customer-groups/:id": "admin",
    "POST /admin/customer-groups/:id": "admin",
    "DELETE /admin/customer-groups/:id": "admin",
    "POST /admin/customer-groups/:id/customers": "admin",
    "GET /store/customers/me": "customer",
    "GET /admin/price-lists": "admin",
    "POST /admin/price-lists": "admin",
    "GET /admin/price-lists/:id": "admin",
    "POST /admin/price-lists/:id": "admin",
    "DELETE /admin/price-lists/:id": "admin",
    "POST /admin/price-lists/:id/prices/batch": "admin",
    "GET /admin/price-lists/:id/prices": "admin",
    "GET /admin/price-preferences": "admin",
    "POST /admin/price-preferences": "admin",
    "GET /admin/price-preferences/:id": "admin",
    "POST /admin/price-preferences/:id": "admin",
    "DELETE /admin/price-preferences/:id": "admin",
    "GET /store/products": "store_optional_customer",
    "GET /store/products/:id": "store_optional_customer",
    "GET /store/product-categories": "store",
    "GET /store/product-categories/:id": "store",
    "GET /store/collections": "store",
    "GET /store/collections/:id": "store",
    "POST /store/carts": "store_optional_customer",
    "GET /store/carts/:id": "store",
    "POST /store/carts/:id": "store",
    "POST /store/carts/:id/line-items": "store",
    "POST /store/carts/:id/line-items/:line_id": "store",
    "DELETE /store/carts/:id/line-items/:line_id": "store",
    "POST /store/carts/:id/shipping-methods": "store",
    "POST /store/carts/:id/taxes": "store",
    "POST /store/carts/:id/promotions": "store",
    "DELETE /store/carts/:id/promotions": "store",
    "POST /store/carts/:id/customer": "customer",
    "GET /store/shipping-options": "store",
    "POST /store/shipping-options/:id/calculate": "store",
    "POST /store/carts/:id/complete": "store",
    "GET /admin/promotions": "admin",
    "POST /admin/promotions": "admin",
    "GET /admin/promotions/:id": "admin",
    "POST /admin/promotions/:id": "admin",
    "DELETE /admin/promotions/:id": "admin",
    "POST /admin/promotions/:id/rules/batch": "admin",
    "POST /admin/promotions/:id/target-rules/batch": "admin",
    "POST /admin/promotions/:id/buy-rules/batch": "admin",
    "GET /admin/campaigns": "admin",
    "POST /admin/campaigns": "admin",
    "GET /admin/campaigns/:id": "admin",
    "POST /admin/campaigns/:id": "admin",
    "DELETE /admin/campaigns/:id": "admin",
    "GET /admin/products": "admin",
    "POST /admin/products": "admin",
    "POST /admin/products/batch": "admin",
    "POST /admin/products/import": "admin",
    "POST /admin/products/import/:transaction_id/confirm": "admin",
    "POST /admin/products/export": "admin",
    "GET /admin/products/exports/:transaction_id": "admin",
    "POST /admin/products/imports": "admin",
    "POST /admin/products/imports/:transaction_id/confirm": "admin",
    "POST /admin/uploads": "admin",
    "POST /admin/uploads/presigned-urls": "admin",
    "GET /admin/uploads/:id": "admin",
    "DELETE /admin/uploads/:id": "admin",
    "GET /uploads/:id": "public",
    "GET /admin/products/:id": "admin",
    "POST /admin/products/:id": "admin",
    "DELETE /admin/products/:id": "admin",
    "GET /admin/products/:id/variants": "admin",
    "POST /admin/products/:id/variants": "admin",
    "GET /admin/products/:id/variants/:variant_id": "admin",
    "POST /admin/products/:id/variants/:variant_id": "admin",
    "DELETE /admin/products/:id/variants/:variant_id": "admin",
    "GET /admin/products/:id/options": "admin",
    "POST /admin/products/:id/options": "admin",
    "GET /admin/products/:id/options/:option_id": "admin",
    "POST /admin/products/:id/options/:option_id": "admin",
    "DELETE /admin/products/:id/options/:option_id": "admin",
    "GET /admin/product-categories": "admin",
    "POST /admin/product-categories": "admin",
    "GET /admin/product-categories/:id": "admin",
    "POST /admin/product-categories/:id": "admin",
    "DELETE /admin/product-categories/:id": "admin",
    "POST /admin/product-categories/:id/products": "admin",
    "GET /admin/collections": "admin",
    "POST /admin/collections": "admin",
    "GET /admin/collections/:id": "admin",
    "POST /admin/collections/:id": "admin",
    "DELETE /admin/collections/:id": "admin",
    "POST /admin/collections/:id/products": "admin",
    "GET /admin/product-tags": "admin",
    "POST /admin/product-tags": "admin",
    "GET /admin/product-tags/:id": "admin",
    "POST /admin/product-tags/:id": "admin",
    "DELETE /admin/product-tags/:id": "admin",
    "GET /admin/product-types": "admin",
    "POST /admin/product-types": "admin",
    "GET /admin/product-types/:id": "admin",
    "POST /admin/product-types/:id": "admin",
    "DELETE /admin/product-types/:id": "admin",
    "GET /admin/tax-regions": "admin",
    "POST /admin/tax-regions": "admin",
    "GET /admin/tax-regions/:id": "admin",
    "POST /admin/tax-regions/:id": "admin",
    "DELETE /admin/tax-regions/:id": "admin",
    "GET /admin/tax-rates": "admin",
    "POST /admin/tax-rates": "admin",
    "GET /admin/tax-rates/:id": "admin",
    "POST /admin/tax-rates/:id": "admin",
    "DELETE /admin/tax-rates/:id": "admin",
    "POST /admin/tax-rates/:id/rules": "admin",
    "DELETE /admin/tax-rates/:id/rules/:rule_id": "admin",
    "GET /admin/tax-providers": "admin",
    "GET /admin/stock-locations": "admin",
    "POST /admin/stock-locations": "admin",
    "GET /admin/stock-locations/:id": "admin",
    "POST /admin/stock-locations/:id": "admin",
    "DELETE /admin/stock-locations/:id": "admin",
    "POST /admin/stock-locations/:id/sales-channels": "admin",
    "POST /admin/stock-locations/:id/fulfillment-providers": "admin",
    "POST /admin/stock-locations/:id/fulfillment-sets": "admin",
    "GET /admin/inventory-items": "admin",
    "POST /admin/inventory-items": "admin",
    "POST /admin/inventory-items/location-levels/batch": "admin",
    "GET /admin/inventory-items/:id": "admin",
    "POST /admin/inventory-items/:id": "admin",
    "DELETE /admin/inventory-items/:id": "admin",
    "GET /admin/inventory-items/:id/location-levels": "admin",
    "POST /admin/inventory-items/:id/location-levels": "admin",
    "POST /admin/inventory-items/:id/location-levels/batch": "admin",
    "POST /admin/inventory-items/:id/location-levels/:location_id": "admin",
    "POST /admin/inventory-items/:id/location-levels/:location_id/buckets": "admin",
    "GET /admin/products/:id/flash-sale": "admin",
    "POST /admin/products/:id/flash-sale": "admin",
    "DELETE /admin/products/:id/flash-sale": "admin",
    "DELETE /admin/inventory-items/:id/location-levels/:location_id": "admin",
    "GET /admin/reservations": "admin",
    "POST /admin/reservations": "admin",
    "GET /admin/reservations/:id": "admin",
    "POST /admin/reservations/:id": "admin",
    "DELETE /admin/reservations/:id": "admin",
    "POST /admin/products/:id/variants/:variant_id/inventory-items": "admin",
    "POST /admin/products/:id/variants/:variant_id/inventory-items/:inventory_item_id": "admin",
    "DELETE /admin/products/:id/variants/:variant_id/inventory-items/:inventory_item_id": "admin",
    "GET /admin/fulfillment-providers": "admin",
    "DELETE /admin/fulfillment-sets/:id": "admin",
    "POST /admin/fulfillment-sets/:id/service-zones": "admin",
    "GET /admin/fulfillment-sets/:id/service-zones/:zone_id": "admin",
    "POST /admin/fulfillment-sets/:id/service-zones/:zone_id": "admin",
    "DELETE /admin/fulfillment-sets/:id/service-zones/:zone_id": "admin",
    "GET /admin/shipping-profiles": "admin",
    "POST /admin/shipping-profiles": "admin",
    "GET /admin/shipping-profiles/:id": "admin",
    "POST /admin/shipping-profiles/:id": "admin",
    "DELETE /admin/shipping-profiles/:id": "admin",
    "GET /admin/shipping-options": "admin",
    "POST /admin/shipping-options": "admin",
    "GET /admin/shipping-options/:id": "admin",
    "POST /admin/shipping-options/:id": "admin",
    "DELETE /admin/shipping-options/:id": "admin",
    "POST /admin/shipping-options/:id/rules/batch": "admin",
    "GET /store/orders": "customer",
    "GET /store/orders/:id": "store",
    "GET /admin/orders": "admin",
    "GET /admin/orders/:id": "admin",
    "POST /admin/orders/:id/archive": "admin",
    "POST /admin/orders/:id/complete": "admin",
    "POST /admin/orders/:id/cancel": "admin",
    "POST /admin/orders/:id/fulfillments": "admin",
    "POST /admin/orders/:id/fulfillments/:fulfillment_id/shipments": "admin",
    "POST /admin/orders/:id/fulfillments/:fulfillment_id/mark-as-delivered": "admin",
    "POST /admin/orders/:id/fulfillments/:fulfillment_id/cancel": "admin",
    "POST /admin/payment-collections": "admin",
    "POST /admin/payment-collections/:id/mark-as-paid": "admin",
    "DELETE /admin/payment-collections/:id": "admin",
    "POST /admin/fulfillments": "admin",
    "POST /admin/fulfillments/:id/cancel": "admin",
    "POST /admin/fulfillments/:id/shipment": "admin",
    "GET /admin/payments": "admin",
    "GET /admin/payments/payment-providers": "admin",
    "GET /admin/payments/:id": "admin",
    "POST /admin/payments/:id/capture": "admin",
    "POST /admin/payments/:id/refund": "admin",
    "GET /admin/refund-reasons": "admin",
    "POST /admin/refund-reasons": "admin",
    "GET /admin/refund-reasons/:id": "admin",
    "POST /admin/refund-reasons/:id": "admin",
    "DELETE /admin/refund-reasons/:id": "admin",
    "POST /hooks/payment/:provider": "public",
    "GET /store/payment-providers": "store",
    "POST /store/payment-collections": "store_optional_customer",
    "POST /store/payment-collections/:id/payment-sessions": "store_optional_customer",
    # Added by the app at startup (not in build_router()).
    "GET /openapi.json": "public",
    "GET /metrics": "public",
}
STARTUP_ROUTES = ("GET /openapi.json", "GET /metrics")
ROUTER_KEYS = [f"{r.method} {r.path}" for r in build_router().routes] + list(STARTUP_ROUTES)

DUMMY = "matrix_nothing_here_01"  # the id of nothing
PASSWORD = "matrix-pass-0123456789"
ALLOWED = "allowed"
Expectation = str | tuple[int, str] | int  # ALLOWED, (status, error type) of a refusal, or an exact status


@dataclass(frozen=True)
class Caller:
    """One kind of caller. `key`: the publishable key it sends (none/valid/revoked); `who`: the identity its
    credentials prove (none, customer, admin, secret, bad = sent but invalid, registered_* = a valid token of an
    identity not yet tied to a customer or user); `bearer_jwt`/`session`: whether it carries a valid JWT as a bearer
    token or a valid cookie session."""

    name: str
    key: str
    who: str
    bearer_jwt: bool = False
    session: bool = False


# customer_b before customer_a: B's attempts on A's things come before A changes them.
CALLERS = (
    Caller("anonymous", "none", "none"),
    Caller("publishable_key", "valid", "none"),
    Caller("revoked_publishable_key", "revoked", "customer", bearer_jwt=True),  # with customer A's valid token
    Caller("customer_b", "valid", "customer", bearer_jwt=True),
    Caller("customer_a_session", "valid", "customer", session=True),
    Caller("customer_a", "valid", "customer", bearer_jwt=True),
    Caller("admin_jwt", "none", "admin", bearer_jwt=True),
    Caller("admin_session", "none", "admin", session=True),
    Caller("secret_key_basic", "none", "secret"),
    Caller("secret_key_bearer", "none", "secret"),
    Caller("revoked_secret_key", "none", "bad"),
    Caller("forged_admin_jwt", "valid", "bad"),  # the admin's claims, signed with another secret
    Caller("forged_customer_jwt", "valid", "bad"),  # customer A's claims, signed with another secret
    Caller("unsigned_admin_jwt", "valid", "bad"),  # alg "none"
    Caller("expired_admin_jwt", "valid", "bad"),  # signed with the server's secret, expired an hour ago
    Caller("expired_customer_jwt", "valid", "bad"),
    Caller("unknown_session", "valid", "bad"),
    # Valid JWTs of an identity with no actor yet: anyone can register one through the public /auth routes.
    Caller("customer_registration_jwt", "valid", "registered_customer", bearer_jwt=True),
    Caller("user_registration_jwt", "valid", "registered_user", bearer_jwt=True),
)
NOT_ALLOWED = (400, "not_allowed")
UNAUTHORIZED = (401, "unauthorized")


def guard_expectation(auth: str, caller: Caller) -> Expectation:
    """What the route's guard answers this caller."""
    if auth == "public":
        return ALLOWED
    if auth == "admin":
        return ALLOWED if caller.who in ("admin", "secret") else UNAUTHORIZED
    if caller.key != "valid":  # every store guard checks the publishable key first
        return NOT_ALLOWED
    if auth == "store":
        return ALLOWED
    if auth == "store_optional_customer":
        # Stricter than Medusa, whose optional authentication ignores a bad token: here it is a 401.
        return UNAUTHORIZED if caller.who == "bad" else ALLOWED
    if auth == "customer":
        return ALLOWED if caller.who == "customer" else UNAUTHORIZED
    raise AssertionError(f"no expectation for guard {auth!r}: add one")


def handler_expectation(route: str, caller: Caller) -> Expectation | None:
    """Routes whose handler authenticates the caller itself (past or without a guard)."""
    if route == "POST /auth/session":  # a cookie session from a bearer JWT
        return ALLOWED if caller.bearer_jwt else UNAUTHORIZED
    if route == "POST /auth/token/refresh":  # a new token for a bearer JWT or a session
        return ALLOWED if caller.bearer_jwt or caller.session else UNAUTHORIZED
    if route.endswith("/emailpass/update"):  # needs a reset token; no caller has one
        return UNAUTHORIZED
    if route == "POST /store/customers":  # needs a registration token (400 once it is tied to a customer)
        if caller.key != "valid":
            return NOT_ALLOWED
        return ALLOWED if caller.who in ("customer", "registered_customer") else UNAUTHORIZED
    return None


# Ownership, exact statuses (route, caller): B gets nothing of A's addresses; carts and orders go by id (Medusa's
# rule: whoever holds the id may use it), but B cannot take over the cart of A, a customer with an account.
OWNERSHIP: dict[tuple[str, str], int] = {
    ("GET /store/customers/me/addresses/:address_id", "customer_b"): 404,
    ("POST /store/customers/me/addresses/:address_id", "customer_b"): 404,
    ("DELETE /store/customers/me/addresses/:address_id", "customer_b"): 404,
    ("GET /store/customers/me/addresses/:address_id", "customer_a"): 200,
    ("GET /store/customers/me/addresses/:address_id", "customer_a_session"): 200,
    ("POST /store/customers/me/addresses/:address_id", "customer_a"): 200,
    ("DELETE /store/customers/me/addresses/:address_id", "customer_a_session"): 200,
    ("POST /store/carts/:id/customer", "customer_b"): 400,
    ("POST /store/carts/:id/customer", "customer_a"): 200,
    ("GET /store/carts/:id", "customer_b"): 200,  # the cart id is the secret, as in Medusa
    ("GET /store/carts/:id", "publishable_key"): 200,
    ("GET /store/orders/:id", "customer_b"): 200,  # the order id is the secret, as in Medusa
    ("GET /store/orders/:id", "publishable_key"): 200,
}


def expectation(route: str, caller: Caller) -> Expectation:
    exact = OWNERSHIP.get((route, caller.name))
    if exact is not None:
        return exact
    own = handler_expectation(route, caller)
    return own if own is not None else guard_expectation(ROUTES[route], caller)


def _is_key_refusal(response: httpx.Response) -> bool:
    """The store guard's own 400 (a missing or invalid publishable key), not a handler's."""
    try:
        body = response.json()
    except ValueError:
        return False
    return body.get("type") == "not_allowed" and "ublishable" in str(body.get("message"))


def mismatch(response: httpx.Response, expected: Expectation) -> str | None:
    status = response.status_code
    if status >= 500:
        return f"{status} (a server error)"
    if expected == ALLOWED:
        if status in (401, 403) or (status == 400 and _is_key_refusal(response)):
            return f"{status}, refused by a guard that should let it through"
        return None
    if isinstance(expected, int):
        return None if status == expected else f"{status}, expected exactly {expected}"
    assert isinstance(expected, tuple), expected
    want_status, want_type = expected
    try:
        got_type = response.json().get("type")
    except ValueError:
        got_type = None
    if status != want_status or got_type != want_type:
        return f"{status} {got_type}, expected {want_status} {want_type}"
    return None


# The world the matrix runs in ---------------------------------------------------------------------------------


@dataclass
class World:
    customer_ids: dict[str, str]
    tokens: dict[str, str]
    cart_a: str
    order_a: str
    addresses_a: dict[str, str]  # by the method of the address route that uses it
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    spare_headers: dict[str, dict[str, str]] = field(default_factory=dict)  # for DELETE /auth/session

    def param(self, method: str, path: str, name: str) -> str:
        if path.startswith("/store/carts/:id") and name == "id":
            return self.cart_a
        if path.startswith("/store/orders/:id") and name == "id":
            return self.order_a
        if name == "address_id":
            return self.addresses_a[method]
        return DUMMY

    def url(self, route: str) -> str:
        method, path = route.split(" ", 1)
        segments = [self.param(method, path, s[1:]) if s.startswith(":") else s for s in path.split("/")]
        return "/".join(segments)


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def _session(server: Server, token: str) -> str:
    r = httpx.post(f"{server.url}/auth/session", headers=_bearer(token), timeout=10)
    assert r.status_code == 200, r.text
    return str(r.cookies["connect.sid"])


def _customer(store: httpx.Client, email: str) -> tuple[str, str]:
    """A registered customer with an account: (customer id, login token)."""
    body = {"email": email, "password": PASSWORD}
    registration = ok(store.post("/auth/customer/emailpass/register", json=body))["token"]
    created = ok(store.post("/store/customers", json={"email": email}, headers=_bearer(registration)))["customer"]
    token = ok(store.post("/auth/customer/emailpass", json=body))["token"]
    return str(created["id"]), str(token)


def _address(store: httpx.Client, token: str, name: str) -> str:
    customer = ok(
        store.post("/store/customers/me/addresses", json={**ADDRESS, "address_name": name}, headers=_bearer(token))
    )["customer"]
    return str(next(a["id"] for a in customer["addresses"] if a["address_name"] == name))


def _secret_key(admin: httpx.Client, title: str) -> tuple[str, str]:
    key = ok(admin.post("/admin/api-keys", json={"title": title, "type": "secret"}))["api_key"]
    return str(key["id"]), str(key["token"])


@pytest.fixture(scope="module")
def world(
    server: Server, client: httpx.Client, store: httpx.Client, admin: httpx.Client, admin_token: str, seeded: Any
) -> World:
    tag = uuid.uuid4().hex[:6]
    shop = build(admin)
    mug = product(admin, shop, "Matrix Mug", 10, 100)
    customer_ids, tokens = {}, {}
    for who in ("a", "b"):
        customer_ids[who], tokens[who] = _customer(store, f"{who}-{tag}@matrix.test")
    auth_a = _bearer(tokens["a"])
    # A's order, A's open cart, and one address of A per address route.
    ready = cart_ready(store, shop, [(mug["id"], 1)], email=f"a-{tag}@matrix.test", headers=auth_a)
    order_a = ok(store.post(f"/store/carts/{ready['id']}/complete", headers=auth_a))["order"]["id"]
    cart = ok(
        store.post(
            "/store/carts",
            json={"region_id": shop["region"], "items": [{"variant_id": mug["id"], "quantity": 1}]},
            headers=auth_a,
        )
    )["cart"]
    assert cart["customer_id"] == customer_ids["a"]
    addresses = {method: _address(store, tokens["a"], f"matrix {method}") for method in ("GET", "POST", "DELETE")}

    # A publishable key, revoked (the store's key cache follows within milliseconds).
    revoked_pk = ok(admin.post("/admin/api-keys", json={"title": "Matrix revoked", "type": "publishable"}))["api_key"]
    ok(admin.post(f"/admin/api-keys/{revoked_pk['id']}/revoke", json={}))
    revoked_pk_token = str(revoked_pk["token"])
    assert eventually(
        lambda: client.get("/store/regions", headers={"x-publishable-api-key": revoked_pk_token}).status_code == 400
    )
    # A secret key, revoked; then the live one (one live secret key at a time).
    old_id, old_secret = _secret_key(admin, "Matrix old")
    ok(admin.post(f"/admin/api-keys/{old_id}/revoke", json={}))
    _, secret = _secret_key(admin, "Matrix live")

    now = int(time.time())
    admin_claims, a_claims = _claims(admin_token), _claims(tokens["a"])
    forged_admin = jwt.encode({**admin_claims, "exp": now + 3600}, "not-the-server-secret-0123456789abcdef", "HS256")
    forged_a = jwt.encode({**a_claims, "exp": now + 3600}, "not-the-server-secret-0123456789abcdef", "HS256")
    unsigned = ".".join(
        (_b64(b'{"alg":"none","typ":"JWT"}'), _b64(json.dumps({**admin_claims, "exp": now + 3600}).encode()), "")
    )
    expired_admin = jwt.encode({**admin_claims, "iat": now - 7200, "exp": now - 3600}, JWT_SECRET, "HS256")
    expired_a = jwt.encode({**a_claims, "iat": now - 7200, "exp": now - 3600}, JWT_SECRET, "HS256")

    registrations = {
        actor: ok(
            client.post(
                f"/auth/{actor}/emailpass/register", json={"email": f"r-{actor}-{tag}@x.test", "password": PASSWORD}
            )
        )["token"]
        for actor in ("customer", "user")
    }
    pk = {"x-publishable-api-key": str(seeded["publishable_key"])}
    sessions = {name: _session(server, token) for name, token in (("admin", admin_token), ("a", tokens["a"]))}
    spare = {name: _session(server, token) for name, token in (("admin", admin_token), ("a", tokens["a"]))}
    basic = "Basic " + base64.b64encode(f"{secret}:".encode()).decode()
    revoked_basic = "Basic " + base64.b64encode(f"{old_secret}:".encode()).decode()
    headers = {
        "anonymous": {},
        "publishable_key": pk,
        "revoked_publishable_key": {"x-publishable-api-key": revoked_pk_token, **auth_a},
        "customer_b": {**pk, **_bearer(tokens["b"])},
        "customer_a_session": {**pk, "cookie": f"connect.sid={sessions['a']}"},
        "customer_a": {**pk, **auth_a},
        "admin_jwt": _bearer(admin_token),
        "admin_session": {"cookie": f"connect.sid={sessions['admin']}"},
        "secret_key_basic": {"authorization": basic},
        "secret_key_bearer": _bearer(secret),
        "revoked_secret_key": {"authorization": revoked_basic},
        "forged_admin_jwt": {**pk, **_bearer(forged_admin)},
        "forged_customer_jwt": {**pk, **_bearer(forged_a)},
        "unsigned_admin_jwt": {**pk, **_bearer(unsigned)},
        "expired_admin_jwt": {**pk, **_bearer(expired_admin)},
        "expired_customer_jwt": {**pk, **_bearer(expired_a)},
        "unknown_session": {**pk, "cookie": "connect.sid=not-a-session-of-anyone"},
        "customer_registration_jwt": {**pk, **_bearer(registrations["customer"])},
        "user_registration_jwt": {**pk, **_bearer(registrations["user"])},
    }
    assert set(headers) == {c.name for c in CALLERS}
    world = World(customer_ids, tokens, cart["id"], order_a, addresses, headers)
    world.spare_headers = {
        "customer_a_session": {**pk, "cookie": f"connect.sid={spare['a']}"},
        "admin_session": {"cookie": f"connect.sid={spare['admin']}"},
    }
    return world


@pytest.fixture(scope="module")
def raw(server: Server) -> Iterator[httpx.Client]:
    """A client with no default headers; its cookie jar is emptied before every request."""
    with httpx.Client(base_url=server.url, timeout=10) as c:
        yield c


def body_for(route: str) -> dict[str, Any] | None:
    method, _ = route.split(" ", 1)
    if route.endswith("/emailpass/update"):
        return {"password": "matrix-new-password"}  # valid, so the reset token is what is checked
    if method == "POST" or (route in BODY_ON_DELETE):
        return {}
    return None


BODY_ON_DELETE = {f"{r.method} {r.path}" for r in build_router().routes if r.method == "DELETE" and r.body}


def ask(raw: httpx.Client, world: World, route: str, caller: Caller) -> httpx.Response:
    method = route.split(" ", 1)[0]
    headers = world.headers[caller.name]
    if route == "DELETE /auth/session":  # ending a session: end a spare one, not the one the matrix uses
        headers = world.spare_headers.get(caller.name, headers)
    raw.cookies.clear()
    return raw.request(method, world.url(route), headers=headers, json=body_for(route))


# The tests ------------------------------------------------------------------------------------------------------


def test_every_route_has_a_row() -> None:
    """The router's routes and this file's ROUTES are the same, guard for guard."""
    router = {f"{r.method} {r.path}": r.auth for r in build_router().routes}
    missing = sorted(set(router) - set(ROUTES))
    assert not missing, f"routes without a row in the authorization matrix (add them to ROUTES): {missing}"
    gone = sorted(set(ROUTES) - set(router) - set(STARTUP_ROUTES))
    assert not gone, f"rows for routes that no longer exist: {gone}"
    moved = sorted(f"{k}: router says {a}, matrix says {ROUTES[k]}" for k, a in router.items() if ROUTES[k] != a)
    assert not moved, f"routes whose guard changed (review, then update ROUTES): {moved}"
    assert len(ROUTER_KEYS) == len(set(ROUTER_KEYS))


def test_the_running_app_documents_exactly_these_routes(server: Server) -> None:
    """The live server's /openapi.json (its router minus the startup routes) is the route list of the matrix."""
    document = httpx.get(f"{server.url}/openapi.json", timeout=10).json()
    served = {
        f"{method.upper()} {path.replace('{', ':').replace('}', '')}"
        for path, operations in document["paths"].items()
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    }
    # OpenAPI writes a rest-of-path segment (`*path`) as a path parameter too.
    assert served == {key.replace("/*", "/:") for key in ROUTER_KEYS} - set(STARTUP_ROUTES)


@pytest.mark.parametrize("route", ROUTER_KEYS)
def test_authorization_matrix(raw: httpx.Client, world: World, route: str) -> None:
    assert route in ROUTES, f"{route} has no row in the authorization matrix: add it to ROUTES"
    wrong = []
    for caller in CALLERS:
        expected = expectation(route, caller)
        response = ask(raw, world, route, caller)
        problem = mismatch(response, expected)
        if problem:
            wrong.append(f"{caller.name}: {problem}: {response.text[:200]}")
    assert not wrong, f"{route}:\n" + "\n".join(wrong)


# Ownership, spelled out ------------------------------------------------------------------------------------------


def test_customer_b_cannot_read_change_or_delete_an_address_of_customer_a(store: httpx.Client, world: World) -> None:
    a, b = _bearer(world.tokens["a"]), _bearer(world.tokens["b"])
    address = _address(store, world.tokens["a"], "ownership")
    url = f"/store/customers/me/addresses/{address}"
    assert store.get(url, headers=b).status_code == 404
    assert store.post(url, json={"city": "Elsewhere"}, headers=b).status_code == 404
    assert store.delete(url, headers=b).status_code == 404
    listed = ok(store.get("/store/customers/me/addresses", headers=b))["addresses"]
    assert address not in {x["id"] for x in listed}
    # A's address is still there, unchanged.
    kept = ok(store.get(url, headers=a))["address"]
    assert kept["city"] == ADDRESS["city"] and kept["customer_id"] == world.customer_ids["a"]
    assert ok(store.get("/store/customers/me", headers=b))["customer"]["id"] == world.customer_ids["b"]


def test_each_customer_lists_only_their_own_orders(store: httpx.Client, world: World) -> None:
    a, b = _bearer(world.tokens["a"]), _bearer(world.tokens["b"])
    mine = ok(store.get("/store/orders", params={"fields": "id,customer_id"}, headers=a))
    assert world.order_a in {o["id"] for o in mine["orders"]}
    assert {o["customer_id"] for o in mine["orders"]} == {world.customer_ids["a"]}
    theirs = ok(store.get("/store/orders", headers=b))
    assert theirs["orders"] == [] and theirs["count"] == 0
    # Filtering by A's order id does not reach past the customer scope.
    assert ok(store.get("/store/orders", params={"id": world.order_a}, headers=b))["count"] == 0


def test_a_cart_or_an_order_id_is_the_secret_but_a_customer_cart_cannot_be_taken(
    store: httpx.Client, world: World
) -> None:
    """Medusa's rule: no ownership check on carts and orders by id (GET /store/orders/:id has no authentication
    there either; the unguessable id is the capability). What protects a registered customer's cart is that nobody
    else can take it over."""
    b = _bearer(world.tokens["b"])
    assert ok(store.get(f"/store/carts/{world.cart_a}", headers=b))["cart"]["customer_id"] == world.customer_ids["a"]
    assert ok(store.get(f"/store/orders/{world.order_a}"))["order"]["id"] == world.order_a
    r = store.post(f"/store/carts/{world.cart_a}/customer", headers=b)
    assert r.status_code == 400 and r.json()["type"] == "not_allowed", r.text
    assert ok(store.get(f"/store/carts/{world.cart_a}"))["cart"]["customer_id"] == world.customer_ids["a"]
