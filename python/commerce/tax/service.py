"""Tax regions (a country, provinces under it), their rates and rules, the providers, and `tax_lines`: which
rates apply to a cart's items and shipping methods at an address, chosen as Medusa's tax module chooses them."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection, errors
from psycopg_pool import AsyncConnectionPool

from commerce.errors import DuplicateError, InvalidData, NotFound
from commerce.ids import new_id
from commerce.money import check_amount
from commerce.structs import given
from commerce.tax import repository as repo
from commerce.tax.schemas import (
    CreateTaxRate,
    CreateTaxRegion,
    TaxableItem,
    TaxableShipping,
    TaxAddress,
    TaxLine,
    TaxLines,
    TaxProvider,
    TaxProviderListQuery,
    TaxRate,
    TaxRateListQuery,
    TaxRateRule,
    TaxRateRuleInput,
    TaxRegion,
    TaxRegionChild,
    TaxRegionListQuery,
    TaxRegionRow,
    UpdateTaxRate,
    UpdateTaxRegion,
)

# The tables this module owns; each NOTIFYs on change, so a worker may cache rates and watch these.
TABLES = ("tax_provider", "tax_region", "tax_rate", "tax_rate_rule")
SYSTEM_PROVIDER = "tp_system"
MAX_RATE = Decimal(100)


def _check_rate(value: Decimal | None, field: str) -> Decimal | None:
    if value is None:
        return None
    check_amount(value, field)
    if value > MAX_RATE:
        raise InvalidData(f"Invalid request: '{field}' must be at most 100 (a percentage)")
    return value


def _region_not_found(region_id: str) -> NotFound:
    return NotFound(f"TaxRegion with id: {region_id} was not found")


def _rate_not_found(rate_id: str) -> NotFound:
    return NotFound(f"TaxRate with id: {rate_id} was not found")


def _duplicate(exc: errors.UniqueViolation, what: str) -> DuplicateError:
    constraint = exc.diag.constraint_name
    if constraint == repo.REGION_UNIQUE:
        return DuplicateError(f"Tax region with {what} already exists.")
    if constraint == repo.ONE_DEFAULT:
        return DuplicateError("The tax region already has a default tax rate.")
    if constraint == repo.RULE_UNIQUE:
        return DuplicateError("The tax rate already has a rule with this reference.")
    return DuplicateError("A tax resource with these values already exists.")


async def _check_provider(conn: AsyncConnection[Any], provider_id: str) -> None:
    if await repo.get_provider(conn, provider_id) is None:
        raise InvalidData(f"Tax provider with id: {provider_id} was not found")


def _unique_rules(rules: list[TaxRateRuleInput]) -> list[tuple[str, str]]:
    return list(dict.fromkeys((r.reference, r.reference_id) for r in rules))


async def _insert_rules(
    conn: AsyncConnection[Any], rate_id: str, rules: list[tuple[str, str]], created_by: str | None
) -> None:
    for reference, reference_id in rules:
        await repo.insert_rule(
            conn,
            {
                "id": new_id("txrule"),
                "tax_rate_id": rate_id,
                "reference": reference,
                "reference_id": reference_id,
                "created_by": created_by,
            },
        )


# --- regions ----------------------------------------------------------------------------------------------------


async def create_region(conn: AsyncConnection[Any], data: CreateTaxRegion, created_by: str | None) -> TaxRegion:
    """A country region (with a provider) or a province region under its country's region (`parent_id`, or found
    by country when only `province_code` is given); with its default rate when `default_tax_rate` is given."""
    country = data.country_code.lower()
    province = data.province_code.lower() if data.province_code else None
    default = data.default_tax_rate
    rate = _check_rate(default.rate, "default_tax_rate.rate") if default else None
    where = f"country_code: {country}" + (f", province_code: {province}" if province else "")
    region_id = new_id("txreg")
    try:
        async with conn.transaction():
            parent_id = await _parent_for(conn, data, country, province)
            if parent_id is None:
                if not data.provider_id:
                    raise InvalidData("Provider is required when creating a non-province tax region.")
                await _check_provider(conn, data.provider_id)
            await repo.insert_region(
                conn,
                {
                    "id": region_id,
                    "country_code": country,
                    "province_code": province,
                    "parent_id": parent_id,
                    "provider_id": data.provider_id if parent_id is None else None,
                    "metadata": data.metadata,
                    "created_by": created_by,
                },
            )
            if default is not None:
                await repo.insert_rate(
                    conn,
                    {
                        "id": new_id("txr"),
                        "tax_region_id": region_id,
                        "rate": rate,
                        "code": default.code,
                        "name": default.name,
                        "is_default": True,
                        "is_combinable": default.is_combinable,
                        "metadata": default.metadata,
                        "created_by": created_by,
                    },
                )
    except errors.UniqueViolation as exc:
        raise _duplicate(exc, where) from None
    return await retrieve_region(conn, region_id)


async def _parent_for(
    conn: AsyncConnection[Any], data: CreateTaxRegion, country: str, province: str | None
) -> str | None:
    """The parent region id of a province region (share-locked), None for a country region."""
    if data.parent_id is None and province is None:
        return None
    if province is None:
        raise InvalidData("Invalid request: 'province_code' is required for a region with a parent_id")
    if data.provider_id:
        raise InvalidData("A province tax region takes its provider from its parent region: omit 'provider_id'")
    if data.parent_id is not None:
        parent = await repo.get_region(conn, data.parent_id, lock="share")
    else:
        parent = await repo.country_region(conn, country)
    if parent is None or parent["parent_id"] is not None:
        raise InvalidData(
            "Province region must belong to a parent region. You are trying to create a province region with "
            f"(country: {country}, province: {province}) but parent does not exist"
        )
    if parent["country_code"] != country:
        raise InvalidData(
            "Province region must belong to a parent region with the same country code. You are trying to create "
            f"a province region with (country: {country}, province: {province}) but parent expects "
            f"(country: {parent['country_code']})"
        )
    return str(parent["id"])


async def retrieve_region(conn: AsyncConnection[Any], region_id: str) -> TaxRegion:
    row = await repo.get_region(conn, region_id)
    if row is None:
        raise _region_not_found(region_id)
    return (await _assemble_regions(conn, [row]))[0]


async def update_region(conn: AsyncConnection[Any], region_id: str, data: UpdateTaxRegion) -> TaxRegion:
    changes = given(data)
    try:
        async with conn.transaction():
            region = await repo.get_region(conn, region_id, lock="update")
            if region is None:
                raise _region_not_found(region_id)
            is_province = region["parent_id"] is not None
            if "province_code" in changes:
                if not is_province and changes["province_code"] is not None:
                    raise InvalidData("A country tax region has no 'province_code'")
                if is_province and changes["province_code"] is None:
                    raise InvalidData("Invalid request: a province tax region needs a 'province_code'")
                if changes["province_code"] is not None:
                    changes["province_code"] = changes["province_code"].lower()
            if "provider_id" in changes:
                if is_province:
                    raise InvalidData("A province tax region takes its provider from its parent region")
                await _check_provider(conn, changes["provider_id"])
            row = await repo.update_region(conn, region_id, changes)
            assert row is not None
    except errors.UniqueViolation as exc:
        raise _duplicate(exc, f"province_code: {changes.get('province_code')}") from None
    return (await _assemble_regions(conn, [row]))[0]


async def delete_region(conn: AsyncConnection[Any], region_id: str) -> None:
    """Soft-delete the region with its province regions, their rates and the rates' rules."""
    if not await repo.soft_delete_region(conn, region_id):
        raise _region_not_found(region_id)


