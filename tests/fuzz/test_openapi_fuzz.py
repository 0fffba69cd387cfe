"""The server against its own /openapi.json, fuzzed by schemathesis (the CLI, pinned in the dev extra): every store
and auth operation with the publishable key and a customer's token, then every admin operation with the admin's JWT.

Each run takes schemathesis's examples, coverage (boundary and invalid values of every parameter and body field)
and fuzzing phases, bounded by FUZZ_EXAMPLES cases per operation and phase, with a fixed seed (FUZZ_SEED) so a run is
reproducible. The test fails on any failed check but two that do not apply here:
- `ignored_auth`: the credentials go in as plain headers, which schemathesis cannot take off, so its "without
  authentication" request still carries them; tests/security's matrix asks every route without them.
- `positive_data_acceptance`: a request that fits the schema may still be refused by the domain (an id that names
  nothing, a cart that is not ready to complete) with a 4xx, as Medusa does.
Everything else is asserted: no 5xx, every answer's status, content type, headers and body as the document says,
schema-violating requests refused, unsupported methods answered 405 with a correct Allow.

Operations on one thing get the id of a real one (a shop, a product, the customer's cart and address; never for a
DELETE), so they are fuzzed past their 404 into the handler. The store run goes first: the admin run may revoke or
delete what it finds in the answers (the publishable key, the region), which the store run needs and the admin run
does not (its JWT stays valid)."""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Server
from tests.shop import ADDRESS, build, cart_ready, ok, product

BIN = Path(sys.executable).parent
EXAMPLES = os.environ.get("FUZZ_EXAMPLES", "5")
SEED = os.environ.get("FUZZ_SEED", "13")
NOT_APPLICABLE = "ignored_auth,positive_data_acceptance"
RESULTS: dict[str, dict[str, Any]] = {}


@pytest.fixture(scope="module")
def server(db_url: str, seeded: dict[str, str]) -> Iterator[Server]:
    srv = Server(db_url, workers=2).start()
    yield srv
    srv.stop()


def schemathesis(
    server: Server,
    workdir: Path,
    name: str,
    paths: str,
    headers: dict[str, str],
    real: dict[str, dict[str, str]] | None = None,
) -> dict[str, Any]:
    """One schemathesis run over the operations whose path matches `paths`; its JSON report. `real` gives parameter
    values that name existing things (by a regex of the operations' paths), so those operations are fuzzed past
    their 404 into the handler."""
    report = workdir / f"{name}.json"
    config = workdir / f"{name}.toml"
    config.write_text("".join(_operation(regex, values) for regex, values in (real or {}).items()))
    cmd = [
        str(BIN / "schemathesis"),
        "--config-file",
        str(config),
        "run",
        f"{server.url}/openapi.json",
        "--include-path-regex",
        paths,
        "--phases",
        "examples,coverage,fuzzing",
        "--checks",
        "all",
        "--exclude-checks",
        NOT_APPLICABLE,
        "--max-examples",
        EXAMPLES,
        "--seed",
        SEED,
        "--workers",
        "2",
        "--request-timeout",
        "20",
        "--generation-database",
        "none",
        "--no-color",
        "--report",
        "json",
        "--report-json-path",
        str(report),
    ]
    for key, value in headers.items():
        cmd += ["-H", f"{key}: {value}"]
    # Its own working directory: schemathesis keeps a cache of failures under ./.schemathesis.
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=600, check=False)
    assert report.exists(), proc.stdout[-5000:] + proc.stderr[-5000:]
    found: dict[str, Any] = json.loads(report.read_text())
    found["output"] = proc.stdout
    RESULTS[name] = found
    return found


def _operation(regex: str, values: dict[str, str]) -> str:
    pairs = ", ".join(f"{json.dumps(key)} = {json.dumps(value)}" for key, value in values.items())
    # Not to DELETE: it would remove the thing before the other operations on it are fuzzed.
    return (
        f'[[operations]]\ninclude-path-regex = {json.dumps(regex)}\nexclude-method = "DELETE"\n'
        f"parameters = {{ {pairs} }}\n\n"
    )


def assert_clean(run: dict[str, Any]) -> None:
    failures = [(f["code"], f["title"], f["count"], f["operations"]) for f in run["failures"]]
    # The failing cases in full (request, answer, curl to reproduce) are in schemathesis's output.
    assert not failures and not run["errors"], f"{failures}\n{run['errors']}\n{run['output'][-20000:]}"
    assert run["complete"] and run["exit_code"] == 0, run["output"][-5000:]
    assert run["operations"]["tested"] == run["operations"]["selected"] > 0, run["operations"]
    assert run["test_cases"]["errored"] == 0, run["test_cases"]


