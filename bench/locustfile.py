"""Load test of a commerce-core (or any Medusa v2) storefront API with locust: shoppers as real traffic has them, and a
flash sale of one SKU.

    COMMERCE_PUBLISHABLE_KEY=pk_... locust -f bench/locustfile.py --host https://shop.example.com StorefrontUser
    COMMERCE_PUBLISHABLE_KEY=pk_... FLASH_VARIANT_ID=variant_... locust -f bench/locustfile.py \\
        --host https://shop.example.com --headless -u 2000 -r 500 -t 60s FlashSaleBuyer

StorefrontUser weighs its tasks as a shop's traffic is weighed: mostly browsing (product lists, search, product
pages, categories), some carts (add an item, change a quantity), a few checkouts (as a guest, and as a customer who
registers and logs in once). FlashSaleBuyer buys one unit of FLASH_VARIANT_ID, once, as fast as it can, and stops:
run it with as many users as buyers. A refusal because the SKU is sold out (400 `insufficient_inventory`) is an
expected answer there, not a failure; a request the server sheds (503 / 429 with Retry-After) is sent again after the
delay it asks for (5 tries); any other non-2xx answer and every 5xx other than a 503 is a failure.

Environment: COMMERCE_PUBLISHABLE_KEY (required: the store's publishable API key), REGION_ID (default: the region
whose currency is COMMERCE_CURRENCY, usd by default, else the first), FLASH_VARIANT_ID (FlashSaleBuyer),
COUNTRY_CODE (shipping address, default: us when the region has it, else its first country), CATALOG_PAGES (product
list pages the users pick products from, 5), WAIT_MIN/WAIT_MAX (seconds a storefront user thinks between actions,
0.5 / 2).
"""

import os
import random
import threading
import time
import uuid
from typing import Any

from locust import FastHttpUser, between, events, task
from locust.exception import StopUser

KEY = os.environ.get("COMMERCE_PUBLISHABLE_KEY", "")
CURRENCY = os.environ.get("COMMERCE_CURRENCY", "usd")
PAGE = 20
FIELDS = "*variants.calculated_price,+variants.inventory_quantity"
PASSWORD = "load-test password 1"  # noqa: S105 - the password of the customers this test registers
SHED = (429, 503)  # the server sheds load: expected under overload, the client retries later
SHED_AGAIN = object()  # _judge's answer for a shed request: send it again
RETRIES = 5

_lock = threading.Lock()
_shared: dict[str, Any] = {}
outcomes: dict[str, int] = {"orders": 0, "sold_out": 0, "shed": 0}


@events.init.add_listener
def _check_key(environment: Any, **_: Any) -> None:
    if not KEY:
        raise SystemExit("set COMMERCE_PUBLISHABLE_KEY to the store's publishable API key (pk_...)")


@events.quitting.add_listener
def _report(environment: Any, **_: Any) -> None:
    if outcomes["orders"] or outcomes["sold_out"] or outcomes["shed"]:
        print(f"flash-sale outcomes: {outcomes}", flush=True)  # read by bench/load.py


def _address(country: str) -> dict[str, str]:
    return {
        "first_name": "Load",
        "last_name": "Test",
        "address_1": "1 Main St",
        "city": "Springfield",
        "country_code": country,
        "postal_code": "12345",
    }