async def list_regions(conn: AsyncConnection[Any], query: TaxRegionListQuery) -> tuple[list[TaxRegion], int]:
    filters = {
        "id": query.id,
        "country_code": [c.lower() for c in query.country_code or []],
        "province_code": [p if p == "null" else p.lower() for p in query.province_code or []],
        "parent_id": query.parent_id,
        "created_by": query.created_by,
        "q": query.q,
    }
    rows, count = await repo.list_regions(conn, filters, query.order, query.limit, query.offset)
    return await _assemble_regions(conn, rows), count


async def _assemble_regions(conn: AsyncConnection[Any], rows: list[dict[str, Any]]) -> list[TaxRegion]:
    if not rows:
        return []
    ids = [r["id"] for r in rows]
    children = await repo.children_of(conn, ids)
    parent_ids = list({r["parent_id"] for r in rows if r["parent_id"]})
    parents = {p["id"]: TaxRegionRow(**p) for p in await repo.regions_by_id(conn, parent_ids)} if parent_ids else {}
    rates = await _rates(conn, await repo.rates_of_regions(conn, ids + [c["id"] for c in children]))
    by_region: dict[str, list[TaxRate]] = {}
    for rate in rates:
        by_region.setdefault(rate.tax_region_id, []).append(rate)
    kids: dict[str, list[TaxRegionChild]] = {}
    for c in children:
        kids.setdefault(c["parent_id"], []).append(TaxRegionChild(**c, tax_rates=by_region.get(c["id"], [])))
    return [
        TaxRegion(
            **r,
            tax_rates=by_region.get(r["id"], []),
            children=kids.get(r["id"], []),
            parent=parents.get(r["parent_id"]) if r["parent_id"] else None,
        )
        for r in rows
    ]


