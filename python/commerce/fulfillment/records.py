"""Fulfillments: goods leaving a stock location through a provider linked to it, with their items, delivery address
and shipment labels; shipped, delivered or canceled (not once shipped) by one conditional UPDATE each, so of two
concurrent requests only one wins. Every function runs in the caller's transaction when there is one."""

import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection

from commerce import stock_location
from commerce.errors import InvalidData, NotAllowed, NotFound
from commerce.fulfillment import providers
from commerce.fulfillment import records_repository as repo
from commerce.fulfillment import repository as options_repo
from commerce.ids import new_id

ADDRESS_FIELDS = (
    "company",
    "first_name",
    "last_name",
    "address_1",
    "address_2",
    "city",
    "country_code",
    "province",
    "postal_code",
    "phone",
)
MAX_TEXT = 2000
# A label's URLs are shown as links in an admin: refuse any scheme but http(s) (`#` or a path stays allowed, as
# Medusa's admin sends `#` when it has no URL).
SCHEME = re.compile(r"^\s*([A-Za-z][A-Za-z0-9+.-]*):")


def _not_found(fulfillment_id: str) -> NotFound:
    return NotFound(f"Fulfillment with id: {fulfillment_id} was not found")


# --- input rows -------------------------------------------------------------------------------------------------


def _text(value: Any, where: str, *, required: bool) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > MAX_TEXT:
        raise InvalidData(f"Invalid request: '{where}' must be a non-empty string of at most {MAX_TEXT} characters")
    return value


