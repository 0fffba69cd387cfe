"""Orders: created from a cart view inside the checkout's transaction, read back in Medusa's order shape, moved
between statuses, and told by the fulfilment flow how much of each line is fulfilled, shipped and delivered.

Totals are computed from the stored snapshot by `engine.cart_totals`, the function that totalled the cart, so an
order's totals are the cart's at checkout.

Relations another module owns (payment collections, fulfillments, customer, sales channel, region) are never read
here: this module keeps only the link ids, and the caller passes a `Related` of fetchers that turn ids into
Medusa-shaped dicts (the flow or route wires them to the payment and fulfillment services). `payment_status` and
`fulfillment_status` are derived as Medusa derives them (core-flows order/utils/aggregate-status.ts) from what the
fetchers return; without a payment fetcher there are no collections and the status is `not_paid`; without a
fulfillment fetcher the fulfillment status is derived from the lines' fulfilled/shipped/delivered quantities (the
same answer, except that an order whose fulfillments were all canceled reads `not_fulfilled`, not `canceled`).
"""

import logging
from collections.abc import Awaitable, Callable, Iterable
from contextlib import nullcontext
from decimal import Decimal
from typing import Any, NamedTuple

from psycopg import AsyncConnection
from psycopg.pq import TransactionStatus

from commerce import engine, events
from commerce import totals as cart_totals
from commerce.errors import InvalidData, NotFound
from commerce.order import repository as repo
from commerce.order.build import OrderDraft, build
from commerce.order.schemas import FOREIGN, OrderListQuery

log = logging.getLogger("commerce.order")
Fetch = Callable[[AsyncConnection[Any], list[str]], Awaitable[list[dict[str, Any]]]]


class Related(NamedTuple):
    """Fetchers for the relations other modules own: each takes ids and returns the Medusa-shaped dicts (with "id")
    it finds. `payment_collections` dicts need `status`, `amount`, `captured_amount`, `refunded_amount` for the
    payment status and summary; `fulfillments` dicts need `packed_at`, `shipped_at`, `delivered_at`, `canceled_at`."""

    payment_collections: Fetch | None = None
    fulfillments: Fetch | None = None
    customer: Fetch | None = None
    sales_channel: Fetch | None = None
    region: Fetch | None = None


NO_RELATED = Related()
EVENTS = {
    "placed": "order.placed",
    "canceled": "order.canceled",
    "completed": "order.completed",
    "archived": "order.archived",
}

__all__ = [
    "NO_RELATED",
    "Fetch",
    "OrderDraft",
    "Related",
    "archive",
    "build",
    "by_cart",
    "complete",
    "create",
    "draft_totals",
    "fulfillment_ids",
    "fulfillment_status",
    "items",
    "link_fulfillment",
    "link_payment_collection",
    "list_orders",
    "order_of_fulfillment",
    "payment_collection_ids",
    "payment_status",
    "record_delivered",
    "record_fulfilled",
    "record_shipped",
    "record_unfulfilled",
    "retrieve",
    "set_canceled",
]


def _not_found(order_id: str) -> NotFound:
    return NotFound(f"Order with id: {order_id} was not found")


# --- writes ----------------------------------------------------------------------------------------------------------


async def create(
    conn: AsyncConnection[Any], cart: dict[str, Any], payment_collection_id: str | None, promotion_ids: list[str]
) -> str:
    """Insert the order snapshot of a cart view, link the cart (UNIQUE: DuplicateError when the cart already has an
    order), the payment collection and the promotions, and write `order.placed` to the outbox; returns the order id.
    Runs in the caller's transaction when there is one."""
    draft = build(cart)
    computed = draft_totals(draft)
    differing = {
        k: (v, computed[k]) for k, v in draft.totals.items() if v is not None and Decimal(str(v)) != computed[k]
    }
    if differing:  # a cart view whose totals its own lines do not give: a bug upstream, worth a loud log
        log.error("order for cart %s: totals differ from the cart's (cart, order): %s", draft.cart_id, differing)
    # Inside checkout's transaction, no savepoint of its own: any failure there rolls the whole checkout back.
    async with conn.transaction() if conn.info.transaction_status == TransactionStatus.IDLE else nullcontext():
        await repo.insert(conn, draft, payment_collection_id, list(dict.fromkeys(promotion_ids)))
        await events.enqueue(conn, EVENTS["placed"], {"id": draft.order["id"]})
    return str(draft.order["id"])


