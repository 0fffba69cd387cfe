"""Medusa v2's product CSV (one row per variant, product columns repeated): parse and validate rows into product
drafts, and render products back into rows. Pure: no database; `commerce.flows.product_import` does the I/O.

Headers are Medusa's (`normalize-for-export.ts` / `normalize-for-import.ts` in core-flows): "Product Id",
"Product Handle", ..., "Product Tag 1" (a tag *value*, as Medusa), "Product Category 1" and "Product Sales Channel 1"
(ids), "Product Image 1" (also read as "Product Image 1 Url"), "Variant Id", "Variant Sku", ..., "Variant Price USD"
(a price with no rules, major units), "Variant Option 1 Name" / "Variant Option 1 Value". Headers match without regard
to case, so "Variant SKU" reads as "Variant Sku". Rows are numbered as a spreadsheet shows them: the header is row 1.
"""

import csv
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from commerce.errors import CommerceError, InvalidData
from commerce.money import check_amount

STATUSES = ("draft", "proposed", "published", "rejected")
MAX_ERRORS = 100  # a file with more problems than this is reported by its first hundred

# (header, field, kind) in the order the export writes them.
PRODUCT_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("Product Id", "id", "str"),
    ("Product Handle", "handle", "str"),
    ("Product Title", "title", "str"),
    ("Product Subtitle", "subtitle", "str"),
    ("Product Description", "description", "str"),
    ("Product Status", "status", "status"),
    ("Product Thumbnail", "thumbnail", "str"),
    ("Product Weight", "weight", "measure"),
    ("Product Length", "length", "measure"),
    ("Product Width", "width", "measure"),
    ("Product Height", "height", "measure"),
    ("Product Hs Code", "hs_code", "str"),
    ("Product Origin Country", "origin_country", "str"),
    ("Product Mid Code", "mid_code", "str"),
    ("Product Material", "material", "str"),
    ("Product Collection Id", "collection_id", "str"),
    ("Product Type Id", "type_id", "str"),
    ("Product Discountable", "discountable", "bool"),
    ("Product External Id", "external_id", "str"),
    ("Product Is Giftcard", "is_giftcard", "bool"),
    ("Shipping Profile Id", "shipping_profile_id", "str"),
)
VARIANT_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("Variant Id", "id", "str"),
    ("Variant Title", "title", "str"),
    ("Variant Sku", "sku", "str"),
    ("Variant Barcode", "barcode", "str"),
    ("Variant Ean", "ean", "str"),
    ("Variant Upc", "upc", "str"),
    ("Variant Allow Backorder", "allow_backorder", "bool"),
    ("Variant Manage Inventory", "manage_inventory", "bool"),
    ("Variant Weight", "weight", "measure"),
    ("Variant Length", "length", "measure"),
    ("Variant Width", "width", "measure"),
    ("Variant Height", "height", "measure"),
    ("Variant Hs Code", "hs_code", "str"),
    ("Variant Origin Country", "origin_country", "str"),
    ("Variant Mid Code", "mid_code", "str"),
    ("Variant Material", "material", "str"),
)
# Repeated columns, numbered from 1.
LISTS = (("tags", "Product Tag"), ("categories", "Product Category"), ("sales_channels", "Product Sales Channel"))
IMAGE = "Product Image"
# Columns Medusa's export writes that an import does not set (timestamps, derived ids, metadata).
IGNORED = re.compile(
    r"^(product|variant) (created at|updated at|deleted at|metadata)$|^variant (product id|variant rank)$"
    r"|^variant option \d+ (id|is exclusive)$"
)
_LIST = re.compile(r"^product (tag|category|sales channel) (\d+)$")
_IMAGE = re.compile(r"^product image (\d+)( url)?$")
_PRICE = re.compile(r"^variant price ([a-z]{3})$")
_REGION_PRICE = re.compile(r"^variant price .+ \[[a-z]{3}\]$")
_OPTION = re.compile(r"^variant option (\d+) (name|value)$")
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})
_LIST_FIELDS = {"tag": "tags", "category": "categories", "sales channel": "sales_channels"}
_UNIQUE_VARIANT_FIELDS = ("id", "sku", "barcode", "ean", "upc")


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f'Row {self.row}, column "{self.column}"' if self.column else f"Row {self.row}"
        return f"{where}: {self.message}"


