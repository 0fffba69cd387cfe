"""What the storefront can select with `fields` on products, categories and collections (Medusa's defaults)."""

from commerce.http.fields import Shape
from commerce.product.schemas import PRODUCT_SCALARS, VARIANT_SCALARS

TIMES = ("metadata", "created_at", "updated_at", "deleted_at")
TYPE = Shape(("id", "value", *TIMES))
COLLECTION = Shape(("id", "title", "handle", *TIMES))
TAG = Shape(("id", "value", *TIMES))
IMAGE = Shape(("id", "url", "rank", *TIMES))
OPTION_VALUE = Shape(("id", "value", "option_id", *TIMES))
OPTION = Shape(("id", "title", "product_id", *TIMES), {"values": OPTION_VALUE})
VARIANT_OPTION = Shape(("id", "value", "option_id", *TIMES), {"option": Shape(("id", "title", "product_id"))})
# Computed per request; its nested price references are taken whole.
CALCULATED_PRICE = Shape(
    (
        "id",
        "is_calculated_price_price_list",
        "is_calculated_price_tax_inclusive",
        "calculated_amount",
        "is_original_price_price_list",
        "is_original_price_tax_inclusive",
        "original_amount",
        "currency_code",
        "calculated_amount_with_tax",
        "calculated_amount_without_tax",
        "original_amount_with_tax",
        "original_amount_without_tax",
        "calculated_price",
        "original_price",
    )
)
# inventory_quantity: what the key's locations can sell; None for variants whose stock is not managed.
VARIANT = Shape(
    (*VARIANT_SCALARS, "inventory_quantity"),
    {"options": VARIANT_OPTION, "calculated_price": CALCULATED_PRICE, "images": IMAGE},
)
CATEGORY_SCALARS = ("id", "name", "description", "handle", "rank", "parent_category_id", *TIMES)
CATEGORY_REF = Shape(CATEGORY_SCALARS)
PRODUCT = Shape(
    PRODUCT_SCALARS,
    {
        "type": TYPE,
        "collection": COLLECTION,
        "options": OPTION,
        "tags": TAG,
        "images": IMAGE,
        "variants": VARIANT,
        "categories": CATEGORY_REF,
    },
)
PRODUCT_DEFAULTS = (
    "id",
    "title",
    "subtitle",
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
    "created_at",
    "updated_at",
    "*type",
    "*collection",
    "*options",
    "*options.values",
    "*tags",
    "*images",
    "*variants",
    "*variants.options",
)
PRODUCT_REF = Shape(("id", "title", "subtitle", "handle", "thumbnail", "description", "collection_id", "type_id"))


def _category_shape(depth: int) -> Shape:
    # `fields` may reach a few levels up or down the tree (parent_category.parent_category...).
    if depth == 0:
        return Shape(CATEGORY_SCALARS, {"products": PRODUCT_REF})
    inner = _category_shape(depth - 1)
    return Shape(CATEGORY_SCALARS, {"parent_category": inner, "category_children": inner, "products": PRODUCT_REF})


CATEGORY = _category_shape(4)
STORE_COLLECTION = Shape(("id", "title", "handle", *TIMES), {"products": PRODUCT_REF})
CATEGORY_DEFAULTS = (
    "id",
    "name",
    "description",
    "handle",
    "rank",
    "parent_category_id",
    "created_at",
    "updated_at",
    "metadata",
    "*parent_category",
    "*category_children",
)
COLLECTION_DEFAULTS = ("id", "title", "handle", "created_at", "updated_at", "metadata")
