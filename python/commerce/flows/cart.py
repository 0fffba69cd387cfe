"""Cart flows (Medusa's cart workflows): add, update and remove items, promotions, taxes, the shipping method, and
the cart view with totals, calling the cart, customer, promotion, tax and fulfillment services. A cart is one
aggregate: a change takes it whole (the worker's own copy from its last change of the cart, else one statement),
computes the new state in memory from the worker's read models (line prices from the engine's PriceIndex for the
cart's context, promotions and totals from the engine, tax rates, stock) and writes it back in one conditional
statement; the answer is built from that state, so its totals are the engine's over exactly the lines shown."""

from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from contextlib import nullcontext
from datetime import UTC, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any, NamedTuple

import msgspec
from psycopg import AsyncConnection

from commerce import customer, fulfillment, payment
from commerce import totals as cart_totals
from commerce.cart import copies
from commerce.cart import service as carts
from commerce.cart.schemas import AddressInput, CreateCart, ItemInput, UpdateCart, UpdateItem
from commerce.catalog.documents import ByteLRU, CatalogReads
from commerce.catalog.prices import Prices
from commerce.catalog.stock import StockReads
from commerce.errors import CommerceError, InvalidData, NotAllowed, NotFound
from commerce.flows import flash
from commerce.http import Request
from commerce.ids import new_id
from commerce.promotion.service import Promotions
from commerce.region.service import RegionCatalog
from commerce.tax.service import TaxRates


class Reads(NamedTuple):
    """The read models a cart change needs: products and variants (loaded by variant id as the flow meets them, with
    their prices: `_prepare`), prices, regions, promotions, tax rates, and for a change that adds units, the stock."""

    catalog: CatalogReads
    prices: Prices
    regions: RegionCatalog
    promotions: Promotions
    taxes: TaxRates
    stock: StockReads | None = None  # loaded by `_prepare` for the variants the change may check
    holds: Mapping[str, dict[str, Any]] = MappingProxyType({})  # flash-sale settings by product id (inventory.holds)

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


async def reads_for(req: Request, *, stock: bool = False) -> Reads:
    """The read models as this worker holds them now (each reloads after a NOTIFY of its tables). With `stock`, the
    stock of the variants the change meets (`_prepare`): the worker's NOTIFY-coherent entries, the others read on the
    change's connection."""
    pool = req.state.pool
    return Reads(
        CatalogReads(req.state.documents),
        await req.state.prices.get(pool),
        await req.state.regions.get(pool),
        await req.state.promotions.get(pool),
        await req.state.tax_rates.get(pool),
        await req.state.stock.for_cart(pool) if stock else None,
        await req.state.hold_policies.get(pool),
    )


def _not_found(cart_id: str) -> NotFound:
    return NotFound(f"Cart id not found: {cart_id}")


async def _prepare(
    conn: AsyncConnection[Any], reads: Reads, cart: dict[str, Any], more: Iterable[str] = (), *, cached: bool = True
) -> None:
    """Load what this request's cart work needs of the catalog, which a worker does not hold whole: the documents of
    the variants in the cart (and `more`), and an engine index of their prices; from the worker's NOTIFY-coherent
    caches where they hold them, or with `cached=False` from the caller's transaction (checkout). With the stock
    model, the stock `_check_stock` may check: of `more` when the change names the variants it adds (add, create),
    else of every variant in the cart (a quantity change checks its line's)."""
    variant_ids = {str(i["variant_id"]) for i in cart["items"] if i.get("variant_id")} | set(more)
    await reads.catalog.load(conn, variant_ids, cached=cached)
    if reads.stock is not None:
        await reads.stock.load(conn, set(more) or variant_ids)
    set_ids = {
        f[1]["price_set_id"] for v in variant_ids if (f := reads.catalog.variants.get(v)) and f[1]["price_set_id"]
    }
    if set_ids - reads.catalog.priced:
        priced = set_ids | reads.catalog.priced
        reads.catalog.price_index = await reads.prices.index_for(conn, priced, cached=cached)
        reads.catalog.priced = priced


OPTIMISTIC_ATTEMPTS = 3  # conditional writes tried before a change takes the row lock (a hot cart: always progress)
Apply = Callable[[AsyncConnection[Any], Reads, dict[str, Any]], Awaitable[list[str] | None]]
# The carts written last, as written, so that the next change of one is one round trip, its conditional write; a copy
# that is behind loses that write and the cart as it is is read in the next round trip. Two places: this worker's
# own (the dict itself: no decoding) and the store its server's workers share (cart.copies), which a change asks
# first for the cart's latest version on this machine: with N workers a cart's next change lands on another worker
# N-1 times in N, which then takes the cart from there instead of reading it from PostgreSQL.
# The worker's own: a change takes its copy out (`_recall`) before working on it and puts it back only once written
# and answered, so no two requests ever hold the same dict. Bounded in bytes, counted as MEMORY_PER_RENDERED_BYTE
# times the cart's rendering (measured: 23 KB of objects for a 4-line cart rendered in 10.4 KB).
MEMORY_BYTES = 32 * 1024 * 1024
MEMORY_PER_RENDERED_BYTE = 2.5
_memory: ByteLRU[str, dict[str, Any]] = ByteLRU(MEMORY_BYTES)


