"""Tax regions, rates, rules and providers over HTTP, and the cart's `tax_lines` on hand-worked cases."""

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import httpx
import psycopg
import pytest

from commerce.errors import InvalidData
from commerce.tax import service as tax
from commerce.tax.schemas import (
    CreateTaxRate,
    CreateTaxRegion,
    DefaultTaxRateInput,
    TaxableItem,
    TaxableShipping,
    TaxRateRuleInput,
)
from tests.conftest import assert_error, run_async

REGION_KEYS = {
    "id",
    "country_code",
    "province_code",
    "parent_id",
    "provider_id",
    "created_by",
    "created_at",
    "updated_at",
    "deleted_at",
    "metadata",
    "children",
    "parent",
    "tax_rates",
}
RATE_KEYS = {
    "id",
    "name",
    "code",
    "rate",
    "tax_region_id",
    "is_default",
    "is_combinable",
    "created_by",
    "created_at",
    "updated_at",
    "deleted_at",
    "metadata",
}


def _region(admin: httpx.Client, **body: Any) -> dict[str, Any]:
    r = admin.post("/admin/tax-regions", json=body)
    assert r.status_code == 200, r.text
    region: dict[str, Any] = r.json()["tax_region"]
    return region


def _rate(admin: httpx.Client, **body: Any) -> dict[str, Any]:
    r = admin.post("/admin/tax-rates", json=body)
    assert r.status_code == 200, r.text
    rate: dict[str, Any] = r.json()["tax_rate"]
    return rate


def _count(db_url: str, query: str, *params: Any) -> int:
    with psycopg.connect(db_url) as conn:
        row = conn.execute(query, params).fetchone()
        assert row is not None
        return int(row[0])


def test_the_system_provider_is_listed(admin: httpx.Client) -> None:
    r = admin.get("/admin/tax-providers")
    assert r.status_code == 200, r.text
    assert r.json() == {
        "tax_providers": [{"id": "tp_system", "is_enabled": True}],
        "count": 1,
        "offset": 0,
        "limit": 20,
    }
    assert admin.get("/admin/tax-providers", params={"is_enabled": "false"}).json()["count"] == 0


