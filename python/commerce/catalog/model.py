"""The in-memory catalog: published products as the store shows them, with their filters' keys, and JSON
encoded once per product for the default `fields`, so a page is a join of bytes plus its calculated prices.

Stock is not in here: `variants.inventory_quantity` changes with every reservation, so it lives in its own small
read model (catalog.stock) and is spliced into the rendered JSON per request (stock.MARK marks its place)."""

import ctypes
import gc
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import msgspec

from commerce.catalog import shapes
from commerce.catalog.stock import MARK_VALUE
from commerce.http import fields

_encode = msgspec.json.Encoder(decimal_format="number").encode


class Entry:
    """One published product: its full dict (every selectable field), the keys store filters use, and the default
    projection pre-encoded as chunks around each variant's calculated price."""

    __slots__ = (
        "category_ids",
        "channel_ids",
        "chunks",
        "collection_id",
        "created_at",
        "full_json",
        "handle",
        "id",
        "search",
        "set_ids",
        "snapshots",
        "tag_ids",
        "title",
        "type_id",
        "updated_at",
        "variant_ids",
    )

    def __init__(self, full: dict[str, Any], category_ids: list[str], channel_ids: list[str]) -> None:
        self.id: str = full["id"]
        self.handle: str = full["handle"]
        self.title: str = full["title"]
        self.created_at: str = full["created_at"]
        self.updated_at: str = full["updated_at"]
        self.collection_id: str | None = full["collection_id"]
        self.type_id: str | None = full["type_id"]
        self.tag_ids = frozenset(t["id"] for t in full["tags"])
        self.category_ids = frozenset(category_ids)
        self.channel_ids = frozenset(channel_ids)
        self.search = " ".join(str(full.get(k) or "") for k in ("title", "subtitle", "description", "handle")).lower()
        self.set_ids: list[str | None] = [v.pop("_price_set_id", None) for v in full["variants"]]
        self.variant_ids: list[str] = [v["id"] for v in full["variants"]]
        self.snapshots = {
            v["id"]: _snapshot(full, v, set_id) for v, set_id in zip(full["variants"], self.set_ids, strict=True)
        }
        self.chunks = _chunks(full)
        # Kept encoded, not as objects: ~10x less memory; decoded only for a non-default `fields`.
        self.full_json = _encode(full)

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


def build(rows: dict[str, list[dict[str, Any]]]) -> list[Entry]:
    """Assemble product dicts from the read model's rows (catalog.source.load_products)."""
    by_product: dict[str, dict[str, list[Any]]] = {}

    def rel(product_id: str, name: str) -> list[Any]:
        return by_product.setdefault(product_id, {}).setdefault(name, [])

    types = {t["id"]: t for t in rows["types"]}
    collections = {c["id"]: c for c in rows["collections"]}
    categories = {c["id"]: c for c in rows["categories"]}
    for image in rows["images"]:
        rel(image.pop("product_id"), "images").append(image)
    values: dict[str, list[dict[str, Any]]] = {}
    value_by_id: dict[str, dict[str, Any]] = {}
    for value in rows["values"]:
        values.setdefault(value["option_id"], []).append(value)
        value_by_id[value["id"]] = value
    options_by_id: dict[str, dict[str, Any]] = {}
    for option in rows["options"]:
        option["values"] = values.get(option["id"], [])
        options_by_id[option["id"]] = option
        rel(option["product_id"], "options").append(option)
    variant_values: dict[str, list[str]] = {}
    for vo in rows["variant_options"]:
        variant_values.setdefault(vo["variant_id"], []).append(vo["option_value_id"])
    for variant in rows["variants"]:
        variant["_price_set_id"] = variant.pop("price_set_id")
        opts = []
        for value_id in variant_values.get(variant["id"], []):
            found = value_by_id.get(value_id)
            if found is None:
                continue
            option = options_by_id[found["option_id"]]
            opts.append(
                {
                    **found,
                    "option": {"id": option["id"], "title": option["title"], "product_id": option["product_id"]},
                }
            )
        variant["options"] = sorted(opts, key=lambda o: o["option"]["title"])
        variant["images"] = []
        rel(variant["product_id"], "variants").append(variant)
    for tag in rows["tags"]:
        rel(tag.pop("product_id"), "tags").append(tag)
    product_categories: dict[str, list[str]] = {}
    for pc in rows["product_categories"]:
        product_categories.setdefault(pc["product_id"], []).append(pc["product_category_id"])
    channels: dict[str, list[str]] = {}
    for pc in rows["product_channels"]:
        channels.setdefault(pc["product_id"], []).append(pc["sales_channel_id"])

    entries = []
    for product in rows["products"]:
        pid = product["id"]
        relations = by_product.get(pid, {})
        full = {
            **product,
            "type": types.get(product["type_id"]) if product["type_id"] else None,
            "collection": collections.get(product["collection_id"]) if product["collection_id"] else None,
            "options": relations.get("options", []),
            "tags": relations.get("tags", []),
            "images": relations.get("images", []),
            "variants": relations.get("variants", []),
            "categories": [
                {k: categories[c][k] for k in shapes.CATEGORY_SCALARS}
                for c in product_categories.get(pid, [])
                if c in categories
            ],
        }
        full = msgspec.to_builtins(full, builtin_types=(datetime,))
        entries.append(Entry(_jsonable(full), product_categories.get(pid, []), channels.get(pid, [])))
    return entries


def _jsonable(obj: Any) -> Any:
    # Round-trip once through JSON so every value (datetimes, Decimals) is in its wire form: projections are then
    # plain dict work and encode fast.
    return msgspec.json.decode(_encode(obj))


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