async def by_cart(conn: AsyncConnection[Any], cart_id: str) -> str | None:
    """The order made from a cart, if any (checkout's idempotency check)."""
    return await repo.by_cart(conn, cart_id)


async def set_canceled(conn: AsyncConnection[Any], order_id: str) -> None:
    """Status canceled and canceled_at now, and `order.canceled` to the outbox. The flow cancels payments,
    fulfillments and reservations around it (Medusa's cancelOrderWorkflow)."""
    async with conn.transaction():
        if not await repo.cancel(conn, order_id):
            if await repo.status(conn, order_id) is None:
                raise _not_found(order_id)
            raise InvalidData(f"Order with id {order_id} has been canceled.")
        await events.enqueue(conn, EVENTS["canceled"], {"id": order_id})


async def archive(conn: AsyncConnection[Any], order_id: str) -> None:
    """Archive a completed, canceled or draft order (Medusa's order module `archive`)."""
    async with conn.transaction():
        if not await repo.set_status(conn, order_id, "archived", ("completed", "canceled", "draft")):
            if await repo.status(conn, order_id) is None:
                raise _not_found(order_id)
            # Medusa's own wording (it names the statuses that may be archived).
            raise InvalidData(f"Orders {order_id} are completed, canceled, or in draft and cannot be archived")
        await events.enqueue(conn, EVENTS["archived"], {"id": order_id})


async def complete(conn: AsyncConnection[Any], order_id: str) -> None:
    """Mark an order completed; a canceled one cannot be (Medusa's order module `completeOrder`)."""
    allowed = ("pending", "completed", "draft", "archived", "requires_action")
    async with conn.transaction():
        if not await repo.set_status(conn, order_id, "completed", allowed):
            if await repo.status(conn, order_id) is None:
                raise _not_found(order_id)
            raise InvalidData(f"Orders {order_id} are canceled and cannot be completed")
        await events.enqueue(conn, EVENTS["completed"], {"id": order_id})


async def link_payment_collection(conn: AsyncConnection[Any], order_id: str, collection_id: str) -> None:
    await repo.link_payment_collection(conn, order_id, collection_id)


async def link_fulfillment(conn: AsyncConnection[Any], order_id: str, fulfillment_id: str) -> None:
    """Record that a fulfillment (fulfillment module) ships part of this order."""
    await repo.link_fulfillment(conn, order_id, fulfillment_id)


async def payment_collection_ids(conn: AsyncConnection[Any], order_id: str) -> list[str]:
    return await repo.payment_collection_ids(conn, order_id)


async def fulfillment_ids(conn: AsyncConnection[Any], order_id: str) -> list[str]:
    return await repo.fulfillment_ids(conn, order_id)


async def order_of_fulfillment(conn: AsyncConnection[Any], fulfillment_id: str) -> str | None:
    return await repo.order_of_fulfillment(conn, fulfillment_id)


async def items(conn: AsyncConnection[Any], order_id: str) -> list[dict[str, Any]]:
    """The order's lines in cart order, each with its snapshot and its quantities (`quantity`,
    `fulfilled_quantity`, `shipped_quantity`, `delivered_quantity`, `return_*_quantity`, `written_off_quantity`)."""
    rows = await repo.items(conn, order_id)
    if not rows and await repo.status(conn, order_id) is None:
        raise _not_found(order_id)
    return rows


async def record_fulfilled(conn: AsyncConnection[Any], order_id: str, quantities: dict[str, int]) -> None:
    """`fulfilled_quantity += q` per line item id; never past the ordered quantity."""
    await _move(conn, "fulfilled", order_id, quantities, "fulfill more than the ordered quantity of")