class _Odds:
    """Whether copies may be written from unchecked: a copy that is behind costs a computed change thrown away, so
    when copies are often behind (servers sharing carts at random behind a load balancer, or workers without the
    shared store) and fewer than THRESHOLD of the last WINDOW copies were current (once SEEN are known), a change
    first asks PostgreSQL whether its copy is still current (`read_newer`), which keeps counting the odds."""

    WINDOW = 64
    THRESHOLD = 0.75
    SEEN = 16

    def __init__(self) -> None:
        self.outcomes: deque[bool] = deque(maxlen=self.WINDOW)
        self.current = 0  # of the outcomes (kept, not summed on every change)

    def worth_it(self) -> bool:
        return len(self.outcomes) < self.SEEN or self.current >= self.THRESHOLD * len(self.outcomes)

    def saw(self, current: bool) -> None:
        if len(self.outcomes) == self.WINDOW:
            self.current -= self.outcomes[0]
        self.outcomes.append(current)
        self.current += current


_odds = _Odds()


def _remember(cart: dict[str, Any], rendered: bytes, shared: copies.Shared | None) -> None:
    """Keep the cart as written (nothing may change it after this: the next change of it takes it out first)."""
    if shared is not None:
        shared.put(cart)
    _memory.put(cart["id"], cart, int(len(rendered) * MEMORY_PER_RENDERED_BYTE))


def _recall(cart_id: str, shared: copies.Shared | None) -> dict[str, Any] | None:
    """The latest copy of the cart on this machine: this worker's own unless another worker wrote the cart since."""
    own = _memory.pop(cart_id)  # used once: what the change writes (or finds) replaces it
    found = None if shared is None else shared.get(cart_id)
    if found is None or (own is not None and own["version"] >= found[0]):
        return own
    return copies.unpack(found[1])


async def _change(
    conn: AsyncConnection[Any],
    reads: Reads,
    cart_id: str,
    apply: Apply,
    *,
    force_taxes: bool = False,
    locked: bool = False,
    more: Iterable[str] = (),
) -> msgspec.Raw:
    """One cart change: take the aggregate (this worker's copy of it, else read), `apply` the change to it in memory
    (it returns the codes that must now apply, or None), evaluate promotions and taxes, write it back with its
    rendering over the version taken, answer the new cart (JSON). A write that lost to another writer starts over
    from the cart as it is; after OPTIMISTIC_ATTEMPTS such losses the change reads under the row lock instead, so it
    cannot lose again. Either way no writer's change is ever lost. A change refused on this worker's copy is tried
    again on PostgreSQL's (the copy may be behind). With `locked` (a change that also reserves stock: flash-sale
    holds) it starts under the lock, so its reservations and its write commit together or not at all."""
    fresh: dict[str, Any] | None = None  # the cart as a lost write found it
    shared = await copies.store_for(conn)
    for attempt in range(OPTIMISTIC_ATTEMPTS if locked else 0, OPTIMISTIC_ATTEMPTS + 1):
        locked = attempt == OPTIMISTIC_ATTEMPTS
        copy = _recall(cart_id, shared) if not locked and fresh is None and attempt == 0 else None
        checked = False  # the copy is known current (read_newer found no newer version)
        if copy is not None and not _odds.worth_it():
            # The copy is as likely behind as not (workers sharing carts): read the cart only if it changed since.
            newer = await carts.read_newer(conn, cart_id, copy["version"])
            _odds.saw(newer is None)
            copy, fresh, checked = (copy, None, True) if newer is None else (None, newer, False)
        async with conn.transaction() if locked else nullcontext():
            if copy is not None:
                cart: dict[str, Any] | None = copy
            elif fresh is not None and not locked:
                cart, fresh = fresh, None
            else:
                cart = await carts.read(conn, cart_id, lock=locked)
            if cart is None:
                raise _not_found(cart_id)
            try:
                if cart["completed_at"] is not None:
                    raise NotAllowed(f"Cart {cart_id} is already completed")
                await _prepare(conn, reads, cart, more)
                strict = await apply(conn, reads, cart)
                _reckon(reads, cart, strict, force_taxes=force_taxes)
            except CommerceError:
                if copy is None:
                    raise
                continue  # refused on this worker's copy: decided again on the cart as it is
            cart["updated_at"] = datetime.now(UTC)
            rendered = _render(reads, cart)
            # Writes of changes computed together go in one round trip while other workers of this server share the
            # machine: it halves PostgreSQL's CPU per write (one backend woken for several), and costs the worker
            # more than it saves when the worker is alone with cores to spare (bench/RESULTS.md, http-carts).
            batch = shared is not None and shared.shared()
            if copy is not None:
                written, fresh = await carts.write_or_read(conn, cart, rendered, batch=batch)
                if not checked:
                    _odds.saw(written is not None)
            else:
                written = await carts.write(conn, cart, rendered, batch=batch)
        if written is not None:
            cart |= written
            answer = await _send(conn, reads.regions, rendered, cart)
            _remember(cart, rendered, shared)  # after its last use here: from now on the next change of it may take it
            return answer
    raise RuntimeError("a change under the cart's row lock was not written")  # the WHERE holds under the lock