class Shopper(FastHttpUser):
    """What both kinds of user share: the key header, the region and the steps of a checkout."""

    abstract = True
    region: str
    country: str

    def on_start(self) -> None:
        self.headers = {"x-publishable-api-key": KEY}
        self.region, self.country = self._region()

    def _region(self) -> tuple[str, str]:
        with _lock:
            found = _shared.get("region")
        if found is None:
            regions = self.client.get("/store/regions", headers=self.headers, name="/store/regions").json()["regions"]
            wanted = os.environ.get("REGION_ID")
            chosen = next(
                (r for r in regions if r["id"] == wanted or (not wanted and r["currency_code"] == CURRENCY)),
                regions[0],
            )
            countries = [c["iso_2"] for c in chosen.get("countries") or []] or ["us"]
            country = os.environ.get("COUNTRY_CODE") or ("us" if "us" in countries else countries[0])
            found = (chosen["id"], country)
            with _lock:
                _shared["region"] = found
        return found

    def post(self, path: str, body: Any, name: str, *, ok: tuple[int, ...] = (200,), **headers: str) -> Any:
        """POST JSON; the answer's body when its status is in `ok`, else None (the failure is recorded). A shed
        request (429/503) is sent again after its Retry-After, as a browser's fetch with retries would."""
        for _ in range(RETRIES):
            with self.client.post(
                path, json=body, headers={**self.headers, **headers}, name=name, catch_response=True
            ) as resp:
                answer = self._judge(resp, ok)
            if answer is not SHED_AGAIN:
                return answer
        return None

    def get(self, path: str, name: str, **params: Any) -> Any:
        for _ in range(RETRIES):
            with self.client.get(path, params=params, headers=self.headers, name=name, catch_response=True) as resp:
                answer = self._judge(resp, (200,))
            if answer is not SHED_AGAIN:
                return answer
        return None

    def _judge(self, resp: Any, ok: tuple[int, ...]) -> Any:
        status = resp.status_code
        if status in ok:
            resp.success()
            return resp.json()
        if status in SHED:
            resp.success()  # shed under overload: an answer, with Retry-After, not an error
            outcomes["shed"] += 1
            time.sleep(min(float(resp.headers.get("retry-after") or 1), 10))  # gevent-patched: yields
            return SHED_AGAIN
        if status == 400 and _sold_out(resp):
            resp.success()
            outcomes["sold_out"] += 1
            return None
        resp.failure(f"{status}: {(resp.text or '')[:200]}")
        return None

    def checkout(self, items: list[dict[str, Any]], email: str, **auth: str) -> bool:
        """A whole checkout: cart with these items, address, cheapest shipping option, payment session, complete.
        True when an order was placed."""
        answer = self.post("/store/carts", {"region_id": self.region, "items": items}, "/store/carts", **auth)
        if answer is None:
            return False
        cart = answer["cart"]["id"]
        c = f"/store/carts/{cart}"
        if (
            self.post(c, {"email": email, "shipping_address": _address(self.country)}, "/store/carts/[id]", **auth)
            is None
        ):
            return False
        name = "/store/shipping-options?cart_id"
        with self.client.get(
            "/store/shipping-options", params={"cart_id": cart}, headers=self.headers, name=name, catch_response=True
        ) as resp:
            options = self._judge(resp, (200,))
            if options is not None and not options["shipping_options"]:
                resp.failure(f"no shipping option serves the cart (country {self.country}): set COUNTRY_CODE")
                return False
        if options is None:
            return False
        option = min(options["shipping_options"], key=lambda o: float(o.get("amount") or 0))
        if (
            self.post(f"{c}/shipping-methods", {"option_id": option["id"]}, "/store/carts/[id]/shipping-methods")
            is None
        ):
            return False
        made = self.post("/store/payment-collections", {"cart_id": cart}, "/store/payment-collections")
        if made is None:
            return False
        collection = made["payment_collection"]["id"]
        session = {"provider_id": "pp_system_default"}
        path = f"/store/payment-collections/{collection}/payment-sessions"
        if self.post(path, session, "/store/payment-collections/[id]/payment-sessions") is None:
            return False
        done = self.post(f"{c}/complete", {}, "/store/carts/[id]/complete", **auth)
        if done is None:
            return False
        if done.get("type") != "order":
            return False
        outcomes["orders"] += 1
        return True


def _sold_out(resp: Any) -> bool:
    try:
        return bool(resp.json().get("code") == "insufficient_inventory")
    except ValueError:
        return False