class CsvInvalid(InvalidData):
    """A file that cannot be imported: every problem found, each naming its row and column."""

    def __init__(self, errors: list[RowError]) -> None:
        shown = "; ".join(str(e) for e in errors[:10])
        more = f" (and {len(errors) - 10} more)" if len(errors) > 10 else ""
        super().__init__(f"The file has {len(errors)} error(s): {shown}{more}")
        self.errors = errors


@dataclass(slots=True)
class VariantDraft:
    row: int
    fields: dict[str, Any]
    prices: list[tuple[str, Decimal]]  # (currency code, amount)
    options: dict[str, str]  # option title -> value
    option_columns: dict[str, str] = field(default_factory=dict)  # option title -> its value column (for errors)


@dataclass(slots=True)
class ProductDraft:
    row: int  # the product's first row
    fields: dict[str, Any]
    tags: list[str] = field(default_factory=list)  # tag values
    categories: list[str] = field(default_factory=list)
    sales_channels: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    options: dict[str, list[str]] = field(default_factory=dict)  # title -> values, in first-seen order
    variants: list[VariantDraft] = field(default_factory=list)
    raw: dict[str, str] = field(default_factory=dict)  # the first row's product cells, by header
    bare: bool = False  # its one row has no variant cells


@dataclass(slots=True)
class Parsed:
    products: list[ProductDraft]
    errors: list[RowError]
    rows: int


@dataclass(slots=True)
class _Columns:
    """What each header index means."""

    product: dict[int, tuple[str, str, str]] = field(default_factory=dict)  # index -> (header, field, kind)
    variant: dict[int, tuple[str, str, str]] = field(default_factory=dict)
    lists: dict[int, tuple[str, int, str]] = field(default_factory=dict)  # index -> (list name, n, header)
    images: dict[int, tuple[int, str]] = field(default_factory=dict)
    prices: dict[int, tuple[str, str]] = field(default_factory=dict)  # index -> (currency, header)
    options: dict[int, tuple[int, str, str]] = field(default_factory=dict)  # index -> (n, name|value, header)


def _key(header: str) -> str:
    return " ".join(header.replace("\ufeff", "").strip().lower().split())


_PRODUCT_BY_KEY = {_key(h): (h, f, k) for h, f, k in PRODUCT_COLUMNS}
_VARIANT_BY_KEY = {_key(h): (h, f, k) for h, f, k in VARIANT_COLUMNS}


def _columns(header: list[str], errors: list[RowError]) -> _Columns:
    cols = _Columns()
    seen: dict[str, int] = {}
    for i, raw in enumerate(header):
        key = _key(raw)
        name = raw.replace("\ufeff", "").strip()
        if not key:
            continue
        if key in seen:
            errors.append(RowError(1, name, f"appears twice (columns {seen[key] + 1} and {i + 1})"))
            continue
        seen[key] = i
        if key in _PRODUCT_BY_KEY:
            cols.product[i] = (name, *_PRODUCT_BY_KEY[key][1:])
        elif key in _VARIANT_BY_KEY:
            cols.variant[i] = (name, *_VARIANT_BY_KEY[key][1:])
        elif m := _LIST.match(key):
            cols.lists[i] = (_LIST_FIELDS[m.group(1)], int(m.group(2)), name)
        elif m := _IMAGE.match(key):
            cols.images[i] = (int(m.group(1)), name)
        elif m := _PRICE.match(key):
            cols.prices[i] = (m.group(1), name)
        elif m := _OPTION.match(key):
            cols.options[i] = (int(m.group(1)), m.group(2), name)
        elif _REGION_PRICE.match(key):
            errors.append(
                RowError(1, name, "region prices are not supported: use a currency column (Variant Price EUR)")
            )
        elif not IGNORED.match(key):
            errors.append(RowError(1, name, "unknown column"))
    if "product handle" not in seen:
        errors.append(RowError(1, "Product Handle", "the column is required"))
    return cols