async def create(
    conn: AsyncConnection[Any],
    reads: Reads,
    data: CreateCart,
    key_channels: tuple[str, ...],
    customer_id: str | None,
    default_region_id: str | None,
) -> msgspec.Raw:
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
    await flash.refuse_sold_out(i.variant_id for i in data.items)  # from memory, before any database work
    if data.shipping_address is not None:
        _check_country(region, data.shipping_address.country_code)
    if customer_id is None and email:
        customer_id = await customer.service.guest_for_email(conn, email)
    who = await customer.service.summary(conn, customer_id) if customer_id else None
    if who is not None and not email:
        email = who["email"]  # as Medusa: the customer's email
    cart: dict[str, Any] = {
        "id": new_id("cart"),
        "region_id": region.id,
        "customer_id": customer_id,
        "sales_channel_id": channel,
        "email": email,
        "currency_code": currency,
        "metadata": data.metadata,
        "completed_at": None,
        "items": [],
        "shipping_methods": [],
        "promo_codes": list(dict.fromkeys(data.promo_codes)),
        "shipping_address": _address(data.shipping_address, customer_id),
        "billing_address": _address(data.billing_address, customer_id),
        "customer": who,
        "payment_collection_id": None,
    }
    await _prepare(conn, reads, cart, [i.variant_id for i in data.items])
    for item in data.items:
        _add(reads, cart, item)
    _reckon(reads, cart, data.promo_codes or None)
    cart["created_at"] = cart["updated_at"] = datetime.now(UTC)
    rendered = _render(reads, cart)
    held = sorted({i.variant_id for i in data.items if flash.holds_at_add(reads.catalog, reads.holds, i.variant_id)})
    async with conn.transaction() if held else nullcontext():  # the cart and its flash-sale holds, together
        await carts.insert(conn, cart, rendered)
        for variant_id in held:
            await flash.hold(conn, reads.catalog, reads.holds, cart, variant_id)
    return await _send(conn, reads.regions, rendered, cart)


async def retrieve(conn: AsyncConnection[Any], reads: Reads, cart_id: str, *, lock: bool = False) -> dict[str, Any]:
    """The cart with its lines, adjustments, tax lines, shipping methods and addresses, read in one statement (one
    snapshot: the totals come from exactly the lines shown); with `lock`, holding its row lock (checkout)."""
    cart = await carts.read(conn, cart_id, lock=lock)
    if cart is None:
        raise _not_found(cart_id)
    await _prepare(conn, reads, cart, cached=not lock)
    region = reads.regions.by_id.get(cart["region_id"] or "")
    return {
        **_view(reads, cart),
        "region": msgspec.to_builtins(region) if region else None,
        **await _beside(conn, cart),
    }


async def retrieve_rendered(conn: AsyncConnection[Any], req: Request, cart_id: str) -> msgspec.Raw:
    """The cart (JSON) as GET /store/carts/:id sends it: one primary-key read of what its last change rendered, with
    its region, customer and payment collection as they are now. Only the regions read model is needed then."""
    found = await carts.read_rendered(conn, cart_id)
    if found is None:
        raise _not_found(cart_id)
    if found["rendered"] is None:  # a cart from before renderings were kept, or a completed one
        reads = await reads_for(req)
        cart = await carts.read(conn, cart_id)
        if cart is None:
            raise _not_found(cart_id)
        await _prepare(conn, reads, cart)
        return await _send(conn, reads.regions, _render(reads, cart), cart)
    return await _send(conn, await req.state.regions.get(req.state.pool), found["rendered"], found)


def _render(reads: Reads, cart: dict[str, Any]) -> bytes:
    """The cart view as JSON, less its closing brace (what `_send` completes)."""
    return _JSON.encode(_view(reads, cart, encoded=True))[:-1]