class StorefrontUser(Shopper):
    """A visitor of the shop: browses a lot, buys sometimes."""

    wait_time = between(float(os.environ.get("WAIT_MIN", "0.5")), float(os.environ.get("WAIT_MAX", "2")))

    def on_start(self) -> None:
        super().on_start()
        self.cart: str | None = None
        self.lines: list[str] = []
        self.customer: dict[str, str] | None = None
        self.catalog = self._catalog()

    def _catalog(self) -> list[tuple[str, str, str]]:
        """(product id, handle, variant id) of in-stock variants on the first CATALOG_PAGES pages, shared by users."""
        with _lock:
            found = _shared.get("catalog")
        if found is None:
            found = []
            for page in range(int(os.environ.get("CATALOG_PAGES", "5"))):
                body = self.get(
                    "/store/products",
                    "/store/products",
                    limit=PAGE,
                    offset=page * PAGE,
                    region_id=self.region,
                    fields=FIELDS,
                )
                for p in (body or {}).get("products", []):
                    for v in p.get("variants") or []:
                        quantity = v.get("inventory_quantity")
                        if (quantity is None or quantity > 0) and v.get("calculated_price"):
                            found.append((p["id"], p.get("handle") or "", v["id"]))
            if not found:
                raise RuntimeError("the catalog has no priced product in stock: nothing to buy")
            with _lock:
                _shared["catalog"] = found
        return list(found)

    # --- browsing: most of the traffic --------------------------------------------------------------------------
    @task(30)
    def list_products(self) -> None:
        offset = random.randrange(0, int(os.environ.get("CATALOG_PAGES", "5"))) * PAGE
        self.get("/store/products", "/store/products", limit=PAGE, offset=offset, region_id=self.region, fields=FIELDS)

    @task(12)
    def search(self) -> None:
        word = random.choice(["shirt", "cotton", "classic", "hat", "demo", "sweat", "blue", "l"])
        self.get("/store/products", "/store/products?q", q=word, limit=PAGE, region_id=self.region, fields=FIELDS)

    @task(35)
    def open_product(self) -> None:
        product_id, _, _ = random.choice(self.catalog)
        self.get(f"/store/products/{product_id}", "/store/products/[id]", region_id=self.region, fields=FIELDS)

    @task(5)
    def browse_categories(self) -> None:
        self.get("/store/product-categories", "/store/product-categories", limit=PAGE)
        self.get("/store/collections", "/store/collections", limit=PAGE)

    # --- carts ----------------------------------------------------------------------------------------------------
    @task(10)
    def add_to_cart(self) -> None:
        _, _, variant = random.choice(self.catalog)
        if self.cart is None:
            answer = self.post("/store/carts", {"region_id": self.region}, "/store/carts")
            if answer is None:
                return
            self.cart = answer["cart"]["id"]
        answer = self.post(
            f"/store/carts/{self.cart}/line-items",
            {"variant_id": variant, "quantity": 1},
            "/store/carts/[id]/line-items",
        )
        if answer is not None:
            self.lines = [i["id"] for i in answer["cart"]["items"]]

    @task(4)
    def change_quantity(self) -> None:
        if self.cart is None or not self.lines:
            return
        line = random.choice(self.lines)
        answer = self.post(
            f"/store/carts/{self.cart}/line-items/{line}",
            {"quantity": random.randint(0, 3)},
            "/store/carts/[id]/line-items/[line_id]",
        )
        if answer is not None:
            self.lines = [i["id"] for i in answer["cart"]["items"]]

    # --- checkouts ------------------------------------------------------------------------------------------------
    @task(3)
    def checkout_as_guest(self) -> None:
        _, _, variant = random.choice(self.catalog)
        self.checkout([{"variant_id": variant, "quantity": 1}], f"guest-{uuid.uuid4().hex[:12]}@load.example")

    @task(1)
    def checkout_as_customer(self) -> None:
        if self.customer is None:
            self.customer = self._register()
            if self.customer is None:
                return
        _, _, variant = random.choice(self.catalog)
        self.checkout([{"variant_id": variant, "quantity": 1}], self.customer["email"], **self.customer["auth"])

    def _register(self) -> dict[str, Any] | None:
        email = f"customer-{uuid.uuid4().hex[:12]}@load.example"
        login = {"email": email, "password": PASSWORD}
        registered = self.post("/auth/customer/emailpass/register", login, "/auth/customer/emailpass/register")
        if registered is None:
            return None
        bearer = {"authorization": f"Bearer {registered['token']}"}
        if self.post("/store/customers", {"email": email}, "/store/customers", **bearer) is None:
            return None
        token = self.post("/auth/customer/emailpass", login, "/auth/customer/emailpass")
        if token is None:
            return None
        return {"email": email, "auth": {"authorization": f"Bearer {token['token']}"}}


class FlashSaleBuyer(Shopper):
    """One buyer of a flash sale: one unit of FLASH_VARIANT_ID, straight to checkout, once."""

    wait_time = between(0, 0)

    @task
    def buy(self) -> None:
        variant = os.environ.get("FLASH_VARIANT_ID")
        if not variant:
            raise SystemExit("set FLASH_VARIANT_ID to the flash sale's variant id")
        self.checkout([{"variant_id": variant, "quantity": 1}], f"buyer-{uuid.uuid4().hex[:12]}@flash.example")
        raise StopUser()