def test_country_and_province_regions_lifecycle(admin: httpx.Client, db_url: str) -> None:
    us = _region(
        admin,
        country_code="US",
        provider_id="tp_system",
        default_tax_rate={"rate": 5, "code": "US", "name": "US default"},
        metadata={"k": "v"},
    )
    assert set(us) == REGION_KEYS
    assert us["id"].startswith("txreg_")
    assert (us["country_code"], us["province_code"], us["parent_id"], us["provider_id"]) == (
        "us",
        None,
        None,
        "tp_system",
    )
    assert us["created_by"] and us["metadata"] == {"k": "v"}
    assert (us["children"], us["parent"]) == ([], None)
    [default] = us["tax_rates"]
    assert set(default) == RATE_KEYS | {"rules"}
    assert default["id"].startswith("txr_")
    assert (default["rate"], default["code"], default["is_default"], default["is_combinable"]) == (5, "US", True, False)
    assert default["rules"] == []

    ca = _region(
        admin,
        country_code="us",
        province_code="US-CA",
        parent_id=us["id"],
        default_tax_rate={"rate": "7.25", "code": "CA", "name": "California", "is_combinable": True},
    )
    assert (ca["province_code"], ca["parent_id"], ca["provider_id"]) == ("us-ca", us["id"], None)
    assert ca["parent"]["id"] == us["id"] and ca["parent"]["country_code"] == "us"
    assert [(r["rate"], r["is_combinable"]) for r in ca["tax_rates"]] == [(7.25, True)]
    # Without parent_id the country's region is found by country code.
    ny = _region(admin, country_code="us", province_code="us-ny")
    assert ny["parent_id"] == us["id"] and ny["tax_rates"] == []

    got = admin.get(f"/admin/tax-regions/{us['id']}").json()["tax_region"]
    assert sorted(c["province_code"] for c in got["children"]) == ["us-ca", "us-ny"]
    child = next(c for c in got["children"] if c["province_code"] == "us-ca")
    assert [r["code"] for r in child["tax_rates"]] == ["CA"] and child["tax_rates"][0]["rules"] == []

    listed = admin.get("/admin/tax-regions", params={"country_code": "US", "order": "created_at"}).json()
    assert (listed["count"], listed["limit"]) == (3, 20)
    assert [r["province_code"] for r in listed["tax_regions"]] == [None, "us-ca", "us-ny"]
    assert admin.get("/admin/tax-regions", params={"country_code": "us", "parent_id": "null"}).json()["count"] == 1
    assert admin.get("/admin/tax-regions", params={"parent_id": us["id"]}).json()["count"] == 2
    assert admin.get("/admin/tax-regions", params={"province_code[]": ["us-ca", "us-ny"]}).json()["count"] == 2
    assert admin.get("/admin/tax-regions", params={"q": "us-n"}).json()["count"] == 1
    slim = admin.get("/admin/tax-regions", params={"id": ca["id"], "fields": "id,province_code"}).json()
    assert slim["tax_regions"] == [{"id": ca["id"], "province_code": "us-ca"}]

    updated = admin.post(f"/admin/tax-regions/{ny['id']}", json={"province_code": "US-NV", "metadata": {"a": 1}})
    assert updated.status_code == 200, updated.text
    assert (updated.json()["tax_region"]["province_code"], updated.json()["tax_region"]["metadata"]) == (
        "us-nv",
        {"a": 1},
    )
    assert_error(admin.post(f"/admin/tax-regions/{ny['id']}", json={"province_code": "us-ca"}), 422, "duplicate_error")
    assert_error(admin.post(f"/admin/tax-regions/{us['id']}", json={"province_code": "us-tx"}), 400, "invalid_data")
    assert_error(admin.post(f"/admin/tax-regions/{ny['id']}", json={"provider_id": "tp_system"}), 400, "invalid_data")

    # Duplicates of a live country or province are refused, and nothing of the request is kept.
    rates_before = _count(db_url, "SELECT count(*) FROM tax_rate")
    assert_error(
        admin.post(
            "/admin/tax-regions",
            json={"country_code": "us", "provider_id": "tp_system", "default_tax_rate": {"code": "X", "name": "X"}},
        ),
        422,
        "duplicate_error",
        "country_code: us",
    )
    assert_error(
        admin.post("/admin/tax-regions", json={"country_code": "us", "province_code": "us-ca", "parent_id": us["id"]}),
        422,
        "duplicate_error",
    )
    assert _count(db_url, "SELECT count(*) FROM tax_rate") == rates_before

    # Deleting the country takes its provinces and every rate with it; the country can then be created again.
    d = admin.delete(f"/admin/tax-regions/{us['id']}")
    assert d.json() == {"id": us["id"], "object": "tax_region", "deleted": True}
    assert_error(admin.get(f"/admin/tax-regions/{us['id']}"), 404, "not_found", us["id"])
    assert_error(admin.get(f"/admin/tax-regions/{ca['id']}"), 404, "not_found")
    assert_error(admin.get(f"/admin/tax-rates/{ca['tax_rates'][0]['id']}"), 404, "not_found")
    assert_error(admin.delete(f"/admin/tax-regions/{us['id']}"), 404, "not_found")
    assert admin.get("/admin/tax-regions", params={"country_code": "us"}).json()["count"] == 0
    again = _region(admin, country_code="us", provider_id="tp_system")
    assert again["tax_rates"] == []
    admin.delete(f"/admin/tax-regions/{again['id']}")