async def _send(
    conn: AsyncConnection[Any], regions: RegionCatalog, rendered: bytes, cart: dict[str, Any]
) -> msgspec.Raw:
    """A rendered cart completed with what other modules own, as they are now: region, payment collection,
    customer (`cart` needs region_id, customer and payment_collection_id)."""
    region_id = cart["region_id"] or ""
    region = regions.memo.get(("cart.region", region_id))
    if region is None:  # encoded once per region and RegionCatalog (a new one after any region change)
        region = regions.remember(("cart.region", region_id), _JSON.encode(regions.by_id.get(region_id)))
    if cart["payment_collection_id"] is None and cart["customer"] is None:
        beside = _NOBODY  # a guest's cart before checkout
    else:
        beside = _JSON.encode(await _beside(conn, cart))[1:]
    return msgspec.Raw(b"".join((rendered, b',"region":', region, b",", beside)))


async def _beside(conn: AsyncConnection[Any], cart: dict[str, Any]) -> dict[str, Any]:
    """The cart's payment collection (read only when it has one) and customer."""
    collection_id = cart["payment_collection_id"]
    who = cart["customer"]
    return {
        "payment_collection": (
            await payment.service.collection_of_cart(conn, cart["id"]) if collection_id is not None else None
        ),
        "customer": (
            None
            if who is None
            else {"id": who["id"], "email": who["email"], "groups": [{"id": g} for g in who["group_ids"]]}
        ),
    }


_JSON = msgspec.json.Encoder(decimal_format="number")  # as commerce.http's json_response
_NOBODY = b'"payment_collection":null,"customer":null}'  # `_beside` of a cart without either, less its `{`


async def add_shipping_method(
    conn: AsyncConnection[Any], reads: Reads, cart_id: str, option_id: str, data: dict[str, Any] | None
) -> msgspec.Raw:
    """The cart ships with this option (it replaces the one chosen before); 400 when it does not serve the cart."""

    async def apply(conn: AsyncConnection[Any], reads: Reads, cart: dict[str, Any]) -> None:
        option = await fulfillment.service.option_for_cart(conn, reads, option_id, _view(reads, cart))
        now = _now()
        cart["shipping_methods"] = [
            {
                "id": new_id("casm"),
                "cart_id": cart_id,
                "shipping_option_id": option["id"],
                "name": option["name"],
                "amount": option["amount"],
                "is_tax_inclusive": option["is_tax_inclusive"],
                "data": {**(option.get("data") or {}), **(data or {})},
                "tax_lines": [],
                "created_at": now,
                "updated_at": now,
            }
        ]

    return await _change(conn, reads, cart_id, apply)


async def update(
    conn: AsyncConnection[Any], reads: Reads, cart_id: str, data: UpdateCart, key_channels: tuple[str, ...]
) -> msgspec.Raw:
    async def apply(conn: AsyncConnection[Any], reads: Reads, cart: dict[str, Any]) -> list[str] | None:
        changed: set[str] = set()
        if data.email is not msgspec.UNSET:
            cart["email"] = data.email
            if data.email and cart["customer_id"] is None:
                # As Medusa: an email on a guest cart finds or makes the guest customer behind it.
                guest = await customer.service.guest_for_email(conn, data.email)
                cart["customer_id"], cart["customer"] = guest, await customer.service.summary(conn, guest)
        if data.metadata is not msgspec.UNSET:
            cart["metadata"] = data.metadata
        if data.sales_channel_id is not msgspec.UNSET:
            cart["sales_channel_id"] = _channel(data.sales_channel_id, key_channels)
            changed.add("sales_channel_id")
        region = reads.regions.by_id.get(cart["region_id"] or "")
        if data.region_id is not msgspec.UNSET and data.region_id != cart["region_id"]:
            region = reads.regions.by_id.get(data.region_id)
            if region is None:
                raise NotFound(f"Region with id: {data.region_id} was not found")
            cart |= {"region_id": region.id, "currency_code": region.currency_code}
            changed.add("region_id")
            # The address of another region does not ship from this one (Medusa clears it).
            current = cart["shipping_address"]
            if current and not _in_region(region, current["country_code"]):
                cart["shipping_address"] = None
                changed.add("shipping_address")
        for kind in ("shipping_address", "billing_address"):
            value = getattr(data, kind)
            if value is not msgspec.UNSET:
                if kind == "shipping_address" and value is not None:
                    _check_country(region, value.country_code)
                cart[kind] = _address(value, cart["customer_id"])
                changed.add(kind)
        if {"region_id", "sales_channel_id"} & changed:
            _reprice(reads, cart)
        if {"region_id", "shipping_address", "sales_channel_id"} & changed:
            # The chosen shipping option may not serve the new address: the shopper picks again.
            cart["shipping_methods"] = []
        codes = [] if data.promo_codes is msgspec.UNSET else data.promo_codes
        _add_codes(cart, codes)
        return codes or None

    return await _change(conn, reads, cart_id, apply)