def _value(kind: str, text: str) -> Any:
    """The cell's value, or ValueError with the reason it is not one."""
    if kind == "str":
        return text
    if kind == "bool":
        low = text.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ValueError(f'"{text}" is not a boolean (TRUE or FALSE)')
    if kind == "measure":
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f'"{text}" is not a number') from None
        if not math.isfinite(number) or number < 0:
            raise ValueError(f'"{text}" must be a number greater than or equal to 0')
        return number
    if kind == "status":
        if text not in STATUSES:
            raise ValueError(f'unknown status "{text}" (expected one of {", ".join(STATUSES)})')
        return text
    raise AssertionError(kind)


def _amount(text: str, column: str) -> Decimal:
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(f'"{text}" is not an amount') from None
    try:
        check_amount(amount, column)
    except CommerceError as exc:
        raise ValueError(exc.message.removeprefix("Invalid request: ")) from None
    return amount


def _sniff(first_line: str) -> str:
    return ";" if first_line.count(";") > first_line.count(",") else ","


def read_rows(lines: Iterable[str]) -> Iterator[list[str]]:
    """CSV records from text lines (the delimiter, comma or semicolon, is read from the header)."""
    it = iter(lines)
    first = next(it, None)
    if first is None:
        return
    yield from csv.reader(_chain(first, it), delimiter=_sniff(first))


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def parse(records: Iterable[list[str]]) -> Parsed:
    """Product drafts from CSV records (the first is the header), grouped by handle, every cell validated. Errors
    name the row (header = 1) and the column; parsing goes on after an error so one run reports them all."""
    errors: list[RowError] = []
    it = iter(records)
    header = next(it, None)
    if header is None:
        return Parsed([], [RowError(1, "", "the file is empty")], 0)
    cols = _columns(header, errors)
    handle_index = next((i for i, (_, f, _) in cols.product.items() if f == "handle"), None)
    products: dict[str, ProductDraft] = {}
    unique: dict[tuple[str, str], int] = {}  # (variant field, value) -> first row
    product_ids: dict[str, tuple[str, int]] = {}  # product id -> (handle, row)
    rows = 0
    for number, record in enumerate(it, start=2):
        if len(errors) >= MAX_ERRORS:
            break
        if not any(cell.strip() for cell in record):
            continue
        rows += 1
        if len(record) > len(header):
            errors.append(RowError(number, "", f"has {len(record)} cells but the header has {len(header)}"))
            continue
        cells = [c.strip() for c in record] + [""] * (len(header) - len(record))
        handle = cells[handle_index] if handle_index is not None else ""
        if not handle:
            if handle_index is not None:
                errors.append(RowError(number, cols.product[handle_index][0], "required"))
            continue
        draft = products.get(handle)
        if draft is None:
            draft = products[handle] = _product(number, cells, cols, errors)
            given_id = draft.fields.get("id")
            if given_id:
                if given_id in product_ids:
                    other = product_ids[given_id]
                    errors.append(
                        RowError(number, "Product Id", f'"{given_id}" is already used by "{other[0]}" (row {other[1]})')
                    )
                product_ids[given_id] = (handle, number)
        else:
            _same_product(number, cells, cols, draft, errors)
        variant = _variant(number, cells, cols, errors)
        if variant is None or draft.bare:
            if draft.row == number:
                draft.bare = True  # a product without variants: it has this one row
            else:
                errors.append(RowError(number, "Variant Title", "required: the product has more than one row"))
            continue
        for name in _UNIQUE_VARIANT_FIELDS:
            value = variant.fields.get(name)
            if value:
                first = unique.setdefault((name, value), number)
                if first != number:
                    column = next(h for h, f, _ in VARIANT_COLUMNS if f == name)
                    errors.append(RowError(number, column, f'"{value}" is also in row {first}'))
        draft.variants.append(variant)
    for draft in products.values():
        _check_options(draft, errors)
    return Parsed(list(products.values()), errors, rows)