# --- rates and rules --------------------------------------------------------------------------------------------


async def create_rate(conn: AsyncConnection[Any], data: CreateTaxRate, created_by: str | None) -> TaxRate:
    rate = _check_rate(data.rate, "rate")
    rate_id = new_id("txr")
    try:
        async with conn.transaction():
            if await repo.get_region(conn, data.tax_region_id, lock="share") is None:
                raise _region_not_found(data.tax_region_id)
            await repo.insert_rate(
                conn,
                {
                    "id": rate_id,
                    "tax_region_id": data.tax_region_id,
                    "rate": rate,
                    "code": data.code,
                    "name": data.name,
                    "is_default": data.is_default,
                    "is_combinable": data.is_combinable,
                    "metadata": data.metadata,
                    "created_by": created_by,
                },
            )
            await _insert_rules(conn, rate_id, _unique_rules(data.rules), created_by)
    except errors.UniqueViolation as exc:
        raise _duplicate(exc, "these values") from None
    return await retrieve_rate(conn, rate_id)


async def retrieve_rate(conn: AsyncConnection[Any], rate_id: str) -> TaxRate:
    row = await repo.get_rate(conn, rate_id)
    if row is None:
        raise _rate_not_found(rate_id)
    return (await _rates(conn, [row], with_region=True))[0]


async def update_rate(conn: AsyncConnection[Any], rate_id: str, data: UpdateTaxRate, updated_by: str | None) -> TaxRate:
    """Update the given fields; `rules`, when given, replace the rate's rules (as Medusa does)."""
    changes = given(data)
    if "rate" in changes:
        _check_rate(changes["rate"], "rate")
    rules = changes.pop("rules", None)
    try:
        async with conn.transaction():
            if await repo.get_rate(conn, rate_id, lock=True) is None:
                raise _rate_not_found(rate_id)
            await repo.update_rate(conn, rate_id, changes)
            if rules is not None:
                await repo.soft_delete_rules_of_rate(conn, rate_id)
                await _insert_rules(conn, rate_id, _unique_rules(data.rules or []), updated_by)
    except errors.UniqueViolation as exc:
        raise _duplicate(exc, "these values") from None
    return await retrieve_rate(conn, rate_id)


async def delete_rate(conn: AsyncConnection[Any], rate_id: str) -> None:
    if not await repo.soft_delete_rate(conn, rate_id):
        raise _rate_not_found(rate_id)


async def add_rule(conn: AsyncConnection[Any], rate_id: str, data: TaxRateRuleInput, created_by: str | None) -> TaxRate:
    try:
        async with conn.transaction():
            if await repo.get_rate(conn, rate_id, lock=True) is None:
                raise _rate_not_found(rate_id)
            await _insert_rules(conn, rate_id, [(data.reference, data.reference_id)], created_by)
    except errors.UniqueViolation as exc:
        raise _duplicate(exc, "these values") from None
    return await retrieve_rate(conn, rate_id)


async def delete_rule(conn: AsyncConnection[Any], rate_id: str, rule_id: str) -> TaxRate:
    async with conn.transaction():
        if await repo.get_rate(conn, rate_id, lock=True) is None:
            raise _rate_not_found(rate_id)
        if not await repo.soft_delete_rule(conn, rate_id, rule_id):
            raise NotFound(f"TaxRateRule with id: {rule_id} was not found")
    return await retrieve_rate(conn, rate_id)