async def add_item(conn: AsyncConnection[Any], reads: Reads, cart_id: str, item: ItemInput) -> msgspec.Raw:
    await flash.refuse_sold_out([item.variant_id])  # from memory, before any database work
    await reads.catalog.load(conn, [item.variant_id])
    holding = flash.holds_at_add(reads.catalog, reads.holds, item.variant_id)

    async def apply(conn: AsyncConnection[Any], reads: Reads, cart: dict[str, Any]) -> None:
        _add(reads, cart, item)
        if holding:
            await flash.hold(conn, reads.catalog, reads.holds, cart, item.variant_id)

    return await _change(conn, reads, cart_id, apply, locked=holding, more=[item.variant_id])


async def update_item(
    conn: AsyncConnection[Any], reads: Reads, cart_id: str, item_id: str, data: UpdateItem
) -> msgspec.Raw:
    async def apply(conn: AsyncConnection[Any], reads: Reads, cart: dict[str, Any]) -> None:
        lines = cart["items"]
        current = next((i for i in lines if i["id"] == item_id), None)
        if current is None:
            raise NotFound(f"Line item with id: {item_id} was not found")
        if data.quantity == 0:
            lines.remove(current)
            return
        variant_id = str(current["variant_id"])
        price = _price(reads, cart, variant_id, data.quantity)
        if data.quantity > current["quantity"]:
            others = sum(i["quantity"] for i in lines if i["variant_id"] == variant_id and i["id"] != item_id)
            _check_stock(reads, cart, variant_id, others + data.quantity)
        _set_quantity(current, data.quantity, price)
        if data.metadata is not msgspec.UNSET:
            current["metadata"] = data.metadata

    return await _change(conn, reads, cart_id, apply)


async def delete_item(conn: AsyncConnection[Any], reads: Reads, cart_id: str, item_id: str) -> msgspec.Raw:
    async def apply(conn: AsyncConnection[Any], reads: Reads, cart: dict[str, Any]) -> None:
        kept = [i for i in cart["items"] if i["id"] != item_id]
        if len(kept) == len(cart["items"]):
            raise NotFound(f"Line item with id: {item_id} was not found")
        cart["items"] = kept

    return await _change(conn, reads, cart_id, apply)


async def set_customer(
    conn: AsyncConnection[Any], reads: Reads, cart_id: str, customer_id: str, email: str
) -> msgspec.Raw:
    """A logged-in customer takes over a guest cart (and its prices become theirs)."""

    async def apply(conn: AsyncConnection[Any], reads: Reads, cart: dict[str, Any]) -> None:
        owner = cart["customer"]
        if cart["customer_id"] and cart["customer_id"] != customer_id and owner is not None and owner["has_account"]:
            # A guest's cart (an email only) can be taken over; a registered customer's cannot.
            raise NotAllowed("Cannot transfer cart to another customer")
        cart |= {"customer_id": customer_id, "email": email}
        cart["customer"] = await customer.service.summary(conn, customer_id)
        _reprice(reads, cart)

    return await _change(conn, reads, cart_id, apply)


async def add_promotions(conn: AsyncConnection[Any], reads: Reads, cart_id: str, codes: list[str]) -> msgspec.Raw:
    """Apply codes: each must give the cart something now, else 400 naming the code and why (cart unchanged)."""

    async def apply(conn: AsyncConnection[Any], reads: Reads, cart: dict[str, Any]) -> list[str]:
        _add_codes(cart, codes)
        return codes

    return await _change(conn, reads, cart_id, apply)


async def remove_promotions(conn: AsyncConnection[Any], reads: Reads, cart_id: str, codes: list[str]) -> msgspec.Raw:
    async def apply(conn: AsyncConnection[Any], reads: Reads, cart: dict[str, Any]) -> None:
        gone = set(codes)
        cart["promo_codes"] = [c for c in cart["promo_codes"] if c not in gone]

    return await _change(conn, reads, cart_id, apply)


async def calculate_taxes(conn: AsyncConnection[Any], reads: Reads, cart_id: str) -> msgspec.Raw:
    """Tax lines for the cart's shipping address now, also where the region does not tax automatically."""

    async def apply(conn: AsyncConnection[Any], reads: Reads, cart: dict[str, Any]) -> None:
        if cart["shipping_address"] is None:
            raise InvalidData("The cart needs a shipping address with a country to calculate taxes")

    return await _change(conn, reads, cart_id, apply, force_taxes=True)


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


def _add_codes(cart: dict[str, Any], codes: list[str]) -> None:
    cart["promo_codes"] = list(dict.fromkeys([*cart["promo_codes"], *codes]))


