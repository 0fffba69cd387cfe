"""A published product as the storefront serves it, made from its rendered document (catalog_product, rendered by
PostgreSQL at each change): the keys cart flows use, and the default `fields` projection pre-encoded as chunks around
each variant's calculated price, so a page is a join of bytes plus its calculated prices.

Stock is not in here: `variants.inventory_quantity` changes with every reservation, so it lives in its own small
read model (catalog.stock) and is spliced into the rendered JSON per request (stock.MARK marks its place)."""

import ctypes
import gc
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec

from commerce.catalog import shapes
from commerce.catalog.stock import MARK_VALUE
from commerce.http import fields

_encode = msgspec.json.Encoder(decimal_format="number").encode
# What an Entry costs beyond its bytes (objects, dict slots): counted so the cache's budget holds in RSS terms.
OVERHEAD = 2_000


class Entry:
    """One published product: its document (every selectable field, JSON), the keys cart flows and filters use, and
    the default projection pre-encoded as chunks around each variant's calculated price."""

    __slots__ = (
        "category_ids",
        "channel_ids",
        "chunks",
        "collection_id",
        "full_json",
        "handle",
        "id",
        "nbytes",
        "set_ids",
        "snapshots",
        "title",
        "type_id",
        "variant_ids",
    )

    def __init__(self, document: bytes, set_ids: Sequence[str | None], channel_ids: Iterable[str]) -> None:
        full = msgspec.json.decode(document)
        self.id: str = full["id"]
        self.handle: str = full["handle"]
        self.title: str = full["title"]
        self.collection_id: str | None = full["collection_id"]
        self.type_id: str | None = full["type_id"]
        self.category_ids = frozenset(c["id"] for c in full["categories"])
        self.channel_ids = frozenset(channel_ids)
        self.set_ids: list[str | None] = list(set_ids)
        self.variant_ids: list[str] = [v["id"] for v in full["variants"]]
        self.snapshots = {
            v["id"]: _snapshot(full, v, set_id) for v, set_id in zip(full["variants"], self.set_ids, strict=True)
        }
        self.chunks = _chunks(full)
        # Kept encoded, not as objects: ~10x less memory; decoded only for a non-default `fields`.
        self.full_json = document
        self.nbytes = OVERHEAD + 2 * len(document) + sum(len(c) for c in self.chunks)

    @property
    def full(self) -> dict[str, Any]:
        value: dict[str, Any] = msgspec.json.decode(self.full_json)
        return value

    def full_with_slots(self) -> dict[str, Any]:
        """`full` with each variant's inventory_quantity as the stock slot (stock.MARK_VALUE), for projections."""
        value = self.full
        for v in value["variants"]:
            v["inventory_quantity"] = MARK_VALUE
        return value


def _snapshot(product: dict[str, Any], variant: dict[str, Any], set_id: str | None) -> dict[str, Any]:
    """What a cart line item copies from its product and variant when it is added (Medusa's line item fields)."""
    return {
        "price_set_id": set_id,
        "product_id": product["id"],
        "product_title": product["title"],
        "product_description": product["description"],
        "product_subtitle": product["subtitle"],
        "product_type": (product.get("type") or {}).get("value"),
        "product_type_id": product["type_id"],
        "product_collection": (product.get("collection") or {}).get("title"),
        "product_handle": product["handle"],
        "is_discountable": product["discountable"],
        "thumbnail": variant.get("thumbnail") or product["thumbnail"],
        "variant_id": variant["id"],
        "variant_sku": variant["sku"],
        "variant_barcode": variant["barcode"],
        "variant_title": variant["title"],
        "variant_option_values": {o["option"]["title"]: o["value"] for o in variant["options"]},
        "requires_shipping": True,
    }


DEFAULT_PLAN = fields.plan(shapes.PRODUCT, shapes.PRODUCT_DEFAULTS, None)


def _chunks(full: dict[str, Any]) -> list[bytes]:
    """[head, variant_0 without its closing brace, ..., variant_n ...]: a page splices `}` or
    `,"calculated_price":{...}}` after each variant and `]}` at the end. Each variant's inventory_quantity is the
    stock slot (stock.MARK), filled per request."""
    slotted = {**full, "variants": [{**v, "inventory_quantity": MARK_VALUE} for v in full["variants"]]}
    projected = fields.apply(DEFAULT_PLAN, slotted)
    variants = projected.pop("variants")
    head = _encode(projected)[:-1] + b',"variants":['
    return [head, *(_encode(v)[:-1] for v in variants)]


def splice(entry: Entry, prices: Iterable[bytes | None]) -> bytes:
    """The product's default JSON with each variant's calculated price (or none) spliced in."""
    parts = [entry.chunks[0]]
    for n, (chunk, price) in enumerate(zip(entry.chunks[1:], prices, strict=True)):
        if n:
            parts.append(b",")
        parts.append(chunk)
        parts.append(b"}" if price is None else b',"calculated_price":' + price + b"}")
    parts.append(b"]}")
    return b"".join(parts)


def release_memory() -> None:
    """Give the rows a rebuild freed back to the OS, so a worker's RSS reflects what it keeps."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to trim
        pass