async def list_rates(conn: AsyncConnection[Any], query: TaxRateListQuery) -> tuple[list[TaxRate], int]:
    filters = {"id": query.id, "tax_region_id": query.tax_region_id, "is_default": query.is_default, "q": query.q}
    rows, count = await repo.list_rates(conn, filters, query.order, query.limit, query.offset)
    return await _rates(conn, rows, with_region=True), count


async def _rates(conn: AsyncConnection[Any], rows: list[dict[str, Any]], *, with_region: bool = False) -> list[TaxRate]:
    if not rows:
        return []
    rules: dict[str, list[TaxRateRule]] = {}
    for rule in await repo.rules_of_rates(conn, [r["id"] for r in rows]):
        rules.setdefault(rule["tax_rate_id"], []).append(TaxRateRule(**rule))
    regions: dict[str, TaxRegionRow] = {}
    if with_region:
        region_ids = list({r["tax_region_id"] for r in rows})
        regions = {g["id"]: TaxRegionRow(**g) for g in await repo.regions_by_id(conn, region_ids)}
    return [
        TaxRate(**r, rules=rules.get(r["id"], []), tax_region=regions.get(r["tax_region_id"]) if with_region else None)
        for r in rows
    ]


# --- providers --------------------------------------------------------------------------------------------------


async def list_providers(conn: AsyncConnection[Any], query: TaxProviderListQuery) -> tuple[list[TaxProvider], int]:
    rows, count = await repo.list_providers(
        conn, {"id": query.id, "is_enabled": query.is_enabled}, query.order, query.limit, query.offset
    )
    return [TaxProvider(**r) for r in rows], count


# --- tax lines ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Candidate:
    """A live rate of the address's country or province region, with what selection needs to know of it."""

    id: str
    rate: Decimal | None
    code: str
    name: str
    is_default: bool
    is_combinable: bool
    region_id: str
    region_parent_id: str | None
    is_province: bool
    rules: frozenset[tuple[str, str]]


def _priority(c: Candidate, references: tuple[tuple[str, str | None], ...]) -> int | None:
    """Medusa's priority score (1 best): a rate matching the product or shipping option, then the product type,
    then the default; every province rate before every country rate. None: not a candidate for this line."""
    specific = any(ref_id is not None and (ref, ref_id) in c.rules for ref, ref_id in references[:1])
    by_type = any(ref_id is not None and (ref, ref_id) in c.rules for ref, ref_id in references[1:])
    if specific:
        return 1 if c.is_province else 4
    if by_type:
        return 2 if c.is_province else 5
    if c.is_default:
        return 3 if c.is_province else 6
    return None


def choose_rates(candidates: list[Candidate], references: tuple[tuple[str, str | None], ...]) -> list[Candidate]:
    """The rates that apply to one line, as Medusa's tax module picks them.

    `references` is `(("product", product_id), ("product_type", product_type_id))` for an item and
    `(("shipping_option", shipping_option_id),)` for a shipping method. The best-scored candidate applies; when it
    is combinable and belongs to a province region, the best-scored rate of the parent (country) region applies
    as well. Ties keep the candidates' order (oldest rate first)."""
    scored = [(p, n, c) for n, c in enumerate(candidates) if (p := _priority(c, references)) is not None]
    if not scored:
        return []
    scored.sort(key=lambda t: (t[0], t[1]))
    best = scored[0][2]
    chosen = [best]
    if best.is_combinable and best.region_parent_id is not None:
        parent = next((c for _, _, c in scored if c.region_id == best.region_parent_id), None)
        if parent is not None:
            chosen.append(parent)
    return chosen


