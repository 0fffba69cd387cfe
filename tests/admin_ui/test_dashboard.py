"""Medusa's admin dashboard (built into commerce/admin_ui by `make install`, served at /app) driven in headless
Chromium by playwright-core (pinned in tests/admin_ui/package-lock.json): it logs in as an admin, opens every core
screen and a detail page of each resource, checks each shows the data made here through the API with no error
page, no error toast and no /admin call answered 4xx/5xx but the unsupported ones (UNSUPPORTED in dashboard.mjs);
then works through the UI: captures and fulfils an order placed through the store API, adjusts a product's stock at
a location, creates a promotion, creates a product with two variants and a price through the create wizard (then
checked through the admin API and on the storefront), and creates a shared product option on the Options screen.
Screenshots go to the folder printed.

Needs node/npm, the built dashboard and Chromium (/usr/bin/chromium, installed by `make test` as root on Debian);
skipped without them."""

import json
import os
import shutil
import subprocess
import tempfile
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Server
from tests.shop import build, cart_ready, ok, product

HERE = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
BUILT = resources.files("commerce").joinpath("admin_ui", "index.html").is_file()
NPM_CI_TIMEOUT = 300
SCRIPT_TIMEOUT = 600

pytestmark = [
    pytest.mark.skipif(shutil.which("node") is None or shutil.which("npm") is None, reason="node and npm are needed"),
    pytest.mark.skipif(not BUILT, reason="the admin UI is not built (make install with npm)"),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM} (make test installs it)"),
]


@pytest.fixture(scope="module")
def node_project() -> Path:
    stamp = HERE / "node_modules" / ".package-lock.json"
    if not stamp.exists() or stamp.stat().st_mtime < (HERE / "package-lock.json").stat().st_mtime:
        proc = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"],
            cwd=HERE,
            capture_output=True,
            text=True,
            timeout=NPM_CI_TIMEOUT,
            check=False,
        )
        assert proc.returncode == 0, f"npm ci failed\n{proc.stdout}\n{proc.stderr}"
    return HERE


def _world(admin: httpx.Client, store: httpx.Client) -> dict[str, Any]:
    """One of each resource the screens list, made through the admin and store APIs; the names the screens show."""
    shop = build(admin, suffix=" UI")
    tee = product(admin, shop, "Harbor Tee", 25, 40)
    mug = product(admin, shop, "Harbor Mug", 12, 30)
    orders = []
    for email in ("grace@example.com", "alan@example.com"):
        cart = cart_ready(store, shop, [(tee["id"], 2), (mug["id"], 1)], email=email)
        done = ok(store.post(f"/store/carts/{cart['id']}/complete"))
        assert done["type"] == "order", done
        orders.append(done["order"])
    customer = ok(
        admin.post("/admin/customers", json={"email": "linus@example.com", "first_name": "Linus", "last_name": "T"})
    )["customer"]
    group = ok(admin.post("/admin/customer-groups", json={"name": "Wholesale UI"}))["customer_group"]
    ok(admin.post(f"/admin/customer-groups/{group['id']}/customers", json={"add": [customer["id"]]}))
    campaign = ok(admin.post("/admin/campaigns", json={"name": "Spring UI", "campaign_identifier": "spring-ui"}))[
        "campaign"
    ]
    promotion = ok(
        admin.post(
            "/admin/promotions",
            json={
                "code": "HARBOR10",
                "type": "standard",
                "status": "active",
                "campaign_id": campaign["id"],
                "application_method": {
                    "type": "percentage",
                    "target_type": "items",
                    "allocation": "across",
                    "value": 10,
                },
            },
        )
    )["promotion"]
    prices = [{"variant_id": tee["id"], "currency_code": "usd", "amount": 20}]
    price_list = ok(
        admin.post("/admin/price-lists", json={"title": "Harbor Sale", "description": "UI", "prices": prices})
    )["price_list"]
    collection = ok(admin.post("/admin/collections", json={"title": "Harbor Collection"}))["collection"]
    ok(admin.post(f"/admin/collections/{collection['id']}/products", json={"add": [tee["product_id"]]}))
    category = ok(admin.post("/admin/product-categories", json={"name": "Harbor Goods"}))["product_category"]
    ptype = ok(admin.post("/admin/product-types", json={"value": "HarborType"}))["product_type"]
    tag = ok(admin.post("/admin/product-tags", json={"value": "harbortag"}))["product_tag"]
    tax_region = ok(admin.post("/admin/tax-regions", json={"country_code": "us", "provider_id": "tp_system"}))[
        "tax_region"
    ]
    secret = ok(admin.post("/admin/api-keys", json={"title": "Harbor CI", "type": "secret"}))["api_key"]
    keys = ok(admin.get("/admin/api-keys", params={"type": "publishable"}))["api_keys"]
    me = ok(admin.get("/admin/users/me"))["user"]
    region = ok(admin.get(f"/admin/regions/{shop['region']}"))["region"]
    return {
        # Made through the UI's create wizard (dashboard.mjs), checked back in _check_changes.
        "new_product": {"title": "Harbor Hoodie", "option": "Size", "values": ["S", "M"], "sku": "HH", "price": 30},
        "shared_option": {"title": "Harbor Fabric", "values": ["Linen", "Canvas"]},
        "shop": shop,
        "products": [tee, mug],
        "orders": [{"id": o["id"], "display_id": o["display_id"], "email": o["email"]} for o in orders],
        "customer": customer,
        "group": group,
        "campaign": campaign,
        "promotion": promotion,
        "price_list": price_list,
        "collection": collection,
        "category": category,
        "product_type": ptype,
        "product_tag": tag,
        "tax_region": tax_region,
        "secret_key": {"id": secret["id"], "title": secret["title"]},
        "publishable_key": {"id": keys[0]["id"], "title": keys[0]["title"]},
        "user": me,
        "region": {"id": region["id"], "name": region["name"]},
    }


