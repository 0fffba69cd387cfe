"""The storefront documents (catalog_product) of a bulk import's new products, made by the importer from the rows it
has just written instead of by `catalog_render` (migrations 0050/0067) reading them back: the same bytes, which
tests/db/test_bulk_documents.py compares. The SQL render built ~60 % of its ~5 s of backend CPU per 10,000 products
as JSON (issue 10: import >= 2,000 products/s); here the strings are joined in Python, ~10x cheaper.

Exactly what PostgreSQL would print, or nothing: a product whose document could differ is left to the SQL render
(`Renderer.add` returns False). What could differ: text ordering (`ORDER BY` on text follows the database's
collation; Python sorts by code point, which is the C collation's order), `lower()` outside ASCII (it follows the
database's ctype) and floats that PostgreSQL writes with an exponent. The rows the products refer to (type,
collection, tags, categories) are printed by PostgreSQL itself, once per import (REFERENCED_*)."""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from json.encoder import encode_basestring
from typing import Any

from psycopg import AsyncConnection

# The database's collation, ctype and encoding (what text ordering and lower() follow); on PostgreSQL 15+ its locale
# provider, ICU's locale taking their place when it is 'i' (to_jsonb: the columns do not exist before 15).
LOCALE = """
SELECT datcollate, datctype, current_setting('server_encoding'),
    coalesce(to_jsonb(d) ->> 'datlocprovider', 'c'), coalesce(to_jsonb(d) ->> 'daticulocale', '')
FROM pg_database d WHERE datname = current_database()
"""
# The referenced rows as catalog_render prints them (the same expressions), with the keys it orders them by.
REFERENCED_TYPES = """
SELECT id, value, json_build_object('id', id, 'value', value, 'metadata', metadata,
    'created_at', catalog_ts(created_at), 'updated_at', catalog_ts(updated_at), 'deleted_at', catalog_ts(deleted_at)
)::text FROM product_type WHERE id = ANY(%s) AND deleted_at IS NULL
"""
REFERENCED_COLLECTIONS = """
SELECT id, title, json_build_object('id', id, 'title', title, 'handle', handle, 'metadata', metadata,
    'created_at', catalog_ts(created_at), 'updated_at', catalog_ts(updated_at), 'deleted_at', catalog_ts(deleted_at)
)::text FROM product_collection WHERE id = ANY(%s) AND deleted_at IS NULL
"""
REFERENCED_TAGS = """
SELECT id, value, json_build_object('id', id, 'value', value, 'metadata', metadata,
    'created_at', catalog_ts(created_at), 'updated_at', catalog_ts(updated_at), 'deleted_at', catalog_ts(deleted_at)
)::text FROM product_tag WHERE id = ANY(%s) AND deleted_at IS NULL
"""
REFERENCED_CATEGORIES = """
SELECT id, name, rank, created_at, json_build_object('id', id, 'name', name, 'description', description,
    'handle', handle, 'rank', rank, 'parent_category_id', parent_category_id, 'metadata', metadata,
    'created_at', catalog_ts(created_at), 'updated_at', catalog_ts(updated_at), 'deleted_at', catalog_ts(deleted_at)
)::text FROM product_category WHERE id = ANY(%s) AND deleted_at IS NULL
"""
# What catalog_render writes for a product (0067: no `search` column any more).
DOCUMENT_COLUMNS = (
    "id",
    "handle",
    "title",
    "collection_id",
    "type_id",
    "channel_ids",
    "category_ids",
    "tag_ids",
    "variant_ids",
    "set_ids",
    "created_at",
    "updated_at",
    "search_text",
    "document",
)
COPY_DOCUMENTS = "COPY catalog_product ({}) FROM STDIN".format(", ".join(DOCUMENT_COLUMNS))
NOTIFY_CATALOG = "SELECT pg_notify('commerce_catalog', %s)"
# catalog_render_many's statistics rule (migration 0060): documents written into a catalog that has outgrown its
# statistics are ANALYZEd (the search and list plans read them).
STALE = "SELECT reltuples < %s FROM pg_class WHERE oid = 'product'::regclass"
ANALYZE = "ANALYZE catalog_product, catalog_search"
C_COLLATIONS = frozenset({"c", "posix", "c.utf-8", "c.utf8"})
# Ids made by commerce.ids: a prefix and 26 ULID characters. Under any collation, ids with the same prefix order as
# their bytes do (digits before letters, upper case only, the same length).
ULID_ID = re.compile(r"[a-z]+_[0-9A-Z]{26}")