async def tax_lines(
    conn: AsyncConnection[Any],
    address: TaxAddress,
    items: list[TaxableItem],
    shipping_methods: list[TaxableShipping],
    *,
    require_region: bool = False,
) -> TaxLines:
    """The tax lines of a cart's items and shipping methods for a shipping address: one database round trip.

    Returns `{"items": {item_id: [line, ...]}, "shipping_methods": {shipping_method_id: [line, ...]}}` with a
    (possibly empty) list for every id given; a line is `{rate, code, name, tax_rate_id, provider_id}` where `rate`
    is an exact Decimal percentage (20 = 20 %; a rate stored without a value counts as 0).

    Selection follows Medusa v2's tax module (`getTaxLines`):
    - Regions: the country's region (`province_code` NULL) and, when the address has a province, that province's
      region. Country and province codes are compared lower-case. With no country region there are no lines
      (or InvalidData "No parent region found for country" when `require_region`, as newer Medusa raises).
    - Candidates for a line: the regions' default rates and the rates with a rule matching the line — an item's
      `product_id` (reference "product") or `product_type_id` ("product_type"), a shipping method's
      `shipping_option_id` ("shipping_option").
    - Priority: province product/shipping-option rule (1), province product-type rule (2), province default (3),
      then the same three for the country (4, 5, 6). So a province region overrides its country, and a rule
      overrides the default of the same region.
    - The best candidate applies. If it is `is_combinable` and is a province rate, the best candidate of the parent
      country region is added too (e.g. a state rate stacked on the federal rate): two lines.
    - `provider_id` is the country region's provider (`tp_system` when unset); the built-in provider returns the
      chosen rates unchanged.

    Differences from Medusa, on purpose: Medusa's rule check compares shipping rules against reference
    "shipping" while its query and API use "shipping_option", so shipping-option rates never win there; here
    they do. Ties between equally scored rates are broken by age (oldest first) instead of database order.
    """
    country = address["country_code"].lower()
    province = (address.get("province_code") or "").lower() or None
    rows = await repo.candidates(conn, country, province)
    return _lines_from(rows, items, shipping_methods, require_region=require_region)


class TaxRates:
    """Every live tax region with its rates and rules, held per worker (reloaded when a tax table changes), so a
    cart change computes its tax lines without a database round trip: `lines` is `tax_lines` over this copy."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self._by_country: dict[str, list[dict[str, Any]]] = {}
        for r in rows:  # ordered as CANDIDATES orders (oldest rate first), which each country's list keeps
            self._by_country.setdefault(r["country_code"], []).append(r)

    def lines(
        self,
        address: TaxAddress,
        items: list[TaxableItem],
        shipping_methods: list[TaxableShipping],
        *,
        require_region: bool = False,
    ) -> TaxLines:
        country = address["country_code"].lower()
        province = (address.get("province_code") or "").lower() or None
        rows = [
            r for r in self._by_country.get(country, ()) if r["province_code"] is None or r["province_code"] == province
        ]
        return _lines_from(rows, items, shipping_methods, require_region=require_region)


async def load_rates(pool: AsyncConnectionPool[Any]) -> TaxRates:
    async with pool.connection() as conn:
        return TaxRates(await repo.all_candidates(conn))


def _lines_from(
    rows: list[dict[str, Any]],
    items: list[TaxableItem],
    shipping_methods: list[TaxableShipping],
    *,
    require_region: bool,
) -> TaxLines:
    country_region = next((r for r in rows if r["province_code"] is None), None)
    out: TaxLines = {
        "items": {i["id"]: [] for i in items},
        "shipping_methods": {s["id"]: [] for s in shipping_methods},
    }
    if country_region is None:
        if require_region:
            raise InvalidData("No parent region found for country")
        return out
    provider_id = country_region["provider_id"] or SYSTEM_PROVIDER
    candidates = [
        Candidate(
            id=r["rate_id"],
            rate=r["rate"],
            code=r["code"],
            name=r["name"],
            is_default=r["is_default"],
            is_combinable=r["is_combinable"],
            region_id=r["region_id"],
            region_parent_id=r["parent_id"],
            is_province=r["province_code"] is not None,
            rules=frozenset((ref, ref_id) for ref, ref_id in r["rules"]),
        )
        for r in rows
        if r["rate_id"] is not None
    ]

    def lines(chosen: list[Candidate]) -> list[TaxLine]:
        return [
            {
                "rate": c.rate if c.rate is not None else Decimal(0),
                "code": c.code,
                "name": c.name,
                "tax_rate_id": c.id,
                "provider_id": provider_id,
            }
            for c in chosen
        ]

    for item in items:
        refs = (("product", item.get("product_id")), ("product_type", item.get("product_type_id")))
        out["items"][item["id"]] = lines(choose_rates(candidates, refs))
    for method in shipping_methods:
        refs_shipping = (("shipping_option", method.get("shipping_option_id")),)
        out["shipping_methods"][method["id"]] = lines(choose_rates(candidates, refs_shipping))
    return out