@pytest.mark.timeout(NPM_CI_TIMEOUT + SCRIPT_TIMEOUT + 120)
def test_the_dashboard_shows_and_changes_the_store(
    node_project: Path, server: Server, admin: httpx.Client, store: httpx.Client
) -> None:
    assert not ok(admin.get("/admin/products", params={"title": "Harbor Hoodie"}))["products"]
    world = _world(admin, store)
    shots = Path(os.environ.get("ADMIN_UI_SHOTS") or tempfile.mkdtemp(prefix="admin-ui-shots-"))
    shots.mkdir(parents=True, exist_ok=True)
    print(f"\nadmin UI screenshots: {shots}")
    env = {
        **os.environ,
        "BASE_URL": server.url,
        "ADMIN_EMAIL": ADMIN_EMAIL,
        "ADMIN_PASSWORD": ADMIN_PASSWORD,
        "CHROMIUM": CHROMIUM,
        "SHOTS": str(shots),
        "WORLD": json.dumps(world, default=str),
    }
    proc = subprocess.run(
        ["node", "dashboard.mjs"],
        cwd=node_project,
        env=env,
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT,
        check=False,
    )
    output = f"exit code {proc.returncode}\n--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"
    assert proc.stdout.strip(), output
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    print(json.dumps(summary, indent=1))
    assert summary["problems"] == [], output
    assert proc.returncode == 0, output
    # What the UI did is in the database: checked through the API, not by the script's word.
    _check_changes(admin, store, world)


def _check_changes(admin: httpx.Client, store: httpx.Client, world: dict[str, Any]) -> None:
    order = ok(admin.get(f"/admin/orders/{world['orders'][0]['id']}"))["order"]
    assert order["payment_status"] == "captured", order["payment_status"]
    assert order["fulfillment_status"] == "fulfilled", order["fulfillment_status"]
    tee = world["products"][0]
    levels = ok(admin.get(f"/admin/inventory-items/{tee['inventory_item_id']}/location-levels"))["inventory_levels"]
    assert [lv["stocked_quantity"] for lv in levels if lv["location_id"] == world["shop"]["location"]] == [55]
    promos = ok(admin.get("/admin/promotions", params={"code": "UIPROMO15"}))["promotions"]
    assert [p["application_method"]["value"] for p in promos] == [15], promos
    _check_new_product(admin, store, world)
    _check_shared_option(admin, world)


def _check_shared_option(admin: httpx.Client, world: dict[str, Any]) -> None:
    """The Options screen's option: shared (of no product), with the two values in the order entered."""
    new = world["shared_option"]
    found = ok(admin.get("/admin/product-options", params={"title": new["title"], "is_exclusive": "false"}))
    assert found["count"] == 1, found
    values = sorted(found["product_options"][0]["values"], key=lambda v: v["rank"])
    assert [v["value"] for v in values] == new["values"], values


def _check_new_product(admin: httpx.Client, store: httpx.Client, world: dict[str, Any]) -> None:
    """The wizard's product: published, one option with the two values, exactly two variants with their SKUs and
    the USD price entered, in the default sales channel, so the storefront prices it for the region."""
    new = world["new_product"]
    found = ok(admin.get("/admin/products", params={"title": new["title"], "fields": "*variants.prices,*options"}))
    assert found["count"] == 1, found
    made = found["products"][0]
    assert made["status"] == "published" and made["handle"] == "harbor-hoodie"
    assert [(o["title"], sorted(v["value"] for v in o["values"])) for o in made["options"]] == [("Size", ["M", "S"])]
    variants = sorted(made["variants"], key=lambda v: v["sku"])
    assert [v["sku"] for v in variants] == ["HH-M", "HH-S"], variants
    for variant in variants:
        assert [(p["currency_code"], Decimal(str(p["amount"]))) for p in variant["prices"]] == [("usd", Decimal(30))]
    shown = ok(
        store.get(
            "/store/products",
            params={
                "handle": "harbor-hoodie",
                "region_id": world["shop"]["region"],
                "fields": "*variants.calculated_price",
            },
        )
    )["products"]
    assert len(shown) == 1 and len(shown[0]["variants"]) == 2, shown
    for variant in shown[0]["variants"]:
        price = variant["calculated_price"]
        assert price["currency_code"] == "usd" and Decimal(str(price["calculated_amount"])) == 30, price