async def record_shipped(conn: AsyncConnection[Any], order_id: str, quantities: dict[str, int]) -> None:
    """`shipped_quantity += q` per line item id; never past the fulfilled quantity."""
    await _move(conn, "shipped", order_id, quantities, "ship more than the fulfilled quantity of")


async def record_delivered(conn: AsyncConnection[Any], order_id: str, quantities: dict[str, int]) -> None:
    """`delivered_quantity += q` per line item id; never past the fulfilled quantity."""
    await _move(conn, "delivered", order_id, quantities, "deliver more than the fulfilled quantity of")


async def record_unfulfilled(conn: AsyncConnection[Any], order_id: str, quantities: dict[str, int]) -> None:
    """`fulfilled_quantity -= q` per line item id (a canceled fulfillment); never below what was shipped or
    delivered."""
    await _move(conn, "unfulfilled", order_id, quantities, "unfulfill more than the unshipped fulfilled quantity of")


async def _move(conn: AsyncConnection[Any], kind: str, order_id: str, quantities: dict[str, int], refusal: str) -> None:
    """One conditional UPDATE for all the lines; if any line could not move, nothing moves (savepoint)."""
    if not quantities:
        return
    for item_id, quantity in quantities.items():
        if not isinstance(quantity, int) or quantity <= 0:
            raise InvalidData(f"Invalid request: the quantity of item {item_id} must be a positive integer")
    async with conn.transaction():
        moved = await repo.move(conn, kind, order_id, quantities)
        if len(moved) == len(quantities):
            return
        status = await repo.status(conn, order_id)
        if status is None:
            raise _not_found(order_id)
        if status == "canceled":
            raise InvalidData(f"Order with id {order_id} has been canceled.")
        known = await repo.item_ids_of(conn, order_id, list(quantities))
        unknown = [i for i in quantities if i not in known]
        if unknown:
            raise InvalidData(f"Items with ids {', '.join(unknown)} does not exist in order with id {order_id}.")
        refused = [i for i in quantities if i not in moved]
        raise InvalidData(f"Cannot {refusal} items {', '.join(refused)} of order {order_id}")


# --- reads -----------------------------------------------------------------------------------------------------------


async def retrieve(
    conn: AsyncConnection[Any],
    order_id: str,
    related: Related = NO_RELATED,
    *,
    relations: Iterable[str] | None = None,
) -> dict[str, Any]:
    """The order in Medusa's shape (see `_view`). `relations` limits which foreign relations are fetched (None: all
    that `related` can fetch); the statuses and summary use payment collections and fulfillments when fetched."""
    found = await repo.whole(conn, [order_id])
    if not found:
        raise _not_found(order_id)
    return (await _assemble(conn, found, related, relations))[0]