PRODUCT_FIELDS = (
    ("id", "s"),
    ("title", "s"),
    ("handle", "s"),
    ("subtitle", "s"),
    ("description", "s"),
    ("is_giftcard", "b"),
    ("status", "s"),
    ("thumbnail", "s"),
    ("weight", "f"),
    ("length", "f"),
    ("height", "f"),
    ("width", "f"),
    ("origin_country", "s"),
    ("hs_code", "s"),
    ("mid_code", "s"),
    ("material", "s"),
    ("collection_id", "s"),
    ("type_id", "s"),
    ("discountable", "b"),
    ("external_id", "s"),
)
VARIANT_FIELDS = (
    ("id", "s"),
    ("product_id", "s"),
    ("title", "s"),
    ("sku", "s"),
    ("barcode", "s"),
    ("ean", "s"),
    ("upc", "s"),
    ("allow_backorder", "b"),
    ("manage_inventory", "b"),
    ("hs_code", "s"),
    ("origin_country", "s"),
    ("mid_code", "s"),
    ("material", "s"),
    ("weight", "f"),
    ("length", "f"),
    ("height", "f"),
    ("width", "f"),
)


class Inexact(Exception):
    """The product's document could differ from the SQL render's: leave it to that."""


def _s(v: Any) -> str:
    return "null" if v is None else encode_basestring(v)


def _b(v: Any) -> str:
    return "null" if v is None else ("true" if v else "false")


def _f(v: Any) -> str:
    """A double precision as PostgreSQL's float8out writes it (shortest round trip), where that has no exponent."""
    if v is None:
        return "null"
    text = repr(float(v))
    if "e" in text or "n" in text or abs(v) >= 1e15:
        raise Inexact
    return text[:-2] if text.endswith(".0") else text


_FORMAT = {"s": _s, "b": _b, "f": _f}


def _spec(fields: Sequence[tuple[str, str]]) -> list[tuple[str, str, Any]]:
    """(column, its '"key" : ' prefix, its formatter) of each field."""
    return [(name, f'"{name}" : ', _FORMAT[kind]) for name, kind in fields]


def _array(items: Iterable[str | None]) -> str:
    """A text[] literal (psycopg dumps a list element by element in Python: ~5x slower for these)."""
    return (
        "{"
        + ",".join(["NULL" if i is None else '"' + i.replace("\\", "\\\\").replace('"', '\\"') + '"' for i in items])
        + "}"
    )


_PRODUCT_SPEC = _spec(PRODUCT_FIELDS)
_VARIANT_SPEC = _spec(VARIANT_FIELDS)


def ts(t: datetime) -> str:
    """catalog_ts (migration 0021), quoted: UTC, 'Z', microseconds only when there are any."""
    u = t.astimezone(UTC)
    day = f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}"
    return f'"{day}.{u.microsecond:06d}Z"' if u.microsecond else f'"{day}Z"'


def _fields(spec: list[tuple[str, str, Any]], values: dict[str, Any]) -> str:
    get = values.get
    return ", ".join([prefix + fmt(get(name)) for name, prefix, fmt in spec])


@dataclass(slots=True)
class Option:
    id: str
    title: str
    created_at: datetime
    values: list[tuple[str, str]]  # (id, value), in rank order


@dataclass(slots=True)
class Variant:
    fields: dict[str, Any]  # product_variant's columns (VARIANT_FIELDS)
    options: list[tuple[str, str]]  # (option title, value)
    price_set_id: str | None = None


