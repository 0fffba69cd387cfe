"""Fulfillment: providers, fulfillment sets → service zones → geo zones, shipping profiles, shipping options (flat
prices in the pricing module's price sets, or calculated by a provider), and which options serve a cart: a zone
whose geo zones cover the shipping address, a location serving the cart's sales channel, rules met by the cart."""

from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

import msgspec
from psycopg import AsyncConnection, errors

from commerce import pricing, stock_location
from commerce.errors import DuplicateError, InvalidData, NotFound
from commerce.fulfillment import providers
from commerce.fulfillment import repository as repo
from commerce.fulfillment.records import (  # re-exported: fulfillments are part of this service
    cancel_fulfillment as cancel_fulfillment,
)
from commerce.fulfillment.records import create_fulfillment as create_fulfillment
from commerce.fulfillment.records import create_shipment as create_shipment
from commerce.fulfillment.records import fulfillments as fulfillments
from commerce.fulfillment.records import mark_delivered as mark_delivered
from commerce.fulfillment.records import retrieve_fulfillment as retrieve_fulfillment
from commerce.fulfillment.schemas import (
    BatchRules,
    CreateServiceZone,
    CreateShippingOption,
    CreateShippingProfile,
    GeoZoneInput,
    OptionPriceInput,
    OptionQuery,
    ProfileQuery,
    ProviderQuery,
    RuleInput,
    ShippingProfile,
    UpdateServiceZone,
    UpdateShippingOption,
    UpdateShippingProfile,
)
from commerce.ids import new_id
from commerce.money import check_amount
from commerce.pricing.schemas import PriceInput
from commerce.region.service import RegionCatalog
from commerce.structs import given

OPTION_PUBLIC = (
    "id",
    "name",
    "price_type",
    "service_zone_id",
    "shipping_profile_id",
    "provider_id",
    "data",
    "metadata",
    "created_at",
    "updated_at",
    "deleted_at",
)