def _product(number: int, cells: list[str], cols: _Columns, errors: list[RowError]) -> ProductDraft:
    draft = ProductDraft(row=number, fields={})
    for i, (header, name, kind) in cols.product.items():
        text = cells[i]
        draft.raw[header] = text
        if not text:
            continue
        try:
            draft.fields[name] = _value(kind, text)
        except ValueError as exc:
            errors.append(RowError(number, header, str(exc)))
    if not draft.fields.get("title"):
        errors.append(RowError(number, "Product Title", "required"))
    product_id = draft.fields.get("id")
    if product_id and not product_id.startswith("prod_"):
        errors.append(RowError(number, "Product Id", f'"{product_id}" is not a product id (prod_...)'))
    for i, (list_name, _n, _) in sorted(cols.lists.items(), key=lambda c: c[1][1]):
        if cells[i]:
            getattr(draft, list_name).append(cells[i])
    for i, (_, _) in sorted(cols.images.items(), key=lambda c: c[1][0]):
        if cells[i]:
            draft.images.append(cells[i])
    return draft


def _same_product(number: int, cells: list[str], cols: _Columns, draft: ProductDraft, errors: list[RowError]) -> None:
    """A later row of a product may repeat its product columns or leave them empty, not change them."""
    for i, (header, _, _) in cols.product.items():
        if cells[i] and cells[i] != draft.raw.get(header, ""):
            errors.append(RowError(number, header, f"differs from the product's first row ({draft.row})"))
    given = {name: [cells[i] for i, c in cols.lists.items() if c[0] == name and cells[i]] for name, _ in LISTS}
    for name, header in LISTS:
        if given[name] and given[name] != getattr(draft, name):
            errors.append(RowError(number, f"{header} 1", f"differs from the product's first row ({draft.row})"))


def _variant(number: int, cells: list[str], cols: _Columns, errors: list[RowError]) -> VariantDraft | None:
    """The row's variant, or None when the row has no variant cells at all (a product without variants)."""
    if not any(cells[i] for i in (*cols.variant, *cols.prices, *cols.options)):
        return None
    variant = VariantDraft(row=number, fields={}, prices=[], options={})
    for i, (header, name, kind) in cols.variant.items():
        if cells[i]:
            try:
                variant.fields[name] = _value(kind, cells[i])
            except ValueError as exc:
                errors.append(RowError(number, header, str(exc)))
    if not variant.fields.get("title"):
        errors.append(RowError(number, "Variant Title", "required"))
    variant_id = variant.fields.get("id")
    if variant_id and not variant_id.startswith("variant_"):
        errors.append(RowError(number, "Variant Id", f'"{variant_id}" is not a variant id (variant_...)'))
    for i, (currency, header) in cols.prices.items():
        if cells[i]:
            try:
                variant.prices.append((currency, _amount(cells[i], header)))
            except ValueError as exc:
                errors.append(RowError(number, header, str(exc)))
    pairs: dict[int, dict[str, tuple[str, str]]] = {}
    for i, (n, part, header) in cols.options.items():
        pairs.setdefault(n, {})[part] = (cells[i], header)
    for n in sorted(pairs):
        name, name_header = pairs[n].get("name", ("", f"Variant Option {n} Name"))
        value, value_header = pairs[n].get("value", ("", f"Variant Option {n} Value"))
        if not name and not value:
            continue
        if not name:
            errors.append(RowError(number, name_header, f"required: the row has a {value_header}"))
        elif not value:
            errors.append(RowError(number, value_header, f'required: the row names option "{name}"'))
        elif name in variant.options:
            errors.append(RowError(number, name_header, f'option "{name}" is given twice'))
        else:
            variant.options[name] = value
            variant.option_columns[name] = value_header
    return variant


def _check_options(draft: ProductDraft, errors: list[RowError]) -> None:
    """Every variant of a product has a value for each of its options, and no two share a combination."""
    for variant in draft.variants:
        for name, value in variant.options.items():
            values = draft.options.setdefault(name, [])
            if value not in values:
                values.append(value)
    combos: dict[tuple[str, ...], int] = {}
    for variant in draft.variants:
        missing = [name for name in draft.options if name not in variant.options]
        if missing:
            n = len(variant.options) + 1
            errors.append(
                RowError(
                    variant.row,
                    f"Variant Option {n} Name",
                    f'the product\'s other variants have option "{missing[0]}": this variant needs a value for it',
                )
            )
            continue
        if not draft.options:
            continue
        combo = tuple(variant.options[name] for name in draft.options)
        first = combos.setdefault(combo, variant.row)
        if first != variant.row:
            column = next(iter(variant.option_columns.values()))
            errors.append(RowError(variant.row, column, f"the same option values as row {first}"))