@dataclass(slots=True)
class Product:
    """A new product as the import wrote it."""

    fields: dict[str, Any]  # product's columns (PRODUCT_FIELDS, created_at, updated_at)
    options: list[Option] = field(default_factory=list)  # in created_at order
    images: list[tuple[str, str]] = field(default_factory=list)  # (id, url), in rank order
    variants: list[Variant] = field(default_factory=list)  # in rank order
    tag_ids: list[str] = field(default_factory=list)
    category_ids: list[str] = field(default_factory=list)
    channel_ids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Renderer:
    """Documents for new products, given the rows they refer to (`load`) and `now`, the transaction's start (the
    default created_at of the rows the import writes without one)."""

    now: datetime
    c_order: bool = False  # the database orders text by code point
    ascii_lower: bool = False  # lower() of ASCII text is Python's
    types: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (value, json)
    collections: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (title, json)
    tags: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (value, json)
    categories: dict[str, tuple[int, datetime, str, str]] = field(default_factory=dict)  # id -> (rank, at, name, json)
    rows: list[tuple[Any, ...]] = field(default_factory=list)  # DOCUMENT_COLUMNS of the documents made

    async def load(self, conn: AsyncConnection[Any], products: Sequence[Any], tag_ids: dict[str, str]) -> None:
        """Read the database's locale and the rows these drafts (commerce.product.csv_format's) refer to; `tag_ids`:
        the tags' ids by value."""
        cur = await conn.execute(LOCALE)
        row = await cur.fetchone()
        assert row is not None
        collate, ctype, encoding, provider, icu = (str(x).lower() for x in row)
        if provider == "i":
            collate = ctype = icu
        self.c_order = provider != "i" and collate in C_COLLATIONS
        self.ascii_lower = encoding == "utf8" and not ctype.startswith(("tr", "az"))
        wanted: dict[str, set[str]] = {"type_id": set(), "collection_id": set()}
        for d in products:
            for key, ids in wanted.items():
                if d.fields.get(key):
                    ids.add(d.fields[key])
        if wanted["type_id"]:
            cur = await conn.execute(REFERENCED_TYPES, (sorted(wanted["type_id"]),))
            self.types = {r[0]: (r[1], r[2]) for r in await cur.fetchall()}
        if wanted["collection_id"]:
            cur = await conn.execute(REFERENCED_COLLECTIONS, (sorted(wanted["collection_id"]),))
            self.collections = {r[0]: (r[1], r[2]) for r in await cur.fetchall()}
        tags = sorted({tag_ids[t] for d in products for t in d.tags})
        categories = sorted({c for d in products for c in d.categories})
        if tags:
            cur = await conn.execute(REFERENCED_TAGS, (tags,))
            self.tags = {r[0]: (r[1], r[2]) for r in await cur.fetchall()}
        if categories:
            cur = await conn.execute(REFERENCED_CATEGORIES, (categories,))
            self.categories = {r[0]: (r[2], r[3], r[1], r[4]) for r in await cur.fetchall()}

    def _ids(self, ids: Iterable[str]) -> list[str]:
        """Ids in the order `ORDER BY id` gives."""
        out = sorted(set(ids))
        if len(out) > 1 and not self.c_order:
            prefix = out[0].split("_", 1)[0]
            if not all(ULID_ID.fullmatch(i) and i.startswith(prefix + "_") for i in out):
                raise Inexact
        return out

    def _lower(self, text: str) -> str:
        if not (self.ascii_lower and text.isascii()):
            raise Inexact
        return text.lower()

    def add(self, p: Product) -> bool:
        """Make the document of a new product (`rows`), True; False when it is to be left to the SQL render."""
        if p.fields.get("status") != "published":
            return True  # no document (catalog_render deletes it if there was one: a new product has none)
        try:
            self.rows.append(self._row(p))
        except Inexact:
            return False
        return True

    def _row(self, p: Product) -> tuple[Any, ...]:
        f = p.fields
        pid = f["id"]
        now = ts(self.now)
        created, updated = ts(f["created_at"]), ts(f["updated_at"])
        audit_now = f'"created_at" : {now}, "updated_at" : {now}, "deleted_at" : null'
        qpid = _s(pid)
        # options, with their values; each value's json for the variants' options
        option_json = []
        value_json: dict[tuple[str, str], str] = {}
        option_head: dict[str, str] = {}
        for o in p.options:
            qoid = _s(o.id)
            at = ts(o.created_at)
            option_head[o.title] = f'{{"id" : {qoid}, "title" : {_s(o.title)}, "product_id" : {qpid}}}'
            vals = []
            for vid, value in o.values:
                body = f'"id" : {_s(vid)}, "option_id" : {qoid}, "value" : {_s(value)}, "metadata" : null, {audit_now}'
                value_json[o.title, value] = body
                vals.append("{" + body + "}")
            option_json.append(
                f'{{"id" : {qoid}, "product_id" : {qpid}, "title" : {_s(o.title)}, "metadata" : null, '
                f'"created_at" : {at}, "updated_at" : {at}, "deleted_at" : null, '
                f'"values" : [{", ".join(vals)}]}}'
            )
        variant_json, words = [], []
        for v in p.variants:
            opts = v.options
            if len(opts) > 1:
                if not self.c_order:
                    raise Inexact
                opts = sorted(opts)
            vopt = ", ".join("{" + value_json[t, value] + f', "option" : {option_head[t]}}}' for t, value in opts)
            variant_json.append(
                "{" + _fields(_VARIANT_SPEC, v.fields) + f', "variant_rank" : {v.fields["variant_rank"]}, '
                f'"thumbnail" : null, "metadata" : null, {audit_now}, "options" : [{vopt}], "images" : []}}'
            )
            sku, barcode = v.fields.get("sku"), v.fields.get("barcode")
            words.append(" ".join(x for x in (sku, v.fields["title"], barcode) if x is not None))
        images = ", ".join(
            f'{{"id" : {_s(iid)}, "url" : {_s(url)}, "rank" : {rank}, "metadata" : null, {audit_now}}}'
            for rank, (iid, url) in enumerate(p.images)
        )
        tags = [(self.tags[t][0], t) for t in dict.fromkeys(p.tag_ids) if t in self.tags]
        if len(tags) > 1 and not self.c_order:
            raise Inexact
        tags.sort()
        cats = [(self.categories[c][:2], c) for c in dict.fromkeys(p.category_ids) if c in self.categories]
        if len({k for k, _ in cats}) < len(cats) and not self.c_order:
            raise Inexact  # equal rank and created_at: ordered by id
        cats.sort()
        ty = self.types.get(f["type_id"]) if f.get("type_id") else None
        col = self.collections.get(f["collection_id"]) if f.get("collection_id") else None
        document = (
            "{"
            + _fields(_PRODUCT_SPEC, f)
            + f', "metadata" : null, "created_at" : {created}, "updated_at" : {updated}, "deleted_at" : null, '
            f'"type" : {ty[1] if ty else "null"}, "collection" : {col[1] if col else "null"}, '
            f'"options" : [{", ".join(option_json)}], '
            f'"tags" : [{", ".join(self.tags[t][1] for _, t in tags)}], '
            f'"images" : [{images}], '
            f'"variants" : [{", ".join(variant_json)}], '
            f'"categories" : [{", ".join(self.categories[c][3] for _, c in cats)}]}}'
        )
        search = " ".join(
            x
            for x in (
                f["title"],
                f.get("subtitle"),
                f["handle"],
                f.get("description"),
                " ".join(words) if words else None,
                " ".join(self.tags[t][0] for _, t in tags) if tags else None,
                " ".join(self.categories[c][2] for _, c in cats) if cats else None,
                col[0] if col else None,
                ty[0] if ty else None,
            )
            if x is not None
        )
        return (
            pid,
            f["handle"],
            f["title"],
            f.get("collection_id"),
            f.get("type_id"),
            _array(self._ids(p.channel_ids)),
            _array(self._ids(c for _, c in cats)),
            _array(self._ids(t for _, t in tags)),
            _array(v.fields["id"] for v in p.variants),
            _array(v.price_set_id for v in p.variants),
            f["created_at"],
            f["updated_at"],
            self._lower(search),
            document,
        )


async def write(conn: AsyncConnection[Any], rows: list[tuple[Any, ...]]) -> None:
    """COPY documents made by a Renderer into catalog_product (its triggers on: catalog_search follows)."""
    if not rows:
        return
    async with conn.cursor().copy(COPY_DOCUMENTS) as copy:
        for row in rows:
            await copy.write_row(row)


async def written(conn: AsyncConnection[Any], product_ids: list[str]) -> None:
    """After `write`: what catalog_render_many does after its render (statistics, NOTIFY commerce_catalog)."""
    if not product_ids:
        return
    if len(product_ids) > 500:
        cur = await conn.execute(STALE, (len(product_ids),))
        row = await cur.fetchone()
        if row is not None and row[0]:
            await conn.execute(ANALYZE)
    await conn.execute(NOTIFY_CATALOG, ("*" if len(product_ids) > 200 else ",".join(product_ids),))
