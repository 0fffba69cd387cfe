"""Inventory requests, queries, responses and `fields` shapes (Medusa v2 admin shapes)."""

from typing import Annotated, Any

import msgspec

from commerce.http.fields import Shape
from commerce.listing import Limit, ListQuery

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
Text = Annotated[str, msgspec.Meta(max_length=10_000)]
Code = Annotated[str, msgspec.Meta(max_length=255)]
Measure = Annotated[float, msgspec.Meta(ge=0)]
# Whole units; PostgreSQL integer.
Quantity = Annotated[int, msgspec.Meta(ge=0, le=2_147_483_647)]
PositiveQuantity = Annotated[int, msgspec.Meta(ge=1, le=2_147_483_647)]
Metadata = dict[str, Any]
UNSET = msgspec.UNSET
Unset = msgspec.UnsetType


# --- inventory items ------------------------------------------------------------------------------
class LevelInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A level of one item: at `location_id`, so many stocked and incoming."""

    location_id: Id
    stocked_quantity: Quantity = 0
    incoming_quantity: Quantity = 0


class CreateInventoryItem(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    sku: Code | None = None
    title: Text | None = None
    description: Text | None = None
    thumbnail: Text | None = None
    requires_shipping: bool = True
    hs_code: Code | None = None
    mid_code: Code | None = None
    origin_country: Code | None = None
    material: Code | None = None
    unit_of_measure: Code | None = None
    weight: Measure | None = None
    length: Measure | None = None
    height: Measure | None = None
    width: Measure | None = None
    metadata: Metadata | None = None
    location_levels: list[LevelInput] = []


class UpdateInventoryItem(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    sku: Code | Unset | None = UNSET
    title: Text | Unset | None = UNSET
    description: Text | Unset | None = UNSET
    thumbnail: Text | Unset | None = UNSET
    requires_shipping: bool | Unset = UNSET
    hs_code: Code | Unset | None = UNSET
    mid_code: Code | Unset | None = UNSET
    origin_country: Code | Unset | None = UNSET
    material: Code | Unset | None = UNSET
    unit_of_measure: Code | Unset | None = UNSET
    weight: Measure | Unset | None = UNSET
    length: Measure | Unset | None = UNSET
    height: Measure | Unset | None = UNSET
    width: Measure | Unset | None = UNSET
    metadata: Metadata | Unset | None = UNSET


class InventoryItemQuery(ListQuery, kw_only=True):
    q: str | None = None
    id: list[str] | None = None
    sku: list[str] | None = None
    origin_country: list[str] | None = None
    hs_code: list[str] | None = None
    mid_code: list[str] | None = None
    material: list[str] | None = None
    requires_shipping: bool | None = None
    # Medusa's `location_levels[location_id]=sloc_1`: items stocked at these locations.
    location_id: list[str] | None = msgspec.field(default=None, name="location_levels[location_id]")


class RetrieveQuery(msgspec.Struct, kw_only=True):
    fields: str | None = None


# --- inventory levels -----------------------------------------------------------------------------
class UpdateLevel(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    stocked_quantity: Quantity | Unset = UNSET
    incoming_quantity: Quantity | Unset = UNSET


class SplitLevel(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """How many rows a hot level's available units are spread over (0: one row), so concurrent buyers of one SKU
    do not queue on one row lock."""

    buckets: Annotated[int, msgspec.Meta(ge=0, le=64)]


class LevelQuery(ListQuery, kw_only=True):
    limit: Limit = 50
    location_id: list[str] | None = None


class ItemLevelUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    location_id: Id
    id: str | None = None
    stocked_quantity: Quantity | Unset = UNSET
    incoming_quantity: Quantity | Unset = UNSET


class ItemLevelsBatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """POST /admin/inventory-items/:id/location-levels/batch: `delete` names level ids."""

    create: list[LevelInput] = []
    update: list[ItemLevelUpdate] = []
    delete: list[str] = []
    force: bool = False


class BatchLevel(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    inventory_item_id: Id
    location_id: Id
    id: str | None = None
    stocked_quantity: Quantity | Unset = UNSET
    incoming_quantity: Quantity | Unset = UNSET


class LevelsBatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """POST /admin/inventory-items/location-levels/batch: `delete` names level ids; `force` deletes stocked ones."""

    create: list[BatchLevel] = []
    update: list[BatchLevel] = []
    delete: list[str] = []
    force: bool = False


# --- reservations ---------------------------------------------------------------------------------
class CreateReservation(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    inventory_item_id: Id
    location_id: Id
    quantity: PositiveQuantity
    line_item_id: Id | None = None
    description: Text | None = None
    metadata: Metadata | None = None


class UpdateReservation(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    location_id: Id | Unset = UNSET
    quantity: PositiveQuantity | Unset = UNSET
    description: Text | Unset | None = UNSET
    metadata: Metadata | Unset | None = UNSET


class ReservationQuery(ListQuery, kw_only=True):
    q: str | None = None
    id: list[str] | None = None
    location_id: list[str] | None = None
    inventory_item_id: list[str] | None = None
    line_item_id: list[str] | None = None
    created_by: list[str] | None = None


# --- variant <-> inventory item links -------------------------------------------------------------
class CreateVariantInventoryItem(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    inventory_item_id: Id
    required_quantity: PositiveQuantity = 1


class UpdateVariantInventoryItem(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    required_quantity: PositiveQuantity


# --- responses ------------------------------------------------------------------------------------
class InventoryItemResponse(msgspec.Struct):
    inventory_item: dict[str, Any]


class InventoryItemList(msgspec.Struct):
    inventory_items: list[dict[str, Any]]
    count: int
    offset: int
    limit: int


class InventoryLevelList(msgspec.Struct):
    inventory_levels: list[dict[str, Any]]
    count: int
    offset: int
    limit: int


class LevelsBatchResponse(msgspec.Struct):
    created: list[dict[str, Any]]
    updated: list[dict[str, Any]]
    deleted: list[str]


class LevelDeleted(msgspec.Struct):
    id: str
    object: str
    deleted: bool
    parent: dict[str, Any]


class ReservationResponse(msgspec.Struct):
    reservation: dict[str, Any]


class ReservationList(msgspec.Struct):
    reservations: list[dict[str, Any]]
    count: int
    offset: int
    limit: int


class VariantResponse(msgspec.Struct):
    variant: dict[str, Any]


class VariantLinkDeleted(msgspec.Struct):
    id: dict[str, Any]
    object: str
    deleted: bool
    parent: dict[str, Any]


TIMES = ("created_at", "updated_at", "deleted_at")
LEVEL_SCALARS = (
    "id",
    "inventory_item_id",
    "location_id",
    "stocked_quantity",
    "reserved_quantity",
    "incoming_quantity",
    "available_quantity",
    "metadata",
    *TIMES,
)
ITEM_SCALARS = (
    "id",
    "sku",
    "title",
    "description",
    "thumbnail",
    "origin_country",
    "hs_code",
    "requires_shipping",
    "mid_code",
    "material",
    "unit_of_measure",
    "weight",
    "length",
    "height",
    "width",
    "metadata",
    "reserved_quantity",
    "stocked_quantity",
    *TIMES,
)
LEVEL_SHAPE = Shape(LEVEL_SCALARS)
ITEM_SHAPE = Shape(ITEM_SCALARS, {"location_levels": LEVEL_SHAPE})
RESERVATION_SHAPE = Shape(
    (
        "id",
        "line_item_id",
        "inventory_item_id",
        "location_id",
        "quantity",
        "allow_backorder",
        "description",
        "external_id",
        "created_by",
        "metadata",
        *TIMES,
    ),
    {"inventory_item": ITEM_SHAPE},
)
LINK_SHAPE = Shape(
    ("id", "variant_id", "inventory_item_id", "required_quantity", "created_at", "updated_at"),
    {"inventory": ITEM_SHAPE},
)
# Medusa's query-config defaults.
LEVEL_DEFAULTS = tuple(f for f in LEVEL_SCALARS if f != "deleted_at")
ITEM_DEFAULTS = (*(f for f in ITEM_SCALARS if f != "deleted_at"), "*location_levels")
RESERVATION_DEFAULTS = (
    "id",
    "location_id",
    "inventory_item_id",
    "quantity",
    "line_item_id",
    "description",
    "metadata",
    "created_at",
    "updated_at",
    *(f"inventory_item.{f}" for f in ITEM_DEFAULTS),
)