def test_rate_lifecycle_with_rules(admin: httpx.Client) -> None:
    de = _region(
        admin, country_code="de", provider_id="tp_system", default_tax_rate={"rate": 19, "code": "DE", "name": "MwSt"}
    )
    reduced = _rate(
        admin,
        tax_region_id=de["id"],
        rate=7,
        code="DE-RED",
        name="Reduced",
        rules=[
            {"reference": "product", "reference_id": "prod_book"},
            {"reference": "product_type", "reference_id": "ptyp_food"},
            {"reference": "product", "reference_id": "prod_book"},  # repeated: kept once
        ],
    )
    assert set(reduced) == RATE_KEYS | {"rules", "tax_region"}
    assert (reduced["rate"], reduced["is_default"], reduced["tax_region"]["id"]) == (7, False, de["id"])
    assert [(r["reference"], r["reference_id"]) for r in reduced["rules"]] == [
        ("product", "prod_book"),
        ("product_type", "ptyp_food"),
    ]
    assert all(r["id"].startswith("txrule_") and r["tax_rate_id"] == reduced["id"] for r in reduced["rules"])

    added = admin.post(
        f"/admin/tax-rates/{reduced['id']}/rules", json={"reference": "shipping_option", "reference_id": "so_1"}
    )
    assert added.status_code == 200, added.text
    rules = added.json()["tax_rate"]["rules"]
    assert len(rules) == 3
    assert_error(
        admin.post(
            f"/admin/tax-rates/{reduced['id']}/rules", json={"reference": "product", "reference_id": "prod_book"}
        ),
        422,
        "duplicate_error",
    )
    gone = admin.delete(f"/admin/tax-rates/{reduced['id']}/rules/{rules[0]['id']}")
    assert gone.status_code == 200, gone.text
    body = gone.json()
    assert (body["id"], body["object"], body["deleted"]) == (rules[0]["id"], "tax_rate_rule", True)
    assert [r["reference_id"] for r in body["parent"]["rules"]] == ["ptyp_food", "so_1"]
    assert_error(admin.delete(f"/admin/tax-rates/{reduced['id']}/rules/{rules[0]['id']}"), 404, "not_found")

    updated = admin.post(
        f"/admin/tax-rates/{reduced['id']}",
        json={"rate": "8.5", "name": "Reduced 2", "rules": [{"reference": "product", "reference_id": "prod_x"}]},
    )
    assert updated.status_code == 200, updated.text
    u = updated.json()["tax_rate"]
    assert (u["rate"], u["name"], u["code"]) == (8.5, "Reduced 2", "DE-RED")
    assert [r["reference_id"] for r in u["rules"]] == ["prod_x"]
    kept = admin.post(f"/admin/tax-rates/{reduced['id']}", json={"is_combinable": True}).json()["tax_rate"]
    assert [r["reference_id"] for r in kept["rules"]] == ["prod_x"] and kept["is_combinable"] is True

    listed = admin.get("/admin/tax-rates", params={"tax_region_id": de["id"], "order": "created_at"}).json()
    assert [r["code"] for r in listed["tax_rates"]] == ["DE", "DE-RED"]
    assert admin.get("/admin/tax-rates", params={"tax_region_id": de["id"], "is_default": "false"}).json()["count"] == 1
    assert admin.get("/admin/tax-rates", params={"q": "reduced 2"}).json()["count"] == 1
    slim = admin.get(f"/admin/tax-rates/{reduced['id']}", params={"fields": "id,rate,*rules"}).json()["tax_rate"]
    assert set(slim) == {"id", "rate", "rules"}

    region = admin.get(f"/admin/tax-regions/{de['id']}").json()["tax_region"]
    assert [r["code"] for r in region["tax_rates"]] == ["DE", "DE-RED"]

    assert admin.delete(f"/admin/tax-rates/{reduced['id']}").json() == {
        "id": reduced["id"],
        "object": "tax_rate",
        "deleted": True,
    }
    assert_error(admin.get(f"/admin/tax-rates/{reduced['id']}"), 404, "not_found")
    assert_error(admin.post(f"/admin/tax-rates/{reduced['id']}", json={"rate": 1}), 404, "not_found")


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"country_code": "USA", "provider_id": "tp_system"}, "country_code"),
        ({"country_code": "it"}, "Provider is required"),
        ({"country_code": "it", "provider_id": "tp_nope"}, "tp_nope"),
        (
            {
                "country_code": "it",
                "provider_id": "tp_system",
                "default_tax_rate": {"rate": 101, "code": "a", "name": "a"},
            },
            "100",
        ),
        (
            {
                "country_code": "it",
                "provider_id": "tp_system",
                "default_tax_rate": {"rate": -1, "code": "a", "name": "a"},
            },
            "rate",
        ),
        (
            {
                "country_code": "it",
                "provider_id": "tp_system",
                "default_tax_rate": {"rate": "1e-20", "code": "a", "name": "a"},
            },
            "decimal places",
        ),
        (
            {
                "country_code": "it",
                "provider_id": "tp_system",
                "default_tax_rate": {"rate": "NaN", "code": "a", "name": "a"},
            },
            "finite",
        ),
        ({"country_code": "it", "provider_id": "tp_system", "default_tax_rate": {"rate": 5, "name": "a"}}, "code"),
        ({"country_code": "it", "province_code": "it-rm"}, "parent"),
        ({"country_code": "it", "province_code": "it-rm", "parent_id": "txreg_missing"}, "parent does not exist"),
        ({"country_code": "it", "provider_id": "tp_system", "colour": "red"}, "colour"),
    ],
)
def test_bad_region_input_is_400_and_writes_nothing(
    admin: httpx.Client, db_url: str, body: dict[str, Any], needle: str
) -> None:
    assert_error(admin.post("/admin/tax-regions", json=body), 400, "invalid_data", needle)
    assert _count(db_url, "SELECT count(*) FROM tax_region WHERE country_code = 'it'") == 0


