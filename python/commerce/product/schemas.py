"""Product module requests, queries, responses and `fields` shapes (Medusa v2 admin shapes)."""

from typing import Annotated, Any, Literal

import msgspec

from commerce.http.fields import Plan, Shape
from commerce.listing import Limit, ListQuery
from commerce.pricing.schemas import PriceInput

Title = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
Text = Annotated[str, msgspec.Meta(max_length=10_000)]
Handle = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
Code = Annotated[str, msgspec.Meta(max_length=255)]
Url = Annotated[str, msgspec.Meta(min_length=1, max_length=2048)]
Measure = Annotated[float, msgspec.Meta(ge=0)]
Rank = Annotated[int, msgspec.Meta(ge=0, le=1_000_000)]
Status = Literal["draft", "proposed", "published", "rejected"]
Metadata = dict[str, Any]
UNSET = msgspec.UNSET
Unset = msgspec.UnsetType


# --- requests: products, options, variants ------------------------------------------------------
class IdRef(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    id: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]


class ImageInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    url: Url


class CreateOption(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    title: Title
    values: list[Title]
    # Medusa 2.21: false makes a shared option (not supported here: the service refuses it); true is what is.
    is_exclusive: bool | None = None


class KitItem(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """An inventory item a new variant is made of (Medusa's inventory kit); the dashboard sends `[]` without one."""

    inventory_item_id: str
    required_quantity: Annotated[int, msgspec.Meta(ge=1)] = 1


class UpdateOption(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    title: Title | Unset = UNSET
    values: list[Title] | Unset = UNSET


class CreateSharedOption(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """POST /admin/product-options: an option of no product (Medusa 2.21's shared option)."""

    title: Title
    values: list[Title]
    ranks: dict[str, int] | None = None
    is_exclusive: bool | None = None
    metadata: Metadata | None = None


class UpdateSharedOption(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """POST /admin/product-options/:id."""

    title: Title | Unset = UNSET
    values: list[Title] | Unset = UNSET
    ranks: dict[str, int] | None = None
    is_exclusive: bool | None = None
    metadata: Metadata | Unset | None = UNSET


class UpsertOption(UpdateOption, kw_only=True, forbid_unknown_fields=True):
    """An option inside a product update: with an id it changes that option, without one it adds one."""

    id: str | Unset = UNSET


class CreateVariant(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    title: Title
    sku: Code | None = None
    ean: Code | None = None
    upc: Code | None = None
    barcode: Code | None = None
    hs_code: Code | None = None
    mid_code: Code | None = None
    allow_backorder: bool = False
    manage_inventory: bool = True
    variant_rank: Rank | None = None
    weight: Measure | None = None
    length: Measure | None = None
    height: Measure | None = None
    width: Measure | None = None
    origin_country: Code | None = None
    material: Code | None = None
    thumbnail: Url | None = None
    metadata: Metadata | None = None
    # Option title -> value, one for every option of the product.
    options: dict[str, str] = {}
    prices: list[PriceInput] = []
    inventory_items: list[KitItem] = []


class UpdateVariant(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    title: Title | Unset = UNSET
    sku: Code | Unset | None = UNSET
    ean: Code | Unset | None = UNSET
    upc: Code | Unset | None = UNSET
    barcode: Code | Unset | None = UNSET
    hs_code: Code | Unset | None = UNSET
    mid_code: Code | Unset | None = UNSET
    allow_backorder: bool | Unset = UNSET
    manage_inventory: bool | Unset = UNSET
    variant_rank: Rank | Unset = UNSET
    weight: Measure | Unset | None = UNSET
    length: Measure | Unset | None = UNSET
    height: Measure | Unset | None = UNSET
    width: Measure | Unset | None = UNSET
    origin_country: Code | Unset | None = UNSET
    material: Code | Unset | None = UNSET
    thumbnail: Url | Unset | None = UNSET
    metadata: Metadata | Unset | None = UNSET
    options: dict[str, str] | Unset = UNSET
    prices: list[PriceInput] | Unset = UNSET


class UpsertVariant(UpdateVariant, kw_only=True, forbid_unknown_fields=True):
    """A variant inside a product update: with an id it changes that variant, without one it adds one."""

    id: str | Unset = UNSET


class CreateProduct(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    title: Title
    subtitle: Text | None = None
    description: Text | None = None
    is_giftcard: bool = False
    discountable: bool = True
    images: list[ImageInput] = []
    thumbnail: Url | None = None
    handle: Annotated[str, msgspec.Meta(max_length=255)] | None = None  # "" or none: made from the title
    status: Status | None = "draft"
    type_id: str | None = None
    collection_id: str | None = None
    categories: list[IdRef] = []
    tags: list[IdRef] = []
    options: list[CreateOption] = []
    variants: list[CreateVariant] = []
    sales_channels: list[IdRef] = []
    weight: Measure | None = None
    length: Measure | None = None
    height: Measure | None = None
    width: Measure | None = None
    hs_code: Code | None = None
    mid_code: Code | None = None
    origin_country: Code | None = None
    material: Code | None = None
    external_id: Code | None = None
    metadata: Metadata | None = None
    shipping_profile_id: str | None = None


class UpdateProduct(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    title: Title | Unset = UNSET
    subtitle: Text | Unset | None = UNSET
    description: Text | Unset | None = UNSET
    is_giftcard: bool | Unset = UNSET
    discountable: bool | Unset = UNSET
    images: list[ImageInput] | Unset = UNSET
    thumbnail: Url | Unset | None = UNSET
    handle: Handle | Unset | None = UNSET
    status: Status | Unset = UNSET
    type_id: str | Unset | None = UNSET
    collection_id: str | Unset | None = UNSET
    categories: list[IdRef] | Unset = UNSET
    tags: list[IdRef] | Unset = UNSET
    options: list[UpsertOption] | Unset = UNSET
    variants: list[UpsertVariant] | Unset = UNSET
    sales_channels: list[IdRef] | Unset = UNSET
    weight: Measure | Unset | None = UNSET
    length: Measure | Unset | None = UNSET
    height: Measure | Unset | None = UNSET
    width: Measure | Unset | None = UNSET
    hs_code: Code | Unset | None = UNSET
    mid_code: Code | Unset | None = UNSET
    origin_country: Code | Unset | None = UNSET
    material: Code | Unset | None = UNSET
    external_id: Code | Unset | None = UNSET
    metadata: Metadata | Unset | None = UNSET
    shipping_profile_id: str | Unset | None = UNSET


class BatchUpdateProduct(UpdateProduct, kw_only=True, forbid_unknown_fields=True):
    id: str


class BatchProducts(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    create: list[CreateProduct] = []
    update: list[BatchUpdateProduct] = []
    delete: list[str] = []


# --- requests: categories, collections, tags, types ------------------------------------------------
class CreateCategory(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Title
    description: Text = ""
    handle: Handle | None = None
    is_internal: bool = False
    is_active: bool = False
    parent_category_id: str | None = None
    metadata: Metadata | None = None
    rank: Rank | None = None


class UpdateCategory(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Title | Unset = UNSET
    description: Text | Unset = UNSET
    handle: Handle | Unset = UNSET
    is_internal: bool | Unset = UNSET
    is_active: bool | Unset = UNSET
    parent_category_id: str | Unset | None = UNSET
    metadata: Metadata | Unset | None = UNSET
    rank: Rank | Unset = UNSET


class CreateCollection(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    title: Title
    handle: Handle | None = None
    metadata: Metadata | None = None


class UpdateCollection(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    title: Title | Unset = UNSET
    handle: Handle | Unset = UNSET
    metadata: Metadata | Unset | None = UNSET


class CreateValue(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A product tag or product type."""

    value: Title
    metadata: Metadata | None = None


class UpdateValue(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    value: Title | Unset = UNSET
    metadata: Metadata | Unset | None = UNSET


class LinkProducts(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """`POST /admin/collections/:id/products` and `/admin/product-categories/:id/products`."""

    add: list[str] = []
    remove: list[str] = []


# --- queries --------------------------------------------------------------------------------------
class FieldsQuery(msgspec.Struct, kw_only=True):
    fields: str | None = None


class ProductListQuery(ListQuery, kw_only=True):
    limit: Limit = 50
    q: str | None = None
    id: list[str] | None = None
    title: list[str] | None = None
    handle: list[str] | None = None
    status: list[Status] | None = None
    is_giftcard: bool | None = None
    external_id: list[str] | None = None
    collection_id: list[str] | None = None
    type_id: list[str] | None = None
    tag_id: list[str] | None = None
    category_id: list[str] | None = None
    sales_channel_id: list[str] | None = None
    option_id: list[str] | None = None


class VariantListQuery(ListQuery, kw_only=True):
    limit: Limit = 50
    q: str | None = None
    id: list[str] | None = None
    manage_inventory: bool | None = None
    allow_backorder: bool | None = None


class OptionListQuery(ListQuery, kw_only=True):
    limit: Limit = 50
    q: str | None = None
    id: list[str] | None = None
    title: list[str] | None = None


class ProductOptionListQuery(ListQuery, kw_only=True):
    """GET /admin/product-options (Medusa's default page: 20)."""

    limit: Limit = 20
    q: str | None = None
    id: list[str] | None = None
    title: list[str] | None = None
    is_exclusive: bool | None = None


class OptionValueListQuery(ListQuery, kw_only=True):
    limit: Limit = 20
    q: str | None = None


class CategoryQuery(FieldsQuery, kw_only=True):
    include_ancestors_tree: bool = False
    include_descendants_tree: bool = False


class CategoryListQuery(ListQuery, kw_only=True):
    limit: Limit = 50
    q: str | None = None
    id: list[str] | None = None
    handle: list[str] | None = None
    description: list[str] | None = None
    # "null" selects the top-level categories.
    parent_category_id: list[str] | None = None
    is_internal: bool | None = None
    is_active: bool | None = None
    include_ancestors_tree: bool = False
    include_descendants_tree: bool = False


class CollectionListQuery(ListQuery, kw_only=True):
    limit: Limit = 10
    q: str | None = None
    id: list[str] | None = None
    title: list[str] | None = None
    handle: list[str] | None = None


class ValueListQuery(ListQuery, kw_only=True):
    q: str | None = None
    id: list[str] | None = None
    value: list[str] | None = None


# --- responses (bodies are projected by `fields`, hence plain objects) ------------------------------
class ProductResponse(msgspec.Struct):
    product: dict[str, Any]


class ProductList(msgspec.Struct):
    products: list[dict[str, Any]]
    count: int
    offset: int
    limit: int


class BatchDeleted(msgspec.Struct):
    ids: list[str]
    object: str
    deleted: bool


class BatchProductsResponse(msgspec.Struct):
    created: list[dict[str, Any]]
    updated: list[dict[str, Any]]
    deleted: BatchDeleted


class ChildDeleted(msgspec.Struct):
    id: str
    object: str
    deleted: bool
    parent: dict[str, Any]


class VariantResponse(msgspec.Struct):
    variant: dict[str, Any]


class VariantList(msgspec.Struct):
    variants: list[dict[str, Any]]
    count: int
    offset: int
    limit: int


class OptionResponse(msgspec.Struct):
    product_option: dict[str, Any]


class OptionList(msgspec.Struct):
    product_options: list[dict[str, Any]]
    count: int
    offset: int
    limit: int


class OptionValueList(msgspec.Struct):
    product_option_values: list[dict[str, Any]]
    count: int
    offset: int
    limit: int


class CategoryResponse(msgspec.Struct):
    product_category: dict[str, Any]


class CategoryList(msgspec.Struct):
    product_categories: list[dict[str, Any]]
    count: int
    offset: int
    limit: int


class CollectionResponse(msgspec.Struct):
    collection: dict[str, Any]


class CollectionList(msgspec.Struct):
    collections: list[dict[str, Any]]
    count: int
    offset: int
    limit: int


class TagResponse(msgspec.Struct):
    product_tag: dict[str, Any]


class TagList(msgspec.Struct):
    product_tags: list[dict[str, Any]]
    count: int
    offset: int
    limit: int


class TypeResponse(msgspec.Struct):
    product_type: dict[str, Any]


class TypeList(msgspec.Struct):
    product_types: list[dict[str, Any]]
    count: int
    offset: int
    limit: int


# --- `fields` shapes and Medusa's admin defaults (packages/medusa/src/api/admin/*/query-config.ts) ------
TIMES = ("metadata", "created_at", "updated_at", "deleted_at")
VALUE_SHAPE = Shape(("id", "value", *TIMES))
COLLECTION_SHAPE = Shape(("id", "title", "handle", *TIMES))
# /admin/collections: a collection with its products (the admin's collection list counts them).
COLLECTION_WITH_PRODUCTS = Shape(
    COLLECTION_SHAPE.ordered,
    {"products": Shape(("id", "title", "handle", "status", "thumbnail", "created_at", "updated_at"))},
)
IMAGE_SHAPE = Shape(("id", "url", "rank", *TIMES))
OPTION_VALUE_SHAPE = Shape(("id", "value", "rank", "option_id", *TIMES))
OPTION_SHAPE = Shape(("id", "title", "product_id", "is_exclusive", *TIMES), {"values": OPTION_VALUE_SHAPE})
VARIANT_SCALARS = (
    "id",
    "product_id",
    "title",
    "sku",
    "barcode",
    "ean",
    "upc",
    "allow_backorder",
    "manage_inventory",
    "hs_code",
    "origin_country",
    "mid_code",
    "material",
    "weight",
    "length",
    "height",
    "width",
    "variant_rank",
    "thumbnail",
    *TIMES,
)
PRICE_SHAPE = Shape(
    (
        "id",
        "currency_code",
        "amount",
        "min_quantity",
        "max_quantity",
        "price_list_id",
        "rules",
        "created_at",
        "updated_at",
        "deleted_at",
    )
)
VARIANT_SHAPE = Shape(VARIANT_SCALARS, {"options": OPTION_VALUE_SHAPE, "prices": PRICE_SHAPE})
CATEGORY_SCALARS = (
    "id",
    "name",
    "description",
    "handle",
    "mpath",
    "is_active",
    "is_internal",
    "rank",
    "parent_category_id",
    *TIMES,
)
FLAT_CATEGORY_SHAPE = Shape(CATEGORY_SCALARS)


def _category_shape(depth: int) -> Shape:
    # `fields` may reach a few levels down the tree (parent_category.parent_category...).
    if depth == 0:
        return FLAT_CATEGORY_SHAPE
    inner = _category_shape(depth - 1)
    return Shape(CATEGORY_SCALARS, {"parent_category": inner, "category_children": inner})


CATEGORY_SHAPE = _category_shape(4)
SALES_CHANNEL_SHAPE = Shape(("id", "name", "description", "is_disabled", *TIMES))
PRODUCT_SCALARS = (
    "id",
    "title",
    "subtitle",
    "status",
    "external_id",
    "description",
    "handle",
    "is_giftcard",
    "discountable",
    "thumbnail",
    "collection_id",
    "type_id",
    "weight",
    "length",
    "height",
    "width",
    "hs_code",
    "origin_country",
    "mid_code",
    "material",
    "shipping_profile_id",
    *TIMES,
)
PRODUCT_SHAPE = Shape(
    PRODUCT_SCALARS,
    {
        "type": VALUE_SHAPE,
        "collection": COLLECTION_SHAPE,
        "options": OPTION_SHAPE,
        # Medusa 2.21's link to the options a product uses (the option detail screen asks it): here its options.
        "product_options": OPTION_SHAPE,
        "tags": VALUE_SHAPE,
        "images": IMAGE_SHAPE,
        "variants": VARIANT_SHAPE,
        "sales_channels": SALES_CHANNEL_SHAPE,
        "categories": FLAT_CATEGORY_SHAPE,
    },
)
PRODUCT_DEFAULTS = (
    *PRODUCT_SCALARS,
    "*type",
    "*collection",
    "*options",
    "*options.values",
    "*tags",
    "*images",
    "*variants",
    "*variants.options",
    "*variants.prices",
    "*sales_channels",
)
VARIANT_DEFAULTS = (*VARIANT_SCALARS, "*options", "*prices")
OPTION_DEFAULTS = ("id", "title")
# /admin/product-options (Medusa's defaults there, but `products`).
OPTION_VALUE_DEFAULTS = ("id", "value", "rank", "option_id", "created_at", "updated_at")
PRODUCT_OPTION_DEFAULTS = ("id", "title", "is_exclusive", "*values", "created_at", "updated_at")
CATEGORY_DEFAULTS = (
    "id",
    "name",
    "description",
    "handle",
    "is_active",
    "is_internal",
    "rank",
    "parent_category_id",
    "created_at",
    "updated_at",
    "metadata",
    "*parent_category",
    "*category_children",
)
COLLECTION_DEFAULTS = ("id", "title", "handle", "created_at", "updated_at", "metadata")
VALUE_DEFAULTS = ("id", "value", "created_at", "updated_at", "metadata")


def relations(plan: Plan) -> frozenset[str]:
    """The relations a product plan reads, as dotted paths ("variants", "variants.options", ...)."""
    out: set[str] = set()
    for key, sub in plan.items():
        if key in PRODUCT_SHAPE.relations:
            out.add(key)
            if sub is not None:
                out.update(f"{key}.{k}" for k, s in sub.items() if s is not None)
    return frozenset(out)