@pytest.fixture(scope="module")
def customer_token(server: Server, seeded: dict[str, str]) -> str:
    """A customer's JWT, so /store/customers/me and the other customer routes are fuzzed past their guard."""
    headers = {"x-publishable-api-key": seeded["publishable_key"]}
    with httpx.Client(base_url=server.url, headers=headers, timeout=10) as store:
        login = {"email": "fuzzed@example.com", "password": "a fuzzed customer's password"}
        registration = ok(store.post("/auth/customer/emailpass/register", json=login))["token"]
        bearer = {"authorization": f"Bearer {registration}"}
        ok(store.post("/store/customers", json={"email": login["email"]}, headers=bearer))
        token: str = ok(store.post("/auth/customer/emailpass", json=login))["token"]
    return token


@pytest.fixture(scope="module")
def things(admin: httpx.Client, store: httpx.Client, customer_token: str) -> dict[str, Any]:
    """A shop that sells (tests/shop.py), a product, the customer's address and a cart of theirs ready to complete:
    what the operations are given ids of."""
    shop = build(admin)
    variant = product(admin, shop, "Fuzzed Tee", 20, 1000)
    bearer = {"authorization": f"Bearer {customer_token}"}
    cart = cart_ready(store, shop, [(variant["id"], 2)], email="fuzzed@example.com", headers=bearer)
    address = ok(store.post("/store/customers/me/addresses", json=ADDRESS, headers=bearer))["customer"]["addresses"][0]
    customer = ok(store.get("/store/customers/me", headers=bearer))["customer"]["id"]
    return {"shop": shop, "variant": variant, "cart": cart, "address": address["id"], "customer": customer}


def store_ids(t: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Real ids for the store operations, by a regex of their paths."""
    cart, shop = t["cart"], t["shop"]
    return {
        r"^/store/carts/\{id\}/line-items/\{line_id\}$": {"id": cart["id"], "line_id": cart["items"][0]["id"]},
        r"^/store/carts/\{id\}": {"id": cart["id"]},
        r"^/store/products/\{id\}$": {"id": t["variant"]["product_id"]},
        r"^/store/regions/\{id\}$": {"id": shop["region"]},
        r"^/store/shipping-options$": {"cart_id": cart["id"]},
        r"^/store/shipping-options/\{id\}/calculate$": {"id": shop["option"]},
        r"^/store/payment-providers$": {"region_id": shop["region"]},
        r"^/store/payment-collections/\{id\}/payment-sessions$": {"id": cart["payment_collection"]["id"]},
        r"^/store/customers/me/addresses/\{address_id\}$": {"address_id": t["address"]},
    }


def admin_ids(t: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Real ids for the admin operations but DELETE, by a regex of their paths."""
    shop, variant = t["shop"], t["variant"]
    return {
        r"^/admin/products/\{id\}/variants/\{variant_id\}": {"id": variant["product_id"], "variant_id": variant["id"]},
        r"^/admin/products/\{id\}": {"id": variant["product_id"]},
        r"^/admin/regions/\{id\}": {"id": shop["region"]},
        r"^/admin/inventory-items/\{id\}": {"id": variant["inventory_item_id"]},
        r"^/admin/stock-locations/\{id\}": {"id": shop["location"]},
        r"^/admin/shipping-options/\{id\}": {"id": shop["option"]},
        r"^/admin/shipping-profiles/\{id\}": {"id": shop["profile"]},
        r"^/admin/sales-channels/\{id\}": {"id": shop["channel"]},
        r"^/admin/customers/\{id\}": {"id": t["customer"]},
    }


@pytest.mark.timeout(600)
def test_store_and_auth_operations(
    server: Server, seeded: dict[str, str], customer_token: str, things: dict[str, Any], tmp_path: Path
) -> None:
    headers = {"x-publishable-api-key": seeded["publishable_key"], "authorization": f"Bearer {customer_token}"}
    run = schemathesis(server, tmp_path, "store", "^/(store|auth|hooks|health|static)", headers, store_ids(things))
    assert_clean(run)
    assert run["operations"]["tested"] >= 50


@pytest.mark.timeout(600)
def test_admin_operations(server: Server, admin_token: str, things: dict[str, Any], tmp_path: Path) -> None:
    bearer = {"authorization": f"Bearer {admin_token}"}
    run = schemathesis(server, tmp_path, "admin", "^/admin", bearer, admin_ids(things))
    assert_clean(run)
    assert run["operations"]["tested"] >= 170


def test_the_server_logged_no_unhandled_error(server: Server) -> None:
    """Nothing the fuzzers sent reached the catch-all (it logs 'unhandled error' before answering 500)."""
    assert RESULTS, "the fuzz runs did not run"
    log = server.log_text()
    assert "unhandled error" not in log and "Traceback" not in log, log[-5000:]
    for name, run in RESULTS.items():
        print(f"fuzz {name}: {run['operations']['tested']} operations, {run['test_cases']['generated']} test cases")