def test_bad_rate_input_and_unknown_ids(admin: httpx.Client, db_url: str) -> None:
    es = _region(
        admin, country_code="es", provider_id="tp_system", default_tax_rate={"rate": 21, "code": "ES", "name": "IVA"}
    )
    fr = _region(admin, country_code="nl", provider_id="tp_system")
    assert_error(
        admin.post("/admin/tax-regions", json={"country_code": "es", "province_code": "es-m", "parent_id": fr["id"]}),
        400,
        "invalid_data",
        "same country code",
    )
    base = {"tax_region_id": es["id"], "code": "R", "name": "R"}
    for bad, needle in (
        ({"rate": 100.5}, "100"),
        ({"rate": "abc"}, "rate"),
        ({"rules": [{"reference": "category", "reference_id": "pcat_1"}]}, "reference"),
        ({"rules": [{"reference": "product"}]}, "reference_id"),
    ):
        assert_error(admin.post("/admin/tax-rates", json=base | bad), 400, "invalid_data", needle)
    assert_error(
        admin.post("/admin/tax-rates", json=base | {"tax_region_id": "txreg_missing"}),
        404,
        "not_found",
        "txreg_missing",
    )
    # A second default is a duplicate, and its rules are not written either.
    rules_before = _count(db_url, "SELECT count(*) FROM tax_rate_rule")
    assert_error(
        admin.post(
            "/admin/tax-rates",
            json=base | {"is_default": True, "rules": [{"reference": "product", "reference_id": "prod_1"}]},
        ),
        422,
        "duplicate_error",
        "default",
    )
    assert _count(db_url, "SELECT count(*) FROM tax_rate_rule") == rules_before
    assert admin.get("/admin/tax-rates", params={"tax_region_id": es["id"]}).json()["count"] == 1
    # Failed updates leave the rate as it was (its rules included).
    other = _rate(admin, **base, rate=10, rules=[{"reference": "product", "reference_id": "prod_1"}])
    assert_error(
        admin.post(
            f"/admin/tax-rates/{other['id']}",
            json={"is_default": True, "rules": [{"reference": "product", "reference_id": "prod_2"}]},
        ),
        422,
        "duplicate_error",
    )
    after = admin.get(f"/admin/tax-rates/{other['id']}").json()["tax_rate"]
    assert (after["is_default"], [r["reference_id"] for r in after["rules"]]) == (False, ["prod_1"])
    assert_error(admin.post(f"/admin/tax-rates/{other['id']}", json={"rate": 250}), 400, "invalid_data", "100")

    for method, path in (
        ("GET", "/admin/tax-regions/txreg_missing"),
        ("POST", "/admin/tax-regions/txreg_missing"),
        ("DELETE", "/admin/tax-regions/txreg_missing"),
        ("GET", "/admin/tax-rates/txr_missing"),
        ("DELETE", "/admin/tax-rates/txr_missing"),
        ("DELETE", "/admin/tax-rates/txr_missing/rules/txrule_missing"),
    ):
        assert_error(admin.request(method, path, json={} if method == "POST" else None), 404, "not_found")
    assert_error(
        admin.post("/admin/tax-rates/txr_missing/rules", json={"reference": "product", "reference_id": "p"}),
        404,
        "not_found",
    )
    assert_error(admin.get("/admin/tax-regions", params={"order": "secret"}), 400, "invalid_data")
    assert_error(admin.get("/admin/tax-regions", params={"fields": "nope"}), 400, "invalid_data", "nope")


def test_tax_routes_need_an_admin(client: httpx.Client) -> None:
    assert client.get("/admin/tax-regions").status_code == 401
    assert client.post("/admin/tax-rates", json={}).status_code == 401


# --- tax_lines: the cart's view ---------------------------------------------------------------------------------