# --- export -------------------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


@dataclass(slots=True)
class Layout:
    """How many of each repeated column a file needs, and its currencies."""

    tags: int = 0
    categories: int = 0
    sales_channels: int = 0
    images: int = 0
    options: int = 0
    currencies: set[str] = field(default_factory=set)

    def grow(self, products: Iterable[dict[str, Any]]) -> None:
        for p in products:
            self.tags = max(self.tags, len(p.get("tags") or []))
            self.categories = max(self.categories, len(p.get("categories") or []))
            self.sales_channels = max(self.sales_channels, len(p.get("sales_channels") or []))
            self.images = max(self.images, len(p.get("images") or []))
            self.options = max(self.options, len(p.get("options") or []))
            for v in p.get("variants") or []:
                self.currencies.update(_plain_prices(v))

    def header(self) -> list[str]:
        out = [h for h, _, _ in PRODUCT_COLUMNS]
        for name, label in LISTS:
            out += [f"{label} {n}" for n in range(1, getattr(self, name) + 1)]
        out += [f"{IMAGE} {n}" for n in range(1, self.images + 1)]
        out += [h for h, _, _ in VARIANT_COLUMNS]
        out += [f"Variant Price {c.upper()}" for c in sorted(self.currencies)]
        for n in range(1, self.options + 1):
            out += [f"Variant Option {n} Name", f"Variant Option {n} Value"]
        return out


def _plain_prices(variant: dict[str, Any]) -> dict[str, Any]:
    """The variant's prices a CSV can carry: one per currency with no rules and no quantity range."""
    out: dict[str, Any] = {}
    for p in variant.get("prices") or []:
        if not p.get("rules") and p.get("min_quantity") is None and p.get("max_quantity") is None:
            out.setdefault(p["currency_code"].lower(), p["amount"])
    return out


def render(product: dict[str, Any], layout: Layout) -> list[list[str]]:
    """The rows of one product (as the admin API shows it, with variants, their options and prices, options,
    images, tags, categories and sales channels): one per variant, or one for a product without variants."""
    head = [_cell(product.get(name)) for _, name, _ in PRODUCT_COLUMNS]
    tags = [t["value"] for t in product.get("tags") or []]
    head += _padded(tags, layout.tags)
    head += _padded([c["id"] for c in product.get("categories") or []], layout.categories)
    head += _padded([c["id"] for c in product.get("sales_channels") or []], layout.sales_channels)
    head += _padded([i["url"] for i in product.get("images") or []], layout.images)
    options = product.get("options") or []
    titles = {o["id"]: o["title"] for o in options}
    order = [o["id"] for o in options]
    currencies = sorted(layout.currencies)
    variants = product.get("variants") or []
    if not variants:
        return [head + [""] * (len(VARIANT_COLUMNS) + len(currencies) + 2 * layout.options)]
    rows = []
    for v in variants:
        row = head + [_cell(v.get(name)) for _, name, _ in VARIANT_COLUMNS]
        prices = _plain_prices(v)
        row += [_cell(prices.get(c)) for c in currencies]
        values = {o["option_id"]: o["value"] for o in v.get("options") or []}
        pairs = [(titles[o], values[o]) for o in order if o in values]
        for n in range(layout.options):
            row += list(pairs[n]) if n < len(pairs) else ["", ""]
        rows.append(row)
    return rows


def _padded(values: list[str], width: int) -> list[str]:
    return values + [""] * (width - len(values))


def write_rows(out: Any, rows: Iterable[list[str]]) -> None:
    """Rows as CSV (RFC 4180 quoting, \\n line ends) onto a text stream."""
    csv.writer(out, lineterminator="\n").writerows(rows)
