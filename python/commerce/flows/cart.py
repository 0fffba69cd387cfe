"""Cart flows (Medusa's cart workflows): add, update and remove items, promotions, taxes, the shipping method, and
the cart view with totals, calling the cart, customer, promotion, tax and fulfillment services. Every change is one
transaction holding the cart's row lock; line items are priced by the engine's
PriceIndex for the cart's context (currency, region, customer groups, quantity tier); totals come from the engine's
cart_totals, computed from the lines read in the same snapshot."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, NamedTuple

import msgspec
from psycopg import AsyncConnection

from commerce import customer, fulfillment, inventory, payment, product, stock_location, tax
from commerce import totals as cart_totals
from commerce.cart import service as carts
from commerce.cart.schemas import AddressInput, CreateCart, ItemInput, UpdateCart, UpdateItem
from commerce.catalog.documents import CatalogReads
from commerce.catalog.prices import Prices
from commerce.errors import InvalidData, NotAllowed, NotFound
from commerce.http import Request
from commerce.ids import new_id
from commerce.promotion.service import Promotions
from commerce.region.service import RegionCatalog


class Reads(NamedTuple):
    """The read models a cart change needs: products and variants (loaded by variant id as the flow meets them),
    prices, regions, promotions."""

    catalog: CatalogReads
    prices: Prices
    regions: RegionCatalog
    promotions: Promotions

    def weight(self, cart: dict[str, Any]) -> Decimal:
        """The total weight of the cart's items: each variant's weight, else its product's (0 when neither is set)."""
        total = Decimal(0)
        products: dict[str, dict[str, Any]] = {}
        for item in cart.get("items") or []:
            found = self.catalog.variants.get(item.get("variant_id") or "")
            if found is None:
                continue
            entry = found[0]
            product = products.get(entry.id)
            if product is None:
                product = products[entry.id] = entry.full
            variant: dict[str, Any] = next((v for v in product["variants"] if v["id"] == item["variant_id"]), {})
            weight = variant.get("weight") if variant.get("weight") is not None else product.get("weight")
            total += Decimal(str(weight or 0)) * int(item["quantity"])
        return total

    def flat_prices(self, price_set_ids: list[str], cart: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """Shipping option prices (price sets) for the cart's currency and region, at quantity 1."""
        context = {
            "currency_code": cart["currency_code"],
            "region_id": cart.get("region_id"),
            "customer_group_ids": [],
            "quantity": 1,
            "now": datetime.now(UTC),
        }
        return self.prices.calculate(price_set_ids, context)


async def reads_for(req: Request) -> Reads:
    """The read models as this worker holds them now (each reloads after a NOTIFY of its tables)."""
    pool = req.state.pool
    return Reads(
        CatalogReads(req.state.documents),
        await req.state.prices.get(pool),
        await req.state.regions.get(pool),
        await req.state.promotions.get(pool),
    )


def _not_found(cart_id: str) -> NotFound:
    return NotFound(f"Cart id not found: {cart_id}")


async def create(
    conn: AsyncConnection[Any],
    reads: Reads,
    data: CreateCart,
    key_channels: tuple[str, ...],
    customer_id: str | None,
    default_region_id: str | None,
) -> dict[str, Any]:
    region_id = data.region_id or default_region_id
    region = reads.regions.by_id.get(region_id or "")
    if region is None:
        raise (
            NotFound(f"Region with id: {region_id} was not found")
            if region_id
            else InvalidData("No region_id given and the store has no default region")
        )
    currency = region.currency_code
    if data.currency_code and data.currency_code.lower() != currency:
        raise InvalidData(f"Currency {data.currency_code} is not the currency of region {region.id}")
    channel = _channel(data.sales_channel_id, key_channels)
    email = data.email
    async with conn.transaction():
        if customer_id is None and email:
            customer_id = await customer.service.guest_for_email(conn, email)
        elif customer_id is not None and not email:
            email = (await customer.service.retrieve(conn, customer_id)).email  # as Medusa: the customer's email
        row = await carts.insert(
            conn,
            {
                "id": new_id("cart"),
                "region_id": region.id,
                "customer_id": customer_id,
                "sales_channel_id": channel,
                "email": email,
                "currency_code": currency,
                "metadata": data.metadata,
            },
        )
        changes = {}
        if data.shipping_address is not None:
            _check_country(region, data.shipping_address.country_code)
            changes["shipping_address_id"] = await _address(conn, data.shipping_address, customer_id)
        if data.billing_address is not None:
            changes["billing_address_id"] = await _address(conn, data.billing_address, customer_id)
        if changes:
            await carts.update(conn, row["id"], changes)
        for item in data.items:
            await _add(conn, reads, {**row, **changes}, item)
        if data.promo_codes:
            await carts.add_codes(conn, row["id"], data.promo_codes)
        await _promote(conn, reads, {**row, **changes}, strict=data.promo_codes or None)
    return await retrieve(conn, reads, row["id"])


async def retrieve(conn: AsyncConnection[Any], reads: Reads, cart_id: str) -> dict[str, Any]:
    """The cart with its lines, adjustments, tax lines, shipping methods and addresses, read in one statement (one
    snapshot: the totals come from exactly the lines shown)."""
    found = await carts.whole(conn, cart_id)
    if found is None:
        raise _not_found(cart_id)
    row = found["cart"]
    addresses = {a["id"]: a for a in found["addresses"]}
    await reads.catalog.load(conn, [str(i["variant_id"]) for i in found["items"] if i["variant_id"]])
    view = _view(reads, row, found["items"], found["adjustments"], found["tax_lines"], found["methods"], addresses)
    view["payment_collection"] = await payment.service.collection_of_cart(conn, cart_id)
    who = await customer.service.summary(conn, row["customer_id"]) if row["customer_id"] else None
    view["customer"] = (
        None
        if who is None
        else {"id": who["id"], "email": who["email"], "groups": [{"id": g} for g in who["group_ids"]]}
    )
    return view


async def add_shipping_method(
    conn: AsyncConnection[Any], reads: Reads, cart_id: str, option_id: str, data: dict[str, Any] | None
) -> dict[str, Any]:
    """The cart ships with this option (it replaces the one chosen before); 400 when it does not serve the cart."""
    async with conn.transaction():
        row = await _locked(conn, cart_id)
        option = await fulfillment.service.option_for_cart(conn, reads, option_id, await retrieve(conn, reads, cart_id))
        await carts.replace_methods(
            conn,
            cart_id,
            [
                (
                    new_id("casm"),
                    option["id"],
                    option["name"],
                    option["amount"],
                    option["is_tax_inclusive"],
                    {**(option.get("data") or {}), **(data or {})},
                ),
            ],
        )
        await _promote(conn, reads, row)
        await carts.touch(conn, cart_id)
    return await retrieve(conn, reads, cart_id)


async def update(
    conn: AsyncConnection[Any], reads: Reads, cart_id: str, data: UpdateCart, key_channels: tuple[str, ...]
) -> dict[str, Any]:
    async with conn.transaction():
        row = await _locked(conn, cart_id)
        changes: dict[str, Any] = {}
        if data.email is not msgspec.UNSET:
            changes["email"] = data.email
            if data.email and row["customer_id"] is None:
                # As Medusa: an email on a guest cart finds or makes the guest customer behind it.
                changes["customer_id"] = await customer.service.guest_for_email(conn, data.email)
        if data.metadata is not msgspec.UNSET:
            changes["metadata"] = data.metadata
        if data.sales_channel_id is not msgspec.UNSET:
            changes["sales_channel_id"] = _channel(data.sales_channel_id, key_channels)
        region = reads.regions.by_id.get(row["region_id"] or "")
        if data.region_id is not msgspec.UNSET and data.region_id != row["region_id"]:
            region = reads.regions.by_id.get(data.region_id)
            if region is None:
                raise NotFound(f"Region with id: {data.region_id} was not found")
            changes |= {"region_id": region.id, "currency_code": region.currency_code}
            # The address of another region does not ship from this one (Medusa clears it).
            current = (
                (await carts.addresses(conn, [row["shipping_address_id"]])).get(row["shipping_address_id"])
                if row["shipping_address_id"]
                else None
            )
            if current and not _in_region(region, current["country_code"]):
                changes["shipping_address_id"] = None
        for kind in ("shipping_address", "billing_address"):
            value = getattr(data, kind)
            if value is not msgspec.UNSET:
                if kind == "shipping_address" and value is not None:
                    _check_country(region, value.country_code)
                changes[f"{kind}_id"] = None if value is None else await _address(conn, value, row["customer_id"])
        if changes:
            await carts.update(conn, cart_id, changes)
        row |= changes
        if "region_id" in changes or "sales_channel_id" in changes:
            await _reprice(conn, reads, row)
        if {"region_id", "shipping_address_id", "sales_channel_id"} & changes.keys():
            # The chosen shipping option may not serve the new address: the shopper picks again.
            await carts.replace_methods(conn, cart_id, [])
        codes = [] if data.promo_codes is msgspec.UNSET else data.promo_codes
        if codes:
            await carts.add_codes(conn, cart_id, codes)
        await _promote(conn, reads, row, strict=codes or None)
    return await retrieve(conn, reads, cart_id)


async def add_item(conn: AsyncConnection[Any], reads: Reads, cart_id: str, item: ItemInput) -> dict[str, Any]:
    async with conn.transaction():
        row = await _locked(conn, cart_id)
        await _add(conn, reads, row, item)
        await _promote(conn, reads, row)
        await carts.touch(conn, cart_id)
    return await retrieve(conn, reads, cart_id)


async def update_item(
    conn: AsyncConnection[Any], reads: Reads, cart_id: str, item_id: str, data: UpdateItem
) -> dict[str, Any]:
    async with conn.transaction():
        row = await _locked(conn, cart_id)
        current = next((i for i in await carts.items(conn, cart_id) if i["id"] == item_id), None)
        if current is None:
            raise NotFound(f"Line item with id: {item_id} was not found")
        if data.quantity == 0:
            await carts.delete_item(conn, cart_id, item_id)
        else:
            price = await _price(conn, reads, row, str(current["variant_id"]), data.quantity)
            if data.quantity > current["quantity"]:
                lines = await carts.items(conn, cart_id)
                others = sum(
                    i["quantity"] for i in lines if i["variant_id"] == current["variant_id"] and i["id"] != item_id
                )
                await _check_stock(conn, row, str(current["variant_id"]), others + data.quantity)
            await carts.set_quantity(conn, cart_id, item_id, data.quantity, price)
            if data.metadata is not msgspec.UNSET:
                await carts.set_item_metadata(conn, cart_id, item_id, data.metadata)
        await _promote(conn, reads, row)
        await carts.touch(conn, cart_id)
    return await retrieve(conn, reads, cart_id)


async def delete_item(conn: AsyncConnection[Any], reads: Reads, cart_id: str, item_id: str) -> dict[str, Any]:
    async with conn.transaction():
        row = await _locked(conn, cart_id)
        if not await carts.delete_item(conn, cart_id, item_id):
            raise NotFound(f"Line item with id: {item_id} was not found")
        await _promote(conn, reads, row)
        await carts.touch(conn, cart_id)
    return await retrieve(conn, reads, cart_id)


async def set_customer(
    conn: AsyncConnection[Any], reads: Reads, cart_id: str, customer_id: str, email: str
) -> dict[str, Any]:
    """A logged-in customer takes over a guest cart (and its prices become theirs)."""
    async with conn.transaction():
        row = await _locked(conn, cart_id)
        if row["customer_id"] and row["customer_id"] != customer_id:
            # A guest's cart (an email only) can be taken over; a registered customer's cannot.
            try:
                owner = await customer.service.retrieve(conn, row["customer_id"])
            except NotFound:
                owner = None
            if owner is not None and owner.has_account:
                raise NotAllowed("Cannot transfer cart to another customer")
        await carts.update(conn, cart_id, {"customer_id": customer_id, "email": email})
        row |= {"customer_id": customer_id, "email": email}
        await _reprice(conn, reads, row)
        await _promote(conn, reads, row)
    return await retrieve(conn, reads, cart_id)


async def add_promotions(conn: AsyncConnection[Any], reads: Reads, cart_id: str, codes: list[str]) -> dict[str, Any]:
    """Apply codes: each must give the cart something now, else 400 naming the code and why (cart unchanged)."""
    async with conn.transaction():
        row = await _locked(conn, cart_id)
        await carts.add_codes(conn, cart_id, codes)
        await _promote(conn, reads, row, strict=codes)
        await carts.touch(conn, cart_id)
    return await retrieve(conn, reads, cart_id)


async def remove_promotions(conn: AsyncConnection[Any], reads: Reads, cart_id: str, codes: list[str]) -> dict[str, Any]:
    async with conn.transaction():
        row = await _locked(conn, cart_id)
        await carts.remove_codes(conn, cart_id, codes)
        await _promote(conn, reads, row)
        await carts.touch(conn, cart_id)
    return await retrieve(conn, reads, cart_id)


REASONS = {
    "unknown": "it does not exist",
    "inactive": "it is not active",
    "not_started": "it has not started yet",
    "expired": "it has expired",
    "currency_mismatch": "it is for another currency",
    "rules_not_met": "the cart does not meet its conditions",
    "budget_exceeded": "its budget is used up",
    "not_applicable": "nothing in the cart can be discounted by it",
}


async def _promote(
    conn: AsyncConnection[Any],
    reads: Reads,
    cart: dict[str, Any],
    strict: list[str] | None = None,
    *,
    force_taxes: bool = False,
) -> None:
    """One engine evaluation for the cart as it now is; its adjustments replace the old ones. Codes in `strict`
    (just entered) must apply, or the whole change fails."""
    items = await carts.items(conn, cart["id"])
    await reads.catalog.load(conn, [str(i["variant_id"]) for i in items if i["variant_id"]])
    codes = await carts.codes(conn, cart["id"])
    groups = await _groups(conn, cart["customer_id"])
    context_items = []
    for i in items:
        entry = reads.catalog.variants.get(str(i["variant_id"]))
        product: dict[str, Any] = {"id": i["product_id"]}
        if entry is not None:
            product |= {
                "categories": [{"id": c} for c in sorted(entry[0].category_ids)],
                "collection_id": entry[0].collection_id,
            }
        subtotal = i["unit_price"] * i["quantity"]
        context_items.append(
            {
                "id": i["id"],
                "quantity": i["quantity"],
                "subtotal": subtotal,
                "original_total": subtotal,
                "is_discountable": i["is_discountable"],
                "product": product,
                "variant": {"id": i["variant_id"]},
            }
        )
    context = {
        "currency_code": cart["currency_code"],
        "region_id": cart["region_id"],
        "region": {"id": cart["region_id"]},
        "customer": {"id": cart["customer_id"], "groups": [{"id": g} for g in groups]},
        "items": context_items,
        "shipping_methods": [],
    }
    result = reads.promotions.set.evaluate(context, codes, datetime.now(UTC))
    rejected = {r["code"]: r["reason"] for r in result["rejected_codes"]}
    applied_codes = {a["code"] for a in result["item_adjustments"] if a.get("code")}
    for code in strict or []:
        reason = rejected.get(code) or (None if code in applied_codes else "not_applicable")
        if reason:
            raise InvalidData(f"The promotion code {code} is invalid: {REASONS.get(reason, reason)}")
    region = reads.regions.by_id.get(cart["region_id"] or "")
    if force_taxes or (region is not None and region.automatic_taxes):
        await _tax(conn, cart, items)
    else:
        # Without automatic taxes, lines are taxed on request (POST .../taxes) and a change drops that result.
        await carts.replace_tax_lines(conn, cart["id"], [])
    await carts.replace_adjustments(
        conn,
        cart["id"],
        [
            (
                new_id("caliadj"),
                a["item_id"],
                a["amount"],
                a.get("code"),
                a["promotion_id"],
                bool(a.get("is_tax_inclusive")),
            )
            for a in result["item_adjustments"]
        ],
    )


async def calculate_taxes(conn: AsyncConnection[Any], reads: Reads, cart_id: str) -> dict[str, Any]:
    """Tax lines for the cart's shipping address now, also where the region does not tax automatically."""
    async with conn.transaction():
        row = await _locked(conn, cart_id)
        if row["shipping_address_id"] is None:
            raise InvalidData("The cart needs a shipping address with a country to calculate taxes")
        await _promote(conn, reads, row, force_taxes=True)
        await carts.touch(conn, cart_id)
    return await retrieve(conn, reads, cart_id)


async def _tax(conn: AsyncConnection[Any], cart: dict[str, Any], items: list[dict[str, Any]]) -> None:
    """Replace the lines' tax lines with the tax module's for the shipping address (none without one)."""
    rows: list[tuple[Any, ...]] = []
    address_id = cart.get("shipping_address_id")
    address = (await carts.addresses(conn, [address_id])).get(address_id) if address_id else None
    methods = await carts.methods(conn, cart["id"])
    method_lines: dict[str, list[Any]] = {m["id"]: [] for m in methods}
    if address and address["country_code"]:
        lines = await tax.service.tax_lines(
            conn,
            {"country_code": address["country_code"], "province_code": address["province"]},
            [{"id": i["id"], "product_id": i["product_id"], "product_type_id": i["product_type_id"]} for i in items],
            [{"id": m["id"], "shipping_option_id": m["shipping_option_id"]} for m in methods],
        )
        for method_id, found in lines["shipping_methods"].items():
            method_lines[method_id] = [{**t, "rate": str(t["rate"])} for t in found]
        for item_id, item_lines in lines["items"].items():
            rows += [
                (new_id("calitxl"), item_id, t["rate"], t["code"], t["name"], t["tax_rate_id"], t["provider_id"])
                for t in item_lines
            ]
    await carts.replace_tax_lines(conn, cart["id"], rows)
    for method_id, found in method_lines.items():
        await carts.set_method_taxes(conn, cart["id"], method_id, found)


async def _locked(conn: AsyncConnection[Any], cart_id: str) -> dict[str, Any]:
    row = await carts.lock(conn, cart_id)
    if row is None:
        raise _not_found(cart_id)
    if row["completed_at"] is not None:
        raise NotAllowed(f"Cart {cart_id} is already completed")
    return row


def _in_region(region: Any, country_code: str | None) -> bool:
    return bool(country_code) and any(c.iso_2 == str(country_code).lower() for c in region.countries)


def _check_country(region: Any, country_code: str | None) -> None:
    if region is not None and country_code and not _in_region(region, country_code):
        raise InvalidData(f"Country with code {country_code.lower()} is not within region {region.name}")


def _channel(asked: str | None, key_channels: tuple[str, ...]) -> str | None:
    if asked is not None:
        if asked not in key_channels:
            raise NotAllowed("Requested sales channel is not part of the publishable key")
        return asked
    return key_channels[0] if len(key_channels) == 1 else None


async def _address(conn: AsyncConnection[Any], data: AddressInput, customer_id: str | None) -> str:
    values = msgspec.structs.asdict(data)
    if values["country_code"]:
        values["country_code"] = values["country_code"].lower()
    row = await carts.insert_address(conn, {**values, "id": new_id("caaddr"), "customer_id": customer_id})
    return str(row["id"])


async def _groups(conn: AsyncConnection[Any], customer_id: str | None) -> list[str]:
    return await customer.service.group_ids(conn, customer_id) if customer_id else []


async def _price(
    conn: AsyncConnection[Any], reads: Reads, cart: dict[str, Any], variant_id: str, quantity: int
) -> dict[str, Any]:
    """unit_price, compare_at_unit_price and tax inclusivity of a variant for this cart and quantity."""
    await reads.catalog.load(conn, [variant_id])
    found = reads.catalog.variants.get(variant_id)
    if found is None or (cart["sales_channel_id"] and cart["sales_channel_id"] not in found[0].channel_ids):
        raise InvalidData(
            f"Variants with IDs {variant_id} do not exist or are not available in the cart's sales channel"
        )
    snapshot = found[1]
    context = {
        "currency_code": cart["currency_code"],
        "region_id": cart["region_id"],
        "customer_group_ids": await _groups(conn, cart["customer_id"]),
        "quantity": quantity,
        "now": datetime.now(UTC),
    }
    set_id = snapshot["price_set_id"]
    price = (await reads.prices.calculate_sets(conn, [set_id], context)).get(set_id) if set_id else None
    if price is None:
        raise InvalidData(f"Variants with IDs {variant_id} do not have a price in {cart['currency_code']}")
    original = price.original_amount
    return {
        "unit_price": price.calculated_amount,
        "compare_at_unit_price": original if original is not None and original > price.calculated_amount else None,
        "is_tax_inclusive": price.is_calculated_price_tax_inclusive,
        "snapshot": snapshot,
    }


async def _check_stock(conn: AsyncConnection[Any], cart: dict[str, Any], variant_id: str, quantity: int) -> None:
    """Refuse more units of a managed, non-backorderable variant than the locations of the cart's sales channel can
    sell (Medusa's confirm-inventory on add to cart). Checkout checks again, atomically, when it reserves."""
    found = (await product.service.purchasable(conn, [variant_id])).get(variant_id)
    if found is None or not found["manage_inventory"] or found["allow_backorder"]:
        return
    channel = cart["sales_channel_id"]
    locations = await stock_location.service.locations_for_channel(conn, channel) if channel else []
    available = (await inventory.service.availability_by_variant(conn, [variant_id], locations)).get(variant_id, 0)
    if quantity > available:
        raise NotAllowed(
            f"Some variant does not have the required inventory: {variant_id} has {available} available",
            code="insufficient_inventory",
        )


async def _add(conn: AsyncConnection[Any], reads: Reads, cart: dict[str, Any], item: ItemInput) -> None:
    lines = await carts.items(conn, cart["id"])
    in_cart = sum(i["quantity"] for i in lines if i["variant_id"] == item.variant_id)
    existing = next(
        (i for i in lines if i["variant_id"] == item.variant_id and (i["metadata"] or None) == (item.metadata or None)),
        None,
    )
    if existing is not None:
        quantity = existing["quantity"] + item.quantity
        if quantity > 100_000:
            raise InvalidData("Invalid request: quantity must be at most 100000")
        price = await _price(conn, reads, cart, item.variant_id, quantity)
        await _check_stock(conn, cart, item.variant_id, in_cart + item.quantity)
        await carts.set_quantity(conn, cart["id"], existing["id"], quantity, price)
        return
    price = await _price(conn, reads, cart, item.variant_id, item.quantity)
    await _check_stock(conn, cart, item.variant_id, in_cart + item.quantity)
    snap = price.pop("snapshot")
    await carts.insert_item(
        conn,
        {
            **{k: v for k, v in snap.items() if k != "price_set_id"},
            **price,
            "id": new_id("cali"),
            "cart_id": cart["id"],
            "title": snap["product_title"],
            "subtitle": snap["variant_title"],
            "quantity": item.quantity,
            "is_custom_price": False,
            "metadata": item.metadata,
        },
    )


async def _reprice(conn: AsyncConnection[Any], reads: Reads, cart: dict[str, Any]) -> None:
    """Price every line again for the cart's (new) context; a line with no price there fails the change."""
    for item in await carts.items(conn, cart["id"]):
        price = await _price(conn, reads, cart, str(item["variant_id"]), item["quantity"])
        await carts.set_quantity(conn, cart["id"], item["id"], item["quantity"], price)


def _view(
    reads: Reads,
    row: dict[str, Any],
    items: list[dict[str, Any]],
    adjustments: list[dict[str, Any]],
    tax_lines: list[dict[str, Any]],
    methods: list[dict[str, Any]],
    addresses: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    by_line: dict[str, list[dict[str, Any]]] = {}
    for a in adjustments:
        by_line.setdefault(a["item_id"], []).append(a)
    taxes: dict[str, list[dict[str, Any]]] = {}
    for t in tax_lines:
        taxes.setdefault(t["item_id"], []).append(t)
    totals = cart_totals.compute(
        row["currency_code"],
        items,
        methods,
        item_adjustments=by_line,
        item_tax_lines=taxes,
        method_tax_lines={m["id"]: m["tax_lines"] for m in methods},
    )
    method_totals = {t["id"]: t for t in totals["shipping_methods"]}
    by_item = {t["id"]: t for t in totals["items"]}
    region = reads.regions.by_id.get(row["region_id"] or "")
    view: dict[str, Any] = {
        **row,
        **{k: totals[k] for k in cart_totals.FIELDS},
        "items": [
            {
                **i,
                **_product_and_variant(reads, i),
                "adjustments": by_line.get(i["id"], []),
                "tax_lines": taxes.get(i["id"], []),
                **{k: v for k, v in by_item[i["id"]].items() if k not in ("id", "unit_price", "quantity")},
            }
            for i in items
        ],
        "shipping_methods": [
            {
                **m,
                "tax_lines": [{**t, "rate": Decimal(t["rate"])} for t in m["tax_lines"]],
                "adjustments": [],
                **{k: v for k, v in method_totals[m["id"]].items() if k not in ("id", "amount")},
            }
            for m in methods
        ],
        "promotions": _promotions(reads, adjustments),
        "region": msgspec.to_builtins(region) if region else None,
        "shipping_address": addresses.get(row["shipping_address_id"] or ""),
        "billing_address": addresses.get(row["billing_address_id"] or ""),
    }
    return view


def _promotions(reads: Reads, adjustments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for promotion_id in dict.fromkeys(a["promotion_id"] for a in adjustments):
        p = reads.promotions.by_id.get(promotion_id)
        if p is None:
            continue
        m = p["application_method"]
        out.append(
            {
                "id": p["id"],
                "code": p["code"],
                "is_automatic": p["is_automatic"],
                "application_method": {
                    "type": m["type"],
                    "value": Decimal(m["value"]),
                    "currency_code": m["currency_code"],
                },
            }
        )
    return out


def _product_and_variant(reads: Reads, item: dict[str, Any]) -> dict[str, Any]:
    """items[].product and items[].variant as the storefront reads them (from the line's own snapshot when the
    product is no longer published)."""
    found = reads.catalog.variants.get(str(item["variant_id"]))
    thumbnail = item["thumbnail"]
    product = {
        "id": item["product_id"],
        "title": item["product_title"],
        "subtitle": item["product_subtitle"],
        "description": item["product_description"],
        "handle": item["product_handle"],
        "thumbnail": thumbnail,
        "collection_id": None,
        "type_id": item["product_type_id"],
    }
    if found is not None:
        product["collection_id"] = found[0].collection_id
    variant = {
        "id": item["variant_id"],
        "title": item["variant_title"],
        "sku": item["variant_sku"],
        "barcode": item["variant_barcode"],
        "product_id": item["product_id"],
        "options": [{"value": v, "option": {"title": k}} for k, v in (item["variant_option_values"] or {}).items()],
    }
    return {"product": product, "variant": variant}