def _reckon(reads: Reads, cart: dict[str, Any], strict: list[str] | None = None, *, force_taxes: bool = False) -> None:
    """One engine evaluation of the promotions for the cart as it now is (its adjustments replace the old ones),
    then its tax lines. Codes in `strict` (just entered) must apply, or the whole change fails. A cart without codes
    in a store without automatic promotions has none to evaluate (the engine call and its context cost ~20-30 us)."""
    items = cart["items"]
    if cart["promo_codes"] or reads.promotions.automatic:
        _promote(reads, cart, strict)
    else:
        for i in items:
            i["adjustments"] = []
    region = reads.regions.by_id.get(cart["region_id"] or "")
    if force_taxes or (region is not None and region.automatic_taxes):
        _tax(reads, cart)
    else:
        # Without automatic taxes, lines are taxed on request (POST .../taxes) and a change drops that result.
        for i in items:
            i["tax_lines"] = []


def _promote(reads: Reads, cart: dict[str, Any], strict: list[str] | None) -> None:
    """The engine's adjustments of the cart's lines for its codes and the automatic promotions."""
    items = cart["items"]
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
        "customer": {"id": cart["customer_id"], "groups": [{"id": g} for g in _groups(cart)]},
        "items": context_items,
        "shipping_methods": [],
    }
    result = reads.promotions.set.evaluate(context, cart["promo_codes"], datetime.now(UTC))
    rejected = {r["code"]: r["reason"] for r in result["rejected_codes"]}
    applied_codes = {a["code"] for a in result["item_adjustments"] if a.get("code")}
    for code in strict or []:
        reason = rejected.get(code) or (None if code in applied_codes else "not_applicable")
        if reason:
            raise InvalidData(f"The promotion code {code} is invalid: {REASONS.get(reason, reason)}")
    # An adjustment of a line by a promotion that adjusted it before keeps its id (an id costs a ULID).
    kept = {(a["item_id"], a["promotion_id"]): a["id"] for i in items for a in i["adjustments"]}
    by_item: dict[str, list[dict[str, Any]]] = {}
    for a in sorted(result["item_adjustments"], key=lambda a: a["promotion_id"]):
        by_item.setdefault(a["item_id"], []).append(
            {
                "id": kept.pop((a["item_id"], a["promotion_id"]), None) or new_id("caliadj"),
                "item_id": a["item_id"],
                "amount": a["amount"],
                "code": a.get("code"),
                "promotion_id": a["promotion_id"],
                "is_tax_inclusive": bool(a.get("is_tax_inclusive")),
            }
        )
    for i in items:
        i["adjustments"] = by_item.get(i["id"], [])


def _tax(reads: Reads, cart: dict[str, Any]) -> None:
    """The lines' and methods' tax lines for the shipping address, from the worker's copy of the tax rates (none
    without an address)."""
    items = cart["items"]
    methods = cart["shipping_methods"]
    address = cart["shipping_address"]
    item_lines: dict[str, list[Any]] = {}
    method_lines: dict[str, list[Any]] = {}
    if address and address["country_code"]:
        lines = reads.taxes.lines(
            {"country_code": address["country_code"], "province_code": address["province"]},
            [{"id": i["id"], "product_id": i["product_id"], "product_type_id": i["product_type_id"]} for i in items],
            [{"id": m["id"], "shipping_option_id": m["shipping_option_id"]} for m in methods],
        )
        item_lines, method_lines = dict(lines["items"]), dict(lines["shipping_methods"])
    # A line taxed again at the same rate keeps its tax line's id (an id costs a ULID).
    kept = {(t["item_id"], t["tax_rate_id"], t["code"]): t["id"] for i in items for t in i["tax_lines"]}
    for i in items:
        i["tax_lines"] = [
            {
                "id": kept.pop((i["id"], t["tax_rate_id"], t["code"]), None) or new_id("calitxl"),
                "item_id": i["id"],
                "rate": t["rate"],
                "code": t["code"],
                "name": t["name"],
                "tax_rate_id": t["tax_rate_id"],
                "provider_id": t["provider_id"],
            }
            for t in item_lines.get(i["id"], [])
        ]
    for m in methods:
        m["tax_lines"] = [dict(t) for t in method_lines.get(m["id"], [])]


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


_TIME = msgspec.json.Encoder()


def _now() -> str:
    """Now as the documents keep timestamps (ISO 8601, UTC, as msgspec encodes a datetime)."""
    return _TIME.encode(datetime.now(UTC)).decode()[1:-1]


def _address(data: AddressInput | None, customer_id: str | None) -> dict[str, Any] | None:
    if data is None:
        return None
    values = msgspec.structs.asdict(data)
    if values["country_code"]:
        values["country_code"] = values["country_code"].lower()
    now = _now()
    return {
        "id": new_id("caaddr"),
        "customer_id": customer_id,
        **values,
        "created_at": now,
        "updated_at": now,
        "deleted_at": None,
    }


def _groups(cart: dict[str, Any]) -> list[str]:
    who = cart["customer"]
    return list(who["group_ids"]) if who else []