PLAIN: TaxableItem = {"id": "item_plain", "product_id": "prod_x", "product_type_id": "ptyp_x"}
BOOKS: TaxableItem = {"id": "item_books", "product_id": "prod_novel", "product_type_id": "ptyp_books"}
SPECIAL: TaxableItem = {"id": "item_special", "product_id": "prod_special", "product_type_id": "ptyp_books"}
FOOD: TaxableItem = {"id": "item_food", "product_id": "prod_bread", "product_type_id": "ptyp_food"}
BARE: TaxableItem = {"id": "item_bare", "product_id": None, "product_type_id": None}
EXPRESS: TaxableShipping = {"id": "sm_express", "shipping_option_id": "so_express"}
STANDARD: TaxableShipping = {"id": "sm_standard", "shipping_option_id": "so_standard"}


@pytest.fixture(scope="module")
def canada(db_url: str) -> dict[str, str]:
    """Canada as hand-worked fixtures: GST 5 (country default), books 0 by product type, one product at 2,
    express shipping at 3; Quebec QST 9.975 combinable (stacks on the country) with food at 0 not combinable;
    Ontario HST 13 alone; British Columbia a province region with no rates of its own."""

    def rule(reference: str, reference_id: str) -> TaxRateRuleInput:
        return TaxRateRuleInput(reference=reference, reference_id=reference_id)  # type: ignore[arg-type]

    async def work(conn: psycopg.AsyncConnection[Any]) -> dict[str, str]:
        def default(rate: str, code: str, combinable: bool = False) -> DefaultTaxRateInput:
            return DefaultTaxRateInput(code=code, name=code, rate=Decimal(rate), is_combinable=combinable)

        ca = await tax.create_region(
            conn,
            CreateTaxRegion(country_code="CA", provider_id="tp_system", default_tax_rate=default("5", "GST")),
            None,
        )
        ids = {"GST": ca.tax_rates[0].id}
        for code, rate, rules in (
            ("BOOKS", "0", [rule("product_type", "ptyp_books")]),
            ("SPECIAL", "2", [rule("product", "prod_special")]),
            ("SHIP", "3", [rule("shipping_option", "so_express")]),
        ):
            made = await tax.create_rate(
                conn, CreateTaxRate(tax_region_id=ca.id, code=code, name=code, rate=Decimal(rate), rules=rules), None
            )
            ids[code] = made.id
        qc = await tax.create_region(
            conn,
            CreateTaxRegion(
                country_code="ca",
                province_code="ca-qc",
                parent_id=ca.id,
                default_tax_rate=default("9.975", "QST", True),
            ),
            None,
        )
        ids["QST"] = qc.tax_rates[0].id
        food = await tax.create_rate(
            conn,
            CreateTaxRate(
                tax_region_id=qc.id,
                code="QC-FOOD",
                name="QC-FOOD",
                rate=Decimal(0),
                rules=[rule("product_type", "ptyp_food")],
            ),
            None,
        )
        ids["QC-FOOD"] = food.id
        on = await tax.create_region(
            conn, CreateTaxRegion(country_code="ca", province_code="ca-on", default_tax_rate=default("13", "HST")), None
        )
        ids["HST"] = on.tax_rates[0].id
        await tax.create_region(conn, CreateTaxRegion(country_code="ca", province_code="ca-bc"), None)
        return ids

    return run_async(db_url, work)


def _lines(
    db_url: str,
    province: str | None,
    items: list[TaxableItem],
    methods: list[TaxableShipping] | None = None,
    country: str = "ca",
) -> dict[str, list[tuple[str, Decimal]]]:
    async def work(conn: psycopg.AsyncConnection[Any]) -> Any:
        return await tax.tax_lines(conn, {"country_code": country, "province_code": province}, items, methods or [])

    result = run_async(db_url, work)
    out: dict[str, list[tuple[str, Decimal]]] = {}
    for group in ("items", "shipping_methods"):
        for line_id, lines in result[group].items():
            assert all(line["provider_id"] == "tp_system" for line in lines)
            out[line_id] = [(line["code"], line["rate"]) for line in lines]
    return out