async def list_orders(
    conn: AsyncConnection[Any],
    query: OrderListQuery,
    related: Related = NO_RELATED,
    *,
    customer_id: str | None = None,
    relations: Iterable[str] | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """One page of orders (admin filters; `customer_id` narrows to one customer's, as the store list does)."""
    filters: dict[str, Any] = {
        "id": query.id,
        "status": query.status,
        "customer_id": [customer_id] if customer_id else query.customer_id,
        "region_id": query.region_id,
        "sales_channel_id": query.sales_channel_id,
        "q": query.q,
        "ranges": query.ranges(),
    }
    ids, count = await repo.page(conn, filters, query.order, query.limit, query.offset)
    rows = {r["order"]["id"]: r for r in await repo.whole(conn, ids)}
    ordered = [rows[i] for i in ids if i in rows]
    return await _assemble(conn, ordered, related, relations), count


async def _assemble(
    conn: AsyncConnection[Any],
    found: list[dict[str, Any]],
    related: Related,
    relations: Iterable[str] | None,
) -> list[dict[str, Any]]:
    """Views of whole orders, with the foreign relations fetched once for all of them."""
    wanted = set(FOREIGN if relations is None else relations)
    fetched: dict[str, dict[str, dict[str, Any]] | None] = {}
    for name in FOREIGN:
        fetch: Fetch | None = getattr(related, name)
        if fetch is None or name not in wanted:
            fetched[name] = None
            continue
        ids = list(dict.fromkeys(i for r in found for i in _foreign_ids(name, r)))
        fetched[name] = {d["id"]: d for d in await fetch(conn, ids)} if ids else {}
    views = []
    for r in found:
        foreign: dict[str, Any] = {}
        for name in FOREIGN:
            by_id = fetched[name]
            picked = None if by_id is None else [by_id[i] for i in _foreign_ids(name, r) if i in by_id]
            foreign[name] = picked if name in MANY else (picked[0] if picked else None)
        views.append(_view(r, foreign))
    return views


MANY = frozenset({"payment_collections", "fulfillments"})


def _foreign_ids(name: str, found: dict[str, Any]) -> list[str]:
    """The ids of a foreign relation of one whole order: its link rows, or the id column of its row."""
    if name in MANY:
        return list(found[name[:-1] + "_ids"])
    value = found["order"][f"{name}_id"]
    return [value] if value else []


def _view(found: dict[str, Any], foreign: dict[str, Any]) -> dict[str, Any]:
    """Medusa's order: its row, `payment_status`, `fulfillment_status`, every totals field, `summary`, `items` (with
    `detail`, `tax_lines`, `adjustments`, `variant`, `product` and their totals), `shipping_methods` (with theirs),
    the two addresses, `payment_collections` and `fulfillments` (as fetched, else []), `credit_lines` ([]),
    `customer`, `sales_channel` and `region` (as fetched, else None)."""
    row = found["order"]
    currency = row["currency_code"]
    details = {d["item_id"]: d for d in found["details"]}
    adjustments = _group(found["adjustments"], "item_id")
    tax_lines = _group(found["tax_lines"], "item_id")
    method_adjustments = _group(found["method_adjustments"], "shipping_method_id")
    method_tax_lines = _group(found["method_tax_lines"], "shipping_method_id")
    totals = _totals(
        currency, found["items"], adjustments, tax_lines, found["methods"], method_adjustments, method_tax_lines
    )
    item_totals = {t["id"]: t for t in totals["items"]}
    method_totals = {t["id"]: t for t in totals["shipping_methods"]}
    items = [
        _item(i, details[i["id"]], adjustments.get(i["id"], []), tax_lines.get(i["id"], []), item_totals, currency)
        for i in found["items"]
    ]
    methods = [
        {
            **{k: v for k, v in m.items() if k != "position"},
            "tax_lines": method_tax_lines.get(m["id"], []),
            "adjustments": method_adjustments.get(m["id"], []),
            **{k: v for k, v in method_totals[m["id"]].items() if k not in ("id", "amount")},
        }
        for m in found["methods"]
    ]
    addresses = {a["id"]: a for a in found["addresses"]}
    zero = engine.round_amount(Decimal(0), currency)
    order_totals = {k: totals[k] for k in (*cart_totals.FIELDS, "item_discount_total", "shipping_discount_total")}
    order_totals |= {
        k: zero
        for k in (
            "gift_card_total",
            "gift_card_tax_total",
            "credit_line_total",
            "credit_line_subtotal",
            "credit_line_tax_total",
        )
    }
    collections = foreign["payment_collections"]
    fulfillments = foreign["fulfillments"]
    return {
        **row,
        "custom_display_id": None,  # Medusa's optional display id of the merchant's own; none are set here
        "payment_status": payment_status(collections or [], currency),
        "fulfillment_status": fulfillment_status(items, fulfillments),
        **order_totals,
        "summary": _summary(order_totals["total"], collections or [], currency),
        "items": items,
        "shipping_methods": methods,
        "shipping_address": addresses.get(row["shipping_address_id"] or ""),
        "billing_address": addresses.get(row["billing_address_id"] or ""),
        "payment_collections": collections or [],
        "fulfillments": fulfillments or [],
        "credit_lines": [],
        "customer": foreign["customer"],
        "sales_channel": foreign["sales_channel"],
        "region": foreign["region"],
    }


def _totals(
    currency: str,
    items: list[dict[str, Any]],
    adjustments: dict[str, list[dict[str, Any]]],
    tax_lines: dict[str, list[dict[str, Any]]],
    methods: list[dict[str, Any]],
    method_adjustments: dict[str, list[dict[str, Any]]],
    method_tax_lines: dict[str, list[dict[str, Any]]],
) -> dict[str, Any]:
    """Every totals field of the snapshot, by the function that totals a cart (same inputs, same answer)."""
    return cart_totals.compute(
        currency,
        items,
        methods,
        item_adjustments=adjustments,
        item_tax_lines=tax_lines,
        method_adjustments=method_adjustments,
        method_tax_lines=method_tax_lines,
    )


def draft_totals(draft: OrderDraft) -> dict[str, Any]:
    """The totals the order will show, computed from a draft's rows."""
    return _totals(
        draft.order["currency_code"],
        draft.items,
        _group(draft.adjustments, "item_id"),
        _group(draft.tax_lines, "item_id"),
        draft.shipping_methods,
        _group(draft.shipping_method_adjustments, "shipping_method_id"),
        _group(draft.shipping_method_tax_lines, "shipping_method_id"),
    )


def _group(rows: list[dict[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(r[key], []).append(r)
    return out


_DETAIL_TOTALS = {
    "fulfilled_total": "fulfilled_quantity",
    "shipped_total": "shipped_quantity",
    "return_requested_total": "return_requested_quantity",
    "return_received_total": "return_received_quantity",
    "return_dismissed_total": "return_dismissed_quantity",
    "write_off_total": "written_off_quantity",
}


def _item(
    line: dict[str, Any],
    detail: dict[str, Any],
    adjustments: list[dict[str, Any]],
    tax_lines: list[dict[str, Any]],
    item_totals: dict[str, dict[str, Any]],
    currency: str,
) -> dict[str, Any]:
    totals = item_totals[line["id"]]
    quantity = line["quantity"]
    per_unit = Decimal(totals["total"]) / quantity

    def share(units: int) -> Decimal:
        """The line's total spread evenly over its units, for `units` of them, rounded to the currency."""
        return engine.round_amount(per_unit * units, currency)

    refundable_units = quantity - detail["return_received_quantity"] - detail["written_off_quantity"]
    return {
        **{k: v for k, v in line.items() if k != "position"},
        "is_giftcard": False,
        "detail": detail,
        "adjustments": adjustments,
        "tax_lines": tax_lines,
        **_product_and_variant(line),
        **{k: v for k, v in totals.items() if k not in ("id", "unit_price", "quantity")},
        "item_total": totals["total"],
        "item_subtotal": totals["subtotal"],
        "item_tax_total": totals["tax_total"],
        "refundable_total_per_unit": share(1),
        "refundable_total": share(max(refundable_units, 0)),
        **{name: share(detail[column]) for name, column in _DETAIL_TOTALS.items()},
    }


def _product_and_variant(item: dict[str, Any]) -> dict[str, Any]:
    """items[].product and items[].variant from the line's own snapshot (the product may be gone since)."""
    product = {
        "id": item["product_id"],
        "title": item["product_title"],
        "subtitle": item["product_subtitle"],
        "description": item["product_description"],
        "handle": item["product_handle"],
        "thumbnail": item["thumbnail"],
        "collection_id": None,
        "type_id": item["product_type_id"],
    }
    variant = {
        "id": item["variant_id"],
        "title": item["variant_title"],
        "sku": item["variant_sku"],
        "barcode": item["variant_barcode"],
        "product_id": item["product_id"],
        "options": [{"value": v, "option": {"title": k}} for k, v in (item["variant_option_values"] or {}).items()],
        "product": product,
    }
    return {"product": product if item["product_id"] else None, "variant": variant if item["variant_id"] else None}


def _money(value: Any) -> Decimal:
    return Decimal(str(value or 0))


def _summary(total: Decimal, collections: list[dict[str, Any]], currency: str) -> dict[str, Any]:
    """Medusa's order summary: what was paid and refunded (captured and refunded amounts of the order's payment
    collections) against the order total."""
    paid = sum((_money(c.get("captured_amount")) for c in collections), Decimal(0))
    refunded = sum((_money(c.get("refunded_amount")) for c in collections), Decimal(0))
    transactions = paid - refunded

    def r(value: Decimal) -> Decimal:
        return engine.round_amount(value, currency)

    return {
        "pending_difference": r(total - transactions),
        "current_order_total": total,
        "original_order_total": total,
        "transaction_total": r(transactions),
        "paid_total": r(paid),
        "refunded_total": r(refunded),
        "credit_line_total": r(Decimal(0)),
        "accounting_total": total,
    }


def payment_status(collections: list[dict[str, Any]], currency_code: str) -> str:
    """Medusa's getLastPaymentStatus over the order's payment collections."""
    epsilon = Decimal(1).scaleb(-engine.currency_digits(currency_code)) / 2
    tally: dict[str, float] = {}
    for c in collections:
        amount = c.get("amount")
        captured = _money(c.get("captured_amount"))
        refunded = _money(c.get("refunded_amount"))
        if captured > 0 or (amount is not None and _money(amount) == 0):
            tally["captured"] = tally.get("captured", 0) + (1 if _money(amount) - captured <= epsilon else 0.5)
        if refunded > 0:
            tally["refunded"] = tally.get("refunded", 0) + (1 if _money(amount) - refunded <= epsilon else 0.5)
        if c.get("status"):
            tally[c["status"]] = tally.get(c["status"], 0) + 1
    total = len(collections)
    except_canceled = total - tally.get("canceled", 0)
    if tally.get("requires_action", 0) > 0:
        return "requires_action"
    if tally.get("refunded", 0) > 0:
        return "refunded" if tally["refunded"] == tally.get("captured", 0) else "partially_refunded"
    if tally.get("captured", 0) > 0:
        return "captured" if tally["captured"] == except_canceled else "partially_captured"
    if tally.get("authorized", 0) > 0:
        return "authorized" if tally["authorized"] == except_canceled else "partially_authorized"
    if tally.get("canceled", 0) > 0 and tally["canceled"] == total:
        return "canceled"
    if tally.get("awaiting", 0) > 0:
        return "awaiting"
    return "not_paid"


_FULFILLMENT_STAGES = (
    ("delivered", "delivered_at", "delivered_quantity"),
    ("shipped", "shipped_at", "shipped_quantity"),
    ("fulfilled", "packed_at", "fulfilled_quantity"),
)


def fulfillment_status(items: list[dict[str, Any]], fulfillments: list[dict[str, Any]] | None) -> str:
    """Medusa's getLastFulfillmentStatus over the order's fulfillments and its lines' fulfilled quantities; with no
    fulfillments given (None), the same ladder read from the lines' quantities alone."""
    details = [i["detail"] for i in items]
    unfulfilled = any(d["fulfilled_quantity"] < d["quantity"] for d in details)
    if fulfillments is None:
        for stage, _, column in _FULFILLMENT_STAGES:
            if any(d[column] > 0 for d in details):
                whole = all(d[column] >= d["quantity"] for d in details)
                return stage if whole else f"partially_{stage}"
        return "not_fulfilled"
    tally: dict[str, int] = {}
    for f in fulfillments:
        # The first timestamp found, in order of precedence, is the fulfillment's state.
        for stage, column in (("canceled", "canceled_at"), *((s, c) for s, c, _ in _FULFILLMENT_STAGES)):
            if f.get(column):
                tally[stage] = tally.get(stage, 0) + 1
                break
    except_canceled = len(fulfillments) - tally.get("canceled", 0)
    for stage, _, _ in _FULFILLMENT_STAGES:
        if tally.get(stage, 0) > 0:
            return stage if tally[stage] == except_canceled and not unfulfilled else f"partially_{stage}"
    if tally.get("canceled", 0) > 0 and tally["canceled"] == len(fulfillments):
        return "canceled"
    return "not_fulfilled"