def _price(reads: Reads, cart: dict[str, Any], variant_id: str, quantity: int) -> dict[str, Any]:
    """unit_price, compare_at_unit_price and tax inclusivity of a variant for this cart and quantity."""
    found = reads.catalog.variants.get(variant_id)
    if found is None or (cart["sales_channel_id"] and cart["sales_channel_id"] not in found[0].channel_ids):
        raise InvalidData(
            f"Variants with IDs {variant_id} do not exist or are not available in the cart's sales channel"
        )
    snapshot = found[1]
    context = {
        "currency_code": cart["currency_code"],
        "region_id": cart["region_id"],
        "customer_group_ids": _groups(cart),
        "quantity": quantity,
        "now": datetime.now(UTC),
    }
    set_id = snapshot["price_set_id"]
    index = reads.catalog.price_index
    price = index.calculate([set_id], context).get(set_id) if set_id and index is not None else None
    if price is None:
        raise InvalidData(f"Variants with IDs {variant_id} do not have a price in {cart['currency_code']}")
    amount, original = price.calculated_amount, price.original_amount  # each read builds a Decimal
    return {
        "unit_price": amount,
        "compare_at_unit_price": original if original is not None and original > amount else None,
        "is_tax_inclusive": price.is_calculated_price_tax_inclusive,
        "snapshot": snapshot,
    }


def _check_stock(reads: Reads, cart: dict[str, Any], variant_id: str, quantity: int) -> None:
    """Refuse more units of a managed, non-backorderable variant than the locations of the cart's sales channel can
    sell (Medusa's confirm-inventory on add to cart), from the levels `_prepare` loaded for the change.
    Checkout checks again, atomically, when it reserves."""
    stock = reads.stock
    if stock is None:
        raise RuntimeError("this cart change needs the stock model (reads_for(req, stock=True))")
    if not stock.manages(variant_id) or stock.allows_backorder(variant_id):
        return
    channel = cart["sales_channel_id"]
    available = stock.quantity(variant_id, [channel] if channel else []) or 0
    if quantity > available:
        raise NotAllowed(
            f"Some variant does not have the required inventory: {variant_id} has {available} available",
            code="insufficient_inventory",
        )


def _set_quantity(line: dict[str, Any], quantity: int, price: dict[str, Any]) -> None:
    line |= {
        "quantity": quantity,
        "unit_price": price["unit_price"],
        "compare_at_unit_price": price["compare_at_unit_price"],
        "is_tax_inclusive": price["is_tax_inclusive"],
        "updated_at": _now(),
    }


def _add(reads: Reads, cart: dict[str, Any], item: ItemInput) -> None:
    lines = cart["items"]
    in_cart = sum(i["quantity"] for i in lines if i["variant_id"] == item.variant_id)
    existing = next(
        (i for i in lines if i["variant_id"] == item.variant_id and (i["metadata"] or None) == (item.metadata or None)),
        None,
    )
    if existing is not None:
        quantity = existing["quantity"] + item.quantity
        if quantity > 100_000:
            raise InvalidData("Invalid request: quantity must be at most 100000")
        price = _price(reads, cart, item.variant_id, quantity)
        _check_stock(reads, cart, item.variant_id, in_cart + item.quantity)
        _set_quantity(existing, quantity, price)
        return
    price = _price(reads, cart, item.variant_id, item.quantity)
    _check_stock(reads, cart, item.variant_id, in_cart + item.quantity)
    snap = price.pop("snapshot")
    now = _now()
    lines.append(
        {
            "id": new_id("cali"),
            "cart_id": cart["id"],
            "title": snap["product_title"],
            "subtitle": snap["variant_title"],
            **{k: v for k, v in snap.items() if k != "price_set_id"},
            "quantity": item.quantity,
            "is_custom_price": False,
            **price,
            "metadata": item.metadata,
            "created_at": now,
            "updated_at": now,
            "deleted_at": None,
            "adjustments": [],
            "tax_lines": [],
        }
    )


def _reprice(reads: Reads, cart: dict[str, Any]) -> None:
    """Price every line again for the cart's (new) context; a line with no price there fails the change."""
    for line in cart["items"]:
        _set_quantity(line, line["quantity"], _price(reads, cart, str(line["variant_id"]), line["quantity"]))