def test_tax_lines_country_rates(db_url: str, canada: dict[str, str]) -> None:
    # No province: the country's default, beaten by a product-type rule, beaten by a product rule.
    assert _lines(db_url, None, [PLAIN, BOOKS, SPECIAL, BARE], [EXPRESS, STANDARD]) == {
        "item_plain": [("GST", Decimal(5))],
        "item_books": [("BOOKS", Decimal(0))],
        "item_special": [("SPECIAL", Decimal(2))],
        "item_bare": [("GST", Decimal(5))],
        "sm_express": [("SHIP", Decimal(3))],
        "sm_standard": [("GST", Decimal(5))],
    }
    # A province without a region of its own, or with a region that has no rates, gets the country's rates.
    for province in ("ca-yt", "CA-BC"):
        assert _lines(db_url, province, [PLAIN, BOOKS]) == {
            "item_plain": [("GST", Decimal(5))],
            "item_books": [("BOOKS", Decimal(0))],
        }


def test_tax_lines_province_overrides_and_combinable(db_url: str, canada: dict[str, str]) -> None:
    quebec = _lines(db_url, "CA-QC", [PLAIN, BOOKS, FOOD], [EXPRESS, STANDARD])
    assert quebec == {
        # QST is combinable: the parent region's best rate for the same line is added.
        "item_plain": [("QST", Decimal("9.975")), ("GST", Decimal(5))],
        # The province default (score 3) beats the country's book rule (5); the country's best for books is BOOKS.
        "item_books": [("QST", Decimal("9.975")), ("BOOKS", Decimal(0))],
        # A province product-type rule (2) that is not combinable stands alone.
        "item_food": [("QC-FOOD", Decimal(0))],
        "sm_express": [("QST", Decimal("9.975")), ("SHIP", Decimal(3))],
        "sm_standard": [("QST", Decimal("9.975")), ("GST", Decimal(5))],
    }
    # Ontario's HST is not combinable: it replaces the country's rates, rules included.
    assert _lines(db_url, "ca-on", [PLAIN, SPECIAL], [EXPRESS]) == {
        "item_plain": [("HST", Decimal(13))],
        "item_special": [("HST", Decimal(13))],
        "sm_express": [("HST", Decimal(13))],
    }


def test_tax_lines_follow_changes_and_missing_regions(db_url: str, canada: dict[str, str]) -> None:
    async def drop_special(conn: psycopg.AsyncConnection[Any]) -> None:
        await tax.delete_rate(conn, canada["SPECIAL"])

    run_async(db_url, drop_special)
    assert _lines(db_url, None, [SPECIAL]) == {"item_special": [("BOOKS", Decimal(0))]}
    # No tax region for the country: every line is there, with no tax.
    assert _lines(db_url, None, [PLAIN], [EXPRESS], country="JP") == {"item_plain": [], "sm_express": []}

    async def strict(conn: psycopg.AsyncConnection[Any]) -> None:
        await tax.tax_lines(conn, {"country_code": "jp", "province_code": None}, [], [], require_region=True)

    with pytest.raises(InvalidData, match="No parent region"):
        run_async(db_url, strict)

    async def full(conn: psycopg.AsyncConnection[Any]) -> Any:
        return await tax.tax_lines(conn, {"country_code": "ca", "province_code": "ca-qc"}, [PLAIN], [])

    [qst, gst] = run_async(db_url, full)["items"]["item_plain"]
    assert qst == {
        "rate": Decimal("9.975"),
        "code": "QST",
        "name": "QST",
        "tax_rate_id": canada["QST"],
        "provider_id": "tp_system",
    }
    assert gst["tax_rate_id"] == canada["GST"]


def test_concurrent_writes_settle_cleanly(admin: httpx.Client) -> None:
    def create(_: int) -> int:
        return admin.post("/admin/tax-regions", json={"country_code": "se", "provider_id": "tp_system"}).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = sorted(pool.map(create, range(8)))
    assert statuses == [200] + [422] * 7
    [se] = admin.get("/admin/tax-regions", params={"country_code": "se"}).json()["tax_regions"]

    def update(n: int) -> int:
        return admin.post(f"/admin/tax-regions/{se['id']}", json={"metadata": {"n": n}}).status_code

    def default_rate(n: int) -> int:
        body = {"tax_region_id": se["id"], "code": f"SE{n}", "name": "Moms", "rate": 25, "is_default": True}
        return admin.post("/admin/tax-rates", json=body).status_code

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(update, range(8))) == {200}
        assert sorted(pool.map(default_rate, range(6))) == [200] + [422] * 5
    assert admin.get("/admin/tax-rates", params={"tax_region_id": se["id"]}).json()["count"] == 1