def _optional_id(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > 255:
        raise InvalidData(f"Invalid request: '{where}' must be an id")
    return value


def _quantity(value: Any, where: str) -> int:
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 1_000_000_000:
        raise InvalidData(f"Invalid request: '{where}' must be a positive whole number")
    return value


def _item_row(n: int, item: dict[str, Any]) -> dict[str, Any]:
    where = f"items[{n}]"
    return {
        "id": new_id("fulit"),
        "title": _text(item.get("title"), f"{where}.title", required=True),
        "sku": _text(item.get("sku"), f"{where}.sku", required=False),
        "barcode": _text(item.get("barcode"), f"{where}.barcode", required=False),
        "quantity": _quantity(item.get("quantity"), f"{where}.quantity"),
        "line_item_id": _optional_id(item.get("line_item_id"), f"{where}.line_item_id"),
        "inventory_item_id": _optional_id(item.get("inventory_item_id"), f"{where}.inventory_item_id"),
    }


def _url(value: Any, where: str) -> str:
    text = _text(value, where, required=True)
    scheme = SCHEME.match(text)
    if scheme and scheme.group(1).lower() not in ("http", "https"):
        raise InvalidData(f"Invalid request: '{where}' must be an http(s) URL")
    return text


def _label_rows(labels: list[dict[str, Any]] | None, where: str = "labels") -> list[dict[str, Any]]:
    return [
        {
            "id": new_id("fulla"),
            "tracking_number": _text(label.get("tracking_number"), f"{where}[{n}].tracking_number", required=True),
            "tracking_url": _url(label.get("tracking_url"), f"{where}[{n}].tracking_url"),
            "label_url": _url(label.get("label_url"), f"{where}[{n}].label_url"),
        }
        for n, label in enumerate(labels or [])
    ]


def _address_row(address: dict[str, Any]) -> dict[str, Any]:
    """The address fields of `address` (a request body, or an order's or cart's address with more keys)."""
    row: dict[str, Any] = {"id": new_id("fuladdr"), "metadata": address.get("metadata")}
    for field in ADDRESS_FIELDS:
        value = address.get(field)
        if value is not None and (not isinstance(value, str) or len(value) > MAX_TEXT):
            raise InvalidData(f"Invalid request: 'delivery_address.{field}' must be a string")
        row[field] = value
    if row["country_code"] is not None:
        row["country_code"] = row["country_code"].lower()
    if row["metadata"] is not None and not isinstance(row["metadata"], dict):
        raise InvalidData("Invalid request: 'delivery_address.metadata' must be an object")
    return row


# --- checks -----------------------------------------------------------------------------------------------------


async def _check_provider_at_location(conn: AsyncConnection[Any], provider_id: str, location_id: str) -> None:
    """Medusa fulfils only through a provider linked to the stock location the goods leave from."""
    found = await options_repo.providers(conn, [provider_id])
    if not found:
        raise InvalidData(f"Fulfillment provider with id: {provider_id} was not found")
    if not found[0]["is_enabled"]:
        raise InvalidData(f"Fulfillment provider with id: {provider_id} is not enabled")
    if provider_id in await stock_location.service.provider_ids(conn, location_id):
        return
    try:
        await stock_location.service.retrieve(conn, location_id)
    except NotFound:
        raise InvalidData(f"Stock location with id: {location_id} was not found") from None
    raise InvalidData(f"Providers ({provider_id}) are not enabled for the service location")


# --- reads ------------------------------------------------------------------------------------------------------


def _address_view(address: dict[str, Any] | None, fulfillment_id: str) -> dict[str, Any] | None:
    return None if address is None else {**address, "fulfillment_id": fulfillment_id}


async def fulfillments(conn: AsyncConnection[Any], ids: list[str]) -> list[dict[str, Any]]:
    """The live fulfillments among `ids` (canceled ones included), oldest first, each in Medusa's shape: with
    `items`, `labels`, `delivery_address` and `provider`. For an order's `fulfillments` relation."""
    rows = await repo.fulfillments(conn, list(dict.fromkeys(ids))) if ids else []
    if not rows:
        return []
    found = [r["id"] for r in rows]
    address_ids = [r["delivery_address_id"] for r in rows if r["delivery_address_id"]]
    addresses = {a["id"]: a for a in await repo.addresses(conn, address_ids)} if address_ids else {}
    items: dict[str, list[dict[str, Any]]] = {}
    for item in await repo.items_of(conn, found):
        items.setdefault(item["fulfillment_id"], []).append(item)
    labels: dict[str, list[dict[str, Any]]] = {}
    for label in await repo.labels_of(conn, found):
        labels.setdefault(label["fulfillment_id"], []).append(label)
    provider_ids = list({r["provider_id"] for r in rows if r["provider_id"]})
    provider_rows = {p["id"]: p for p in await repo.providers(conn, provider_ids)} if provider_ids else {}
    return [
        {
            **r,
            "provider": provider_rows.get(r["provider_id"]),
            "delivery_address": _address_view(addresses.get(r["delivery_address_id"]), r["id"]),
            "items": items.get(r["id"], []),
            "labels": labels.get(r["id"], []),
        }
        for r in rows
    ]


async def retrieve_fulfillment(conn: AsyncConnection[Any], fulfillment_id: str) -> dict[str, Any]:
    """One fulfillment in Medusa's shape (see `fulfillments`); NotFound when there is no live one."""
    found = await fulfillments(conn, [fulfillment_id])
    if not found:
        raise _not_found(fulfillment_id)
    return found[0]


# --- writes -----------------------------------------------------------------------------------------------------


async def create_fulfillment(
    conn: AsyncConnection[Any],
    location_id: str,
    provider_id: str,
    items: list[dict[str, Any]],
    delivery_address: dict[str, Any] | None,
    order: dict[str, Any] | None,
    labels: list[dict[str, Any]] | None = None,
    metadata: dict[str, Any] | None = None,
    shipping_option_id: str | None = None,
    created_by: str | None = None,
    *,
    data: dict[str, Any] | None = None,
    requires_shipping: bool = True,
    packed_at: datetime | None = None,
    shipped_at: datetime | None = None,
    delivered_at: datetime | None = None,
    canceled_at: datetime | None = None,
) -> dict[str, Any]:
    """A new fulfillment of `items` (`{title, sku?, barcode?, quantity, line_item_id?, inventory_item_id?}`) from
    `location_id` through `provider_id`, which must be linked to that location (else InvalidData). The provider's
    create hook sees the items and `order` first; its `data` is stored over the given `data`, its labels added to
    `labels`. Returns the fulfillment as `retrieve_fulfillment` does."""
    if not items:
        raise InvalidData("Invalid request: 'items' must hold at least one item")
    item_rows = [_item_row(n, item) for n, item in enumerate(items)]
    label_rows = _label_rows(labels)
    address_row = _address_row(delivery_address) if delivery_address is not None else None
    fulfillment_id = new_id("ful")
    async with conn.transaction():
        await _check_provider_at_location(conn, provider_id, location_id)
        if shipping_option_id is not None and await options_repo.option(conn, shipping_option_id) is None:
            raise InvalidData(f"Shipping option with id: {shipping_option_id} was not found")
        draft = {
            "id": fulfillment_id,
            "location_id": location_id,
            "shipping_option_id": shipping_option_id,
            "delivery_address": address_row,
            "metadata": metadata,
        }
        answer = providers.create_fulfillment(provider_id, data or {}, item_rows, order, draft)
        label_rows += _label_rows(answer.get("labels"), "provider labels")
        if address_row is not None:
            await repo.insert_address(conn, address_row)
        await repo.insert_fulfillment(
            conn,
            {
                "id": fulfillment_id,
                "location_id": location_id,
                "provider_id": provider_id,
                "shipping_option_id": shipping_option_id,
                "delivery_address_id": address_row["id"] if address_row else None,
                "packed_at": packed_at,
                "shipped_at": shipped_at,
                "delivered_at": delivered_at,
                "canceled_at": canceled_at,
                "requires_shipping": requires_shipping,
                "data": {**(data or {}), **(answer.get("data") or {})},
                "metadata": metadata,
                "created_by": created_by,
            },
        )
        await repo.insert_items(conn, fulfillment_id, item_rows)
        await repo.insert_labels(conn, fulfillment_id, label_rows)
    return await retrieve_fulfillment(conn, fulfillment_id)


async def create_shipment(
    conn: AsyncConnection[Any],
    fulfillment_id: str,
    labels: list[dict[str, Any]],
    marked_shipped_by: str | None = None,
) -> dict[str, Any]:
    """Mark a fulfillment shipped (`shipped_at`); when `labels` are given they become its labels (Medusa's
    updateFulfillment replaces them). NotAllowed when it is canceled, already shipped or has no shipping option."""
    label_rows = _label_rows(labels)
    async with conn.transaction():
        if await repo.ship(conn, fulfillment_id, marked_shipped_by) is None:
            state = await repo.state(conn, fulfillment_id)
            if state is None:
                raise _not_found(fulfillment_id)
            if state["shipped_at"] is not None:
                raise NotAllowed("Shipment has already been created")
            if state["canceled_at"] is not None:
                raise NotAllowed("Cannot create shipment for a canceled fulfillment")
            raise NotAllowed("Cannot create shipment without a Shipping Option")
        if label_rows:
            await repo.replace_labels(conn, fulfillment_id, label_rows)
    return await retrieve_fulfillment(conn, fulfillment_id)


async def mark_delivered(conn: AsyncConnection[Any], fulfillment_id: str) -> dict[str, Any]:
    """Mark a fulfillment delivered (`delivered_at`; Medusa does not require it shipped first). NotAllowed when it
    is canceled or already delivered."""
    if await repo.deliver(conn, fulfillment_id) is None:
        state = await repo.state(conn, fulfillment_id)
        if state is None:
            raise _not_found(fulfillment_id)
        if state["canceled_at"] is not None:
            raise NotAllowed("Cannot deliver an already canceled fulfillment")
        raise NotAllowed("Fulfillment has already been marked delivered")
    return await retrieve_fulfillment(conn, fulfillment_id)


async def cancel_fulfillment(conn: AsyncConnection[Any], fulfillment_id: str) -> dict[str, Any]:
    """Cancel a fulfillment (`canceled_at`) and tell its provider; if the provider refuses, nothing changes.
    NotAllowed once it is shipped or delivered, or when it is already canceled (so that of two concurrent cancels
    exactly one succeeds, and a caller giving stock back does it once)."""
    async with conn.transaction():
        row = await repo.cancel(conn, fulfillment_id)
        if row is None:
            state = await repo.state(conn, fulfillment_id)
            if state is None:
                raise _not_found(fulfillment_id)
            if state["canceled_at"] is not None:
                raise NotAllowed("The fulfillment is already canceled")
            if state["shipped_at"] is not None:
                raise NotAllowed("The fulfillment has already been shipped. Shipped fulfillments cannot be canceled")
            raise NotAllowed(f"Fulfillment with id {fulfillment_id} already delivered")
        if row["provider_id"]:
            providers.cancel_fulfillment(row["provider_id"], row["data"] or {})
    return await retrieve_fulfillment(conn, fulfillment_id)