def _view(reads: Reads, cart: dict[str, Any], *, encoded: bool = False) -> dict[str, Any]:
    """The cart object of Medusa's `{cart}` answer, less region, payment_collection and customer; with `encoded`,
    its lines as JSON (to be encoded)."""
    items = cart["items"]
    methods = cart["shipping_methods"]
    totals = cart_totals.of_lines(cart["currency_code"], items, methods)
    shipping, billing = cart["shipping_address"], cart["billing_address"]
    adjustments = [a for i in items for a in i["adjustments"]]
    return {
        **{k: cart[k] for k in CART_FIELDS},
        "shipping_address_id": shipping["id"] if shipping else None,
        "billing_address_id": billing["id"] if billing else None,
        "deleted_at": None,
        **{k: totals[k] for k in cart_totals.FIELDS},
        # A line's totals row starts with its id, unit_price and quantity (the line's own objects, echoed): keys
        # the line has already, so they keep their place and value, and the nine totals fields follow.
        "items": [
            _encoded_line(reads, cart["currency_code"], i, t)
            if encoded
            else {**i, **_product_and_variant(i, _collection(reads, i)), **t}
            for i, t in zip(items, totals["items"], strict=True)
        ],
        "shipping_methods": [
            {**m, "adjustments": [], **{k: v for k, v in t.items() if k not in ("id", "amount")}}
            for m, t in zip(methods, totals["shipping_methods"], strict=True)
        ],
        "promotions": _promotions(reads, sorted(adjustments, key=_adjustment_order)) if adjustments else [],
        "shipping_address": shipping,
        "billing_address": billing,
    }


CART_FIELDS = (
    "id",
    "region_id",
    "customer_id",
    "sales_channel_id",
    "email",
    "currency_code",
    "metadata",
    "completed_at",
    "created_at",
    "updated_at",
)


def _adjustment_order(a: dict[str, Any]) -> tuple[str, str, str]:
    return (a["item_id"], a["promotion_id"], a["id"])


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


# A line's JSON by all it is made of: its id and updated_at (set by every change of its quantity, prices or
# metadata), its adjustments and tax lines, the cart's currency (its totals' digits) and its product's collection.
# A change of a cart of n lines renders the lines it changed, not all n. Forgotten whole when full.
_LINES: dict[tuple[Any, ...], msgspec.Raw] = {}
# items[].product and items[].variant as JSON by all they are made of (the line's snapshot fields, the collection).
_PARTS: dict[tuple[Any, ...], dict[str, msgspec.Raw]] = {}
KEPT = 4096


def _collection(reads: Reads, item: dict[str, Any]) -> str | None:
    found = reads.catalog.variants.get(str(item["variant_id"]))
    return found[0].collection_id if found is not None else None


def _encoded_line(reads: Reads, currency: str, item: dict[str, Any], totals: dict[str, Any]) -> msgspec.Raw:
    collection = _collection(reads, item)
    adjustments, taxes = item["adjustments"], item["tax_lines"]
    key = (
        item["id"],
        item["updated_at"],
        item["quantity"],
        currency,
        collection,
        # Amounts as rendered (Decimal("1.50") == Decimal("1.5")).
        tuple((a["id"], str(a["amount"]), a["is_tax_inclusive"], a["code"], a["promotion_id"]) for a in adjustments)
        if adjustments
        else (),
        tuple((t["id"], str(t["rate"]), t["code"], t["name"], t["tax_rate_id"], t["provider_id"]) for t in taxes)
        if taxes
        else (),
    )
    line = _LINES.get(key)
    if line is None:
        if len(_LINES) >= KEPT:
            _LINES.clear()
        line = _LINES[key] = msgspec.Raw(
            _JSON.encode({**item, **_encoded_product_and_variant(item, collection), **totals})
        )
    return line


def _encoded_product_and_variant(item: dict[str, Any], collection: str | None) -> dict[str, msgspec.Raw]:
    key = (
        collection,
        item["product_id"],
        item["product_title"],
        item["product_subtitle"],
        item["product_description"],
        item["product_handle"],
        item["thumbnail"],
        item["product_type_id"],
        item["variant_id"],
        item["variant_title"],
        item["variant_sku"],
        item["variant_barcode"],
        tuple((item["variant_option_values"] or {}).items()),
    )
    parts = _PARTS.get(key)
    if parts is None:
        if len(_PARTS) >= KEPT:
            _PARTS.clear()
        built = _product_and_variant(item, collection)
        parts = _PARTS[key] = {k: msgspec.Raw(_JSON.encode(v)) for k, v in built.items()}
    return parts


def _product_and_variant(item: dict[str, Any], collection: str | None) -> dict[str, Any]:
    """items[].product and items[].variant as the storefront reads them (from the line's own snapshot when the
    product is no longer published)."""
    thumbnail = item["thumbnail"]
    product = {
        "id": item["product_id"],
        "title": item["product_title"],
        "subtitle": item["product_subtitle"],
        "description": item["product_description"],
        "handle": item["product_handle"],
        "thumbnail": thumbnail,
        "collection_id": collection,
        "type_id": item["product_type_id"],
    }
    variant = {
        "id": item["variant_id"],
        "title": item["variant_title"],
        "sku": item["variant_sku"],
        "barcode": item["variant_barcode"],
        "product_id": item["product_id"],
        "options": [{"value": v, "option": {"title": k}} for k, v in (item["variant_option_values"] or {}).items()],
    }
    return {"product": product, "variant": variant}