class Reads(Protocol):
    """What pricing a cart's shipping needs from the read models (commerce.flows.cart.Reads provides it)."""

    def weight(self, cart: dict[str, Any]) -> Decimal:
        """The total weight of the cart's items."""
        ...

    def flat_prices(self, price_set_ids: list[str], cart: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """Calculated prices of these price sets for the cart's context, by price set id."""
        ...


# --- providers --------------------------------------------------------------------------------------------------


async def list_providers(conn: AsyncConnection[Any], query: ProviderQuery) -> tuple[list[dict[str, Any]], int]:
    rows = await repo.providers(conn, None)
    allowed: set[str] | None = None
    for location_id in query.stock_location_id or ():
        linked = await stock_location.service.provider_ids(conn, location_id)
        allowed = linked if allowed is None else allowed | linked
    rows = [
        r
        for r in rows
        if (not query.id or r["id"] in query.id)
        and (allowed is None or r["id"] in allowed)
        and (query.is_enabled is None or r["is_enabled"] == query.is_enabled)
        and (not query.q or query.q.lower() in r["id"].lower())
    ]
    return rows[query.offset : query.offset + query.limit], len(rows)


async def missing_providers(conn: AsyncConnection[Any], ids: list[str]) -> list[str]:
    """The ids among `ids` that name no fulfillment provider."""
    found = {r["id"] for r in await repo.providers(conn, ids)} if ids else set()
    return [i for i in dict.fromkeys(ids) if i not in found]


# --- fulfillment sets, service zones, geo zones -----------------------------------------------------------------


def _set_not_found(set_id: str) -> NotFound:
    return NotFound(f"FulfillmentSet with id: {set_id} was not found")


async def create_set(conn: AsyncConnection[Any], name: str, type_: str) -> str:
    """A new fulfillment set; call inside the caller's transaction (which links it to its location)."""
    try:
        async with conn.transaction():
            row = await repo.insert_set(conn, {"id": new_id("fuset"), "name": name, "type": type_})
    except errors.UniqueViolation:
        raise DuplicateError(f"Fulfillment set with name: {name}, already exists.") from None
    return str(row["id"])


# More shipping options than one service zone carries in any real store: a zone's options are shown whole.
ZONE_OPTIONS_LIMIT = 1000


async def sets_view(conn: AsyncConnection[Any], ids: list[str], with_options: bool = False) -> list[dict[str, Any]]:
    """Live fulfillment sets with their service zones and geo zones (and, if asked, each zone's live
    `shipping_options`, as the admin's location page shows them)."""
    rows = await repo.sets(conn, ids) if ids else []
    zones = await _zones_view(conn, await repo.zones_of_sets(conn, [r["id"] for r in rows])) if rows else []
    if with_options and zones:
        filters = {"service_zone_id": [z["id"] for z in zones]}
        options, _ = await repo.list_options(conn, filters, "name", ZONE_OPTIONS_LIMIT * len(zones), 0)
        by_zone: dict[str, list[dict[str, Any]]] = {}
        for option in await _options_view(conn, options):
            by_zone.setdefault(option["service_zone_id"], []).append(option)
        zones = [{**z, "shipping_options": by_zone.get(z["id"], [])} for z in zones]
    by_set: dict[str, list[dict[str, Any]]] = {}
    for z in zones:
        by_set.setdefault(z["fulfillment_set_id"], []).append(z)
    return [{**r, "service_zones": by_set.get(r["id"], [])} for r in rows]


async def _zones_view(conn: AsyncConnection[Any], zones: list[dict[str, Any]]) -> list[dict[str, Any]]:
    geos: dict[str, list[dict[str, Any]]] = {}
    for g in await repo.geos_of_zones(conn, [z["id"] for z in zones]) if zones else []:
        geos.setdefault(g["service_zone_id"], []).append(g)
    return [{**z, "geo_zones": geos.get(z["id"], [])} for z in zones]


async def retrieve_set(conn: AsyncConnection[Any], set_id: str) -> dict[str, Any]:
    found = await sets_view(conn, [set_id])
    if not found:
        raise _set_not_found(set_id)
    return found[0]


async def delete_sets(conn: AsyncConnection[Any], ids: list[str]) -> list[str]:
    """Soft-delete sets, their zones, geo zones and shipping options (and the options' prices)."""
    deleted, option_ids = await repo.soft_delete_sets(conn, ids) if ids else ([], [])
    await pricing.service.remove_variants(conn, option_ids)
    return deleted


async def delete_set(conn: AsyncConnection[Any], set_id: str) -> None:
    async with conn.transaction():
        if not await delete_sets(conn, [set_id]):
            raise _set_not_found(set_id)


def _geo_row(n: int, g: GeoZoneInput) -> dict[str, Any]:
    where = f"geo_zones[{n}]"
    required = {
        "country": (),
        "province": ("province_code",),
        "city": ("province_code", "city"),
        "zip": ("province_code", "city", "postal_expression"),
    }[g.type]
    for field in required:
        if not getattr(g, field):
            raise InvalidData(f"Missing required property {field} for geo zone type {g.type} at '{where}'")
    if g.type == "zip":
        _postal_patterns(g.postal_expression, where)
    return {
        "type": g.type,
        "country_code": g.country_code.lower(),
        "province_code": _province(g.province_code, g.country_code) if "province_code" in required else None,
        "city": g.city.strip() if g.city and "city" in required else None,
        "postal_expression": g.postal_expression if g.type == "zip" else None,
        "metadata": g.metadata,
    }


def _postal_patterns(expression: dict[str, Any] | None, where: str) -> tuple[set[str], tuple[str, ...]]:
    """A zip zone's `{"codes": [...], "prefixes": [...]}`, normalised (upper case, no spaces)."""
    expression = expression or {}
    codes, prefixes = expression.get("codes", []), expression.get("prefixes", [])
    if (
        set(expression) - {"codes", "prefixes"}
        or not isinstance(codes, list)
        or not isinstance(prefixes, list)
        or not all(isinstance(c, str) and c.strip() for c in [*codes, *prefixes])
        or not (codes or prefixes)
    ):
        raise InvalidData(
            f"Invalid request: '{where}.postal_expression' must be {{codes: [...], prefixes: [...]}} of postal codes"
        )
    return {_postal(c) for c in codes}, tuple(_postal(p) for p in prefixes)


async def create_zone(conn: AsyncConnection[Any], set_id: str, data: CreateServiceZone) -> dict[str, Any]:
    geo_rows = [_geo_row(n, g) for n, g in enumerate(data.geo_zones)]
    try:
        async with conn.transaction():
            if not await repo.lock_set(conn, set_id):
                raise _set_not_found(set_id)
            zone = await repo.insert_zone(conn, {"id": new_id("serzo"), "name": data.name, "set_id": set_id})
            for row in geo_rows:
                await repo.insert_geo(conn, {**row, "id": new_id("fgz"), "service_zone_id": zone["id"]})
    except errors.UniqueViolation:
        raise DuplicateError(f"Service zone with name: {data.name}, already exists.") from None
    return await retrieve_set(conn, set_id)


async def _zone_of_set(conn: AsyncConnection[Any], set_id: str, zone_id: str) -> dict[str, Any]:
    zone = await repo.zone(conn, zone_id)
    if zone is None or zone["fulfillment_set_id"] != set_id:
        raise NotFound(f"Service zone with id: {zone_id} not found on fulfillment set")
    return zone


async def retrieve_zone(conn: AsyncConnection[Any], zone_id: str) -> dict[str, Any]:
    zone = await repo.zone(conn, zone_id)
    if zone is None:
        raise NotFound(f"Service zone with id: {zone_id} not found")
    return (await _zones_view(conn, [zone]))[0]


async def update_zone(conn: AsyncConnection[Any], set_id: str, zone_id: str, data: UpdateServiceZone) -> dict[str, Any]:
    """Rename a zone and/or replace its geo zones (those given with an id are updated, the others created, the
    zone's geo zones not listed are deleted), as Medusa's updateServiceZones does."""
    geo_rows = [] if data.geo_zones is msgspec.UNSET else [_geo_row(n, g) for n, g in enumerate(data.geo_zones)]
    try:
        async with conn.transaction():
            if not await repo.lock_set(conn, set_id):
                raise _set_not_found(set_id)
            await _zone_of_set(conn, set_id, zone_id)
            if isinstance(data.name, str):
                await repo.rename_zone(conn, zone_id, data.name)
            if not isinstance(data.geo_zones, msgspec.UnsetType):
                keep = [g.id for g in data.geo_zones if g.id]
                await repo.soft_delete_other_geos(conn, zone_id, keep)
                for g, row in zip(data.geo_zones, geo_rows, strict=True):
                    if g.id:
                        if not await repo.update_geo(conn, zone_id, g.id, row):
                            raise NotFound(f"Geo zone with id: {g.id} not found on service zone {zone_id}")
                    else:
                        await repo.insert_geo(conn, {**row, "id": new_id("fgz"), "service_zone_id": zone_id})
    except errors.UniqueViolation:
        raise DuplicateError(f"Service zone with name: {data.name}, already exists.") from None
    return await retrieve_set(conn, set_id)


async def delete_zone(conn: AsyncConnection[Any], set_id: str, zone_id: str) -> dict[str, Any]:
    async with conn.transaction():
        if not await repo.lock_set(conn, set_id):
            raise _set_not_found(set_id)
        await _zone_of_set(conn, set_id, zone_id)
        option_ids = await repo.soft_delete_zones(conn, [zone_id])
        await pricing.service.remove_variants(conn, option_ids)
    return await retrieve_set(conn, set_id)


# --- shipping profiles ------------------------------------------------------------------------------------------


def _profile_not_found(profile_id: str) -> NotFound:
    return NotFound(f"Shipping profile with id: {profile_id} was not found")


async def create_profile(conn: AsyncConnection[Any], data: CreateShippingProfile) -> ShippingProfile:
    try:
        async with conn.transaction():
            row = await repo.insert_profile(conn, {"id": new_id("sp"), **msgspec.structs.asdict(data)})
    except errors.UniqueViolation:
        raise DuplicateError(f"Shipping profile with name: {data.name}, already exists.") from None
    return ShippingProfile(**row)


async def profile_view(conn: AsyncConnection[Any], profile_id: str) -> dict[str, Any] | None:
    """A live profile as a dict (None when there is none by this id)."""
    return await repo.profile(conn, profile_id)


async def retrieve_profile(conn: AsyncConnection[Any], profile_id: str) -> ShippingProfile:
    row = await repo.profile(conn, profile_id)
    if row is None:
        raise _profile_not_found(profile_id)
    return ShippingProfile(**row)


async def update_profile(conn: AsyncConnection[Any], profile_id: str, data: UpdateShippingProfile) -> ShippingProfile:
    try:
        async with conn.transaction():
            row = await repo.update_profile(conn, profile_id, given(data))
    except errors.UniqueViolation:
        raise DuplicateError(f"Shipping profile with name: {data.name}, already exists.") from None
    if row is None:
        raise _profile_not_found(profile_id)
    return ShippingProfile(**row)


async def delete_profile(conn: AsyncConnection[Any], profile_id: str) -> None:
    async with conn.transaction():
        if await repo.profile(conn, profile_id) is None:
            raise _profile_not_found(profile_id)
        if await repo.profile_in_use(conn, profile_id):
            raise InvalidData(
                f"Cannot delete Shipping Profiles {profile_id} with associated Shipping Options. "
                "Delete Shipping Options first and try again."
            )
        await repo.soft_delete_profile(conn, profile_id)


async def list_profiles(conn: AsyncConnection[Any], query: ProfileQuery) -> tuple[list[ShippingProfile], int]:
    filters = {"id": query.id, "name": query.name, "type": query.type, "q": query.q}
    rows, count = await repo.list_profiles(conn, filters, query.order, query.limit, query.offset)
    return [ShippingProfile(**r) for r in rows], count


# --- shipping options -------------------------------------------------------------------------------------------


def _option_not_found(option_id: str) -> NotFound:
    return NotFound(f"Shipping option with id: {option_id} was not found")


def _rule_row(n: int, rule: RuleInput, where: str = "rules") -> dict[str, Any]:
    listed = isinstance(rule.value, list)
    if rule.operator in ("in", "nin") and not listed:
        raise InvalidData(f"Invalid request: '{where}[{n}].value' must be an array for in/nin operators")
    if rule.operator not in ("in", "nin") and listed:
        raise InvalidData(f"Invalid request: '{where}[{n}].value' must be a string for operator {rule.operator}")
    return {"attribute": rule.attribute, "operator": rule.operator, "value": rule.value}


def _price_inputs(prices: list[OptionPriceInput], regions: RegionCatalog) -> list[PriceInput]:
    """Medusa's `{currency_code, amount}` / `{region_id, amount}` as the pricing module's prices."""
    out = []
    for n, p in enumerate(prices):
        check_amount(p.amount, f"prices[{n}].amount")
        if (p.currency_code is None) == (p.region_id is None):
            raise InvalidData(f"Invalid request: 'prices[{n}]' needs either currency_code or region_id")
        if p.region_id is not None:
            region = regions.by_id.get(p.region_id)
            if region is None:
                raise InvalidData(f"Region with id: {p.region_id} was not found")
            out.append(PriceInput(currency_code=region.currency_code, amount=p.amount, rules={"region_id": region.id}))
        else:
            assert p.currency_code is not None
            out.append(PriceInput(currency_code=p.currency_code.lower(), amount=p.amount))
    return out


async def _check_provider_at_zone(conn: AsyncConnection[Any], provider_id: str, zone: dict[str, Any]) -> None:
    """Medusa allows only providers linked to the location whose fulfillment set holds the zone."""
    if await missing_providers(conn, [provider_id]):
        raise InvalidData(f"Fulfillment provider with id: {provider_id} was not found")
    location_id = await stock_location.service.location_of_fulfillment_set(conn, zone["fulfillment_set_id"])
    if location_id is None or provider_id not in await stock_location.service.provider_ids(conn, location_id):
        raise InvalidData(f"Providers ({provider_id}) are not enabled for the service location")


async def create_option(conn: AsyncConnection[Any], data: CreateShippingOption, regions: RegionCatalog) -> str:
    providers.validate_option(data.provider_id, data.price_type, data.data)
    rules = [_rule_row(n, r) for n, r in enumerate(data.rules)]
    prices = _price_inputs(data.prices, regions)
    async with conn.transaction():
        zone = await repo.zone(conn, data.service_zone_id)
        if zone is None:
            raise InvalidData(f"Service zone with id: {data.service_zone_id} was not found")
        if await repo.profile(conn, data.shipping_profile_id) is None:
            raise InvalidData(f"Shipping profile with id: {data.shipping_profile_id} was not found")
        await _check_provider_at_zone(conn, data.provider_id, zone)
        option_id = new_id("so")
        # The option's prices are a price set of the pricing module, keyed by the option id.
        price_set_id = (await pricing.service.ensure_price_sets(conn, [option_id]))[option_id]
        await repo.insert_option(
            conn,
            {
                "id": option_id,
                "name": data.name,
                "price_type": data.price_type,
                "service_zone_id": zone["id"],
                "shipping_profile_id": data.shipping_profile_id,
                "provider_id": data.provider_id,
                "price_set_id": price_set_id,
                "data": data.data,
                "metadata": data.metadata,
                "type_id": new_id("sotype"),
                "type_label": data.type.label,
                "type_description": data.type.description,
                "type_code": data.type.code,
            },
        )
        await pricing.service.set_variant_prices(conn, option_id, prices)
        for row in rules:
            await repo.insert_rule(conn, {**row, "id": new_id("sorul"), "shipping_option_id": option_id})
    return option_id


async def update_option(
    conn: AsyncConnection[Any], option_id: str, data: UpdateShippingOption, regions: RegionCatalog
) -> None:
    changes = given(data)
    async with conn.transaction():
        current = await repo.option(conn, option_id, for_update=True)
        if current is None:
            raise _option_not_found(option_id)
        provider_id = changes.get("provider_id", current["provider_id"])
        price_type = changes.get("price_type", current["price_type"])
        providers.validate_option(provider_id, price_type, changes.get("data", current["data"]))
        if "provider_id" in changes:
            zone = await repo.zone(conn, current["service_zone_id"])
            assert zone is not None
            await _check_provider_at_zone(conn, provider_id, zone)
        if "shipping_profile_id" in changes and await repo.profile(conn, changes["shipping_profile_id"]) is None:
            raise InvalidData(f"Shipping profile with id: {changes['shipping_profile_id']} was not found")
        if not isinstance(data.type, msgspec.UnsetType):
            changes |= {
                "type_label": data.type.label,
                "type_description": data.type.description,
                "type_code": data.type.code,
            }
        if not isinstance(data.prices, msgspec.UnsetType):
            await pricing.service.set_variant_prices(conn, option_id, _price_inputs(data.prices, regions))
        if not isinstance(data.rules, msgspec.UnsetType):
            rows = [_rule_row(n, r) for n, r in enumerate(data.rules)]
            await repo.delete_other_rules(conn, option_id, [r.id for r in data.rules if r.id])
            for rule, row in zip(data.rules, rows, strict=True):
                if rule.id:
                    if not await repo.update_rule(conn, option_id, rule.id, row):
                        raise NotFound(f"The following rules does not exists: {rule.id} on shipping option {option_id}")
                else:
                    await repo.insert_rule(conn, {**row, "id": new_id("sorul"), "shipping_option_id": option_id})
        changes.pop("prices", None)
        changes.pop("rules", None)
        await repo.update_option(conn, option_id, changes)


async def delete_option(conn: AsyncConnection[Any], option_id: str) -> None:
    async with conn.transaction():
        if not await repo.soft_delete_option(conn, option_id):
            raise _option_not_found(option_id)
        await pricing.service.remove_variants(conn, [option_id])


async def batch_rules(conn: AsyncConnection[Any], option_id: str, batch: BatchRules) -> dict[str, Any]:
    """Create, update and delete an option's rules in one transaction."""
    created_rows = [_rule_row(n, r, "create") for n, r in enumerate(batch.create)]
    updated_rows = [_rule_row(n, r, "update") for n, r in enumerate(batch.update)]
    async with conn.transaction():
        if await repo.option(conn, option_id, for_update=True) is None:
            raise _option_not_found(option_id)
        created = [
            await repo.insert_rule(conn, {**row, "id": new_id("sorul"), "shipping_option_id": option_id})
            for row in created_rows
        ]
        for rule, row in zip(batch.update, updated_rows, strict=True):
            if not await repo.update_rule(conn, option_id, rule.id, row):
                raise NotFound(f"The following rules does not exists: {rule.id} on shipping option {option_id}")
        deleted = await repo.delete_rules(conn, option_id, batch.delete) if batch.delete else []
        missing = sorted(set(batch.delete) - set(deleted))
        if missing:
            raise NotFound(f"The following rules does not exists: {', '.join(missing)} on shipping option {option_id}")
        updated = await repo.rules_by_id(conn, [r.id for r in batch.update]) if batch.update else []
    return {
        "created": created,
        "updated": updated,
        "deleted": {"ids": deleted, "object": "shipping_option_rule", "deleted": True},
    }


async def retrieve_option(conn: AsyncConnection[Any], option_id: str) -> dict[str, Any]:
    row = await repo.option(conn, option_id)
    if row is None:
        raise _option_not_found(option_id)
    return (await _options_view(conn, [row]))[0]


async def list_options(conn: AsyncConnection[Any], query: OptionQuery) -> tuple[list[dict[str, Any]], int]:
    filters: dict[str, Any] = {
        "id": query.id,
        "service_zone_id": query.service_zone_id,
        "shipping_profile_id": query.shipping_profile_id,
        "provider_id": query.provider_id,
        "q": query.q,
    }
    if query.stock_location_id:
        set_ids = await stock_location.service.fulfillment_set_ids(conn, query.stock_location_id)
        zone_ids = [z["id"] for z in await repo.zones_of_sets(conn, set_ids)] if set_ids else []
        asked = set(query.service_zone_id or zone_ids)
        filters["service_zone_id"] = [z for z in zone_ids if z in asked]
    rows, count = await repo.list_options(conn, filters, query.order, query.limit, query.offset)
    return await _options_view(conn, rows), count


def _price_view(price: dict[str, Any]) -> dict[str, Any]:
    rules = price.pop("rules") or {}
    price.pop("variant_id", None)
    return {
        **price,
        "rules_count": len(rules),
        "price_rules": [
            {"attribute": k, "operator": "eq", "value": v, "price_id": price["id"]} for k, v in rules.items()
        ],
    }


def _type_view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["type_id"],
        "label": row["type_label"],
        "description": row["type_description"],
        "code": row["type_code"],
        "shipping_option_id": row["id"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "deleted_at": None,
    }


async def _attach_sets(conn: AsyncConnection[Any], zones: list[dict[str, Any]]) -> None:
    """Each zone's `fulfillment_set`, with the stock `location` it belongs to (the admin's fulfilment form checks
    the option ships from the location it fulfils at)."""
    sets = {s["id"]: s for s in await repo.sets(conn, list({z["fulfillment_set_id"] for z in zones}))} if zones else {}
    for set_id, row in sets.items():
        location_id = await stock_location.service.location_of_fulfillment_set(conn, set_id)
        row["location"] = {"id": location_id} if location_id else None
    for z in zones:
        z["fulfillment_set"] = sets.get(z["fulfillment_set_id"])


async def _options_view(conn: AsyncConnection[Any], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not rows:
        return []
    ids = [r["id"] for r in rows]
    rules: dict[str, list[dict[str, Any]]] = {}
    for rule in await repo.rules_of(conn, ids):
        rules.setdefault(rule["shipping_option_id"], []).append(rule)
    prices = await pricing.service.variant_prices(conn, ids)
    zones = {z["id"]: z for z in await _zones_view(conn, await repo.zones(conn, [r["service_zone_id"] for r in rows]))}
    await _attach_sets(conn, list(zones.values()))
    profiles = {p: await repo.profile(conn, p) for p in {r["shipping_profile_id"] for r in rows}}
    provider_rows = {p["id"]: p for p in await repo.providers(conn, list({r["provider_id"] for r in rows}))}
    return [
        {
            **{k: r[k] for k in OPTION_PUBLIC},
            "shipping_option_type_id": r["type_id"],
            "type": _type_view(r),
            "rules": rules.get(r["id"], []),
            "prices": [_price_view(msgspec.structs.asdict(p)) for p in prices.get(r["id"], [])],
            "service_zone": zones.get(r["service_zone_id"]),
            "shipping_profile": profiles.get(r["shipping_profile_id"]),
            "provider": provider_rows.get(r["provider_id"]),
        }
        for r in rows
    ]


# --- which options serve a cart ---------------------------------------------------------------------------------


def _province(value: str | None, country: str) -> str:
    """`QC`, `qc` and `ca-qc` (ISO 3166-2) all name the same province."""
    text = (value or "").strip().lower()
    prefix = country.lower() + "-"
    return text[len(prefix) :] if text.startswith(prefix) else text


def _postal(value: str) -> str:
    return value.replace(" ", "").replace("-", "").upper()


def serves_address(geo: dict[str, Any], address: dict[str, Any] | None) -> bool:
    """Does one geo zone cover the address? Country, then province, city and postal code, as deep as its type."""
    country = ((address or {}).get("country_code") or "").lower()
    if not address or not country or geo["country_code"] != country:
        return False
    if geo["type"] == "country":
        return True
    if not address.get("province") or _province(address["province"], country) != geo["province_code"]:
        return False
    if geo["type"] == "province":
        return True
    if (address.get("city") or "").strip().lower() != (geo["city"] or "").lower():
        return False
    if geo["type"] == "city":
        return True
    codes, prefixes = _postal_patterns(geo["postal_expression"], "geo_zone")
    code = _postal(address.get("postal_code") or "")
    return bool(code) and (code in codes or code.startswith(prefixes))


def _pick(context: dict[str, Any], path: str) -> Any:
    value: Any = context
    for key in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _number(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _equal(actual: Any, expected: str) -> bool:
    a, e = _number(actual), _number(expected)
    if a is not None and e is not None:
        return a == e
    return _text(actual) == expected


def rule_met(rule: dict[str, Any], context: dict[str, Any]) -> bool:
    """Medusa's rule operators on the cart's context (`attribute` may be a dotted path)."""
    actual = _pick(context, rule["attribute"])
    operator, expected = rule["operator"], rule["value"]
    if operator in ("in", "nin"):
        values = expected if isinstance(expected, list) else [expected]
        found = any(_equal(actual, v) for v in values)
        return found if operator == "in" else not found
    if operator == "eq":
        return _equal(actual, expected)
    if operator == "ne":
        return not _equal(actual, expected)
    a, e = _number(actual), _number(expected)
    if a is None or e is None:
        return False
    return {"gt": a > e, "gte": a >= e, "lt": a < e, "lte": a <= e}[operator]


def _rule_context(cart: dict[str, Any], is_return: bool) -> dict[str, Any]:
    return {**cart, "is_return": "true" if is_return else "false", "enabled_in_store": "true"}


def _flat_prices(reads: Reads, rows: list[dict[str, Any]], cart: dict[str, Any]) -> dict[str, dict[str, Any]]:
    set_ids = [r["price_set_id"] for r in rows if r["price_type"] == "flat" and r["price_set_id"]]
    return reads.flat_prices(set_ids, cart) if set_ids else {}


def _priced(
    reads: Reads, row: dict[str, Any], cart: dict[str, Any], flat: dict[str, dict[str, Any]], weight: Decimal | None
) -> dict[str, Any] | None:
    """The option's calculated price for the cart, or None when it has none (no price in the cart's currency, no
    rate for the cart's weight)."""
    if row["price_type"] == "flat":
        return flat.get(row["price_set_id"] or "")
    try:
        amount = providers.calculate(
            row["provider_id"], row["data"], cart["currency_code"], weight if weight is not None else Decimal(0)
        )
    except InvalidData:
        return None
    return {"calculated_amount": amount, "is_calculated_price_tax_inclusive": False}


async def _candidates(conn: AsyncConnection[Any], cart: dict[str, Any], is_return: bool) -> list[dict[str, Any]]:
    """Live options of the zones that cover the cart's shipping address, at locations serving its sales channel,
    with enabled providers and every rule met."""
    channel = cart.get("sales_channel_id")
    set_ids = await stock_location.service.fulfillment_sets_for_channel(conn, channel) if channel else []
    zones = await repo.zones_of_sets(conn, set_ids) if set_ids else []
    address = cart.get("shipping_address")
    covering: set[str] = set()
    for geo in await repo.geos_of_zones(conn, [z["id"] for z in zones]) if zones else []:
        if geo["service_zone_id"] not in covering and serves_address(geo, address):
            covering.add(geo["service_zone_id"])
    rows = await repo.options_of_zones(conn, sorted(covering)) if covering else []
    if not rows:
        return []
    enabled = {p["id"] for p in await repo.providers(conn, list({r["provider_id"] for r in rows})) if p["is_enabled"]}
    rules: dict[str, list[dict[str, Any]]] = {}
    for rule in await repo.rules_of(conn, [r["id"] for r in rows]):
        rules.setdefault(rule["shipping_option_id"], []).append(rule)
    context = _rule_context(cart, is_return)
    out = []
    for r in rows:
        mine = rules.get(r["id"], [])
        if r["provider_id"] in enabled and all(rule_met(rule, context) for rule in mine):
            out.append({**r, "rules": mine})
    return out


def _store_view(row: dict[str, Any], price: dict[str, Any], prices: list[Any]) -> dict[str, Any]:
    return {
        **{k: row[k] for k in OPTION_PUBLIC if k != "deleted_at"},
        "shipping_option_type_id": row["type_id"],
        "type": {k: v for k, v in _type_view(row).items() if k in ("id", "label", "description", "code")},
        "provider": {"id": row["provider_id"], "is_enabled": True},
        "rules": [{"attribute": r["attribute"], "operator": r["operator"], "value": r["value"]} for r in row["rules"]],
        "amount": price["calculated_amount"],
        "is_tax_inclusive": bool(price["is_calculated_price_tax_inclusive"]),
        "calculated_price": price,
        "prices": [_price_view(msgspec.structs.asdict(p)) for p in prices],
        "insufficient_inventory": False,
    }


async def list_for_cart(
    conn: AsyncConnection[Any], reads: Reads, cart: dict[str, Any], *, is_return: bool = False
) -> list[dict[str, Any]]:
    """The store's shipping options for a cart, each with its price for the cart (`amount`)."""
    rows = await _candidates(conn, cart, is_return)
    if not rows:
        return []
    flat = _flat_prices(reads, rows, cart)
    weight = reads.weight(cart) if any(r["price_type"] == "calculated" for r in rows) else None
    prices = await pricing.service.variant_prices(conn, [r["id"] for r in rows])
    out = []
    for r in rows:
        price = _priced(reads, r, cart, flat, weight)
        if price is not None:
            out.append(_store_view(r, price, prices.get(r["id"], [])))
    return out


async def _serving(conn: AsyncConnection[Any], option_id: str, cart: dict[str, Any]) -> dict[str, Any]:
    row = next((r for r in await _candidates(conn, cart, False) if r["id"] == option_id), None)
    if row is None:
        raise InvalidData(f"Shipping option with id: {option_id} is not valid for cart {cart['id']}")
    return row


async def calculate(
    conn: AsyncConnection[Any], reads: Reads, option_id: str, cart: dict[str, Any], data: dict[str, Any]
) -> dict[str, Any]:
    """POST /store/shipping-options/:id/calculate: the option, priced by its provider for this cart."""
    if await repo.option(conn, option_id) is None:
        raise _option_not_found(option_id)
    row = await _serving(conn, option_id, cart)
    if row["price_type"] != "calculated":
        raise InvalidData(f"Shipping option with id: {option_id} is not a calculated shipping option")
    amount = providers.calculate(row["provider_id"], row["data"], cart["currency_code"], reads.weight(cart))
    price = {"calculated_amount": amount, "is_calculated_price_tax_inclusive": False}
    return _store_view(row, price, [])


async def option_origin(conn: AsyncConnection[Any], option_id: str) -> dict[str, Any] | None:
    """Where an order shipped with this option is fulfilled from: `{provider_id, location_id}` (the location of the
    option's fulfillment set; None when the option is gone)."""
    row = await repo.option(conn, option_id)
    if row is None:
        row = await repo.option_any(conn, option_id)  # an order outlives the option it was shipped with
    if row is None:
        return None
    zone = await repo.zone(conn, row["service_zone_id"])
    location = (
        await stock_location.service.location_of_fulfillment_set(conn, zone["fulfillment_set_id"]) if zone else None
    )
    return {"provider_id": row["provider_id"], "location_id": location}


async def option_profiles(conn: AsyncConnection[Any], option_ids: list[str]) -> dict[str, str | None]:
    """The shipping profile each option ships (checkout: every profile in the cart needs a method)."""
    return await repo.option_profiles(conn, option_ids) if option_ids else {}


async def option_for_cart(
    conn: AsyncConnection[Any], reads: Reads, option_id: str, cart: dict[str, Any]
) -> dict[str, Any]:
    """What a shipping method copies from the option the shopper picked: `{id, name, amount, data,
    is_tax_inclusive}`. InvalidData when the option does not exist, does not serve the cart's address, sales channel
    or rules, or has no price for it. `cart` is commerce.flows.cart.retrieve's dict."""
    row = await _serving(conn, option_id, cart)
    weight = reads.weight(cart) if row["price_type"] == "calculated" else None
    price = _priced(reads, row, cart, _flat_prices(reads, [row], cart), weight)
    if price is None:
        raise InvalidData(f"Shipping option with id: {option_id} has no price for cart {cart['id']}")
    return {
        "id": row["id"],
        "name": row["name"],
        "amount": price["calculated_amount"],
        "data": row["data"] or {},
        "is_tax_inclusive": bool(price["is_calculated_price_tax_inclusive"]),
    }
