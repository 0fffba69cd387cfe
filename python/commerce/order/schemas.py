"""Order requests and responses (Medusa v2 shapes), and the `fields` shapes of an order and its relations."""

from typing import Annotated, Any

import msgspec

from commerce.http.fields import Shape
from commerce.listing import DatedListQuery, Limit, ListQuery

Ids = list[Annotated[str, msgspec.Meta(max_length=255)]]
Statuses = list[Annotated[str, msgspec.Meta(max_length=32)]]
STATUSES = ("pending", "completed", "draft", "archived", "canceled", "requires_action")


class OrderListQuery(DatedListQuery, kw_only=True):
    """GET /admin/orders (Medusa's AdminGetOrdersParams: limit 15 by default)."""

    limit: Limit = 15
    q: Annotated[str, msgspec.Meta(max_length=255)] | None = None
    id: Ids | None = None
    status: Statuses | None = None
    customer_id: Ids | None = None
    region_id: Ids | None = None
    sales_channel_id: Ids | None = None


class StoreOrderListQuery(ListQuery, kw_only=True):
    """GET /store/orders (Medusa's StoreGetOrdersParams: limit 50 by default)."""

    limit: Limit = 50
    id: Ids | None = None
    status: Statuses | None = None


class OrderRetrieveQuery(msgspec.Struct, kw_only=True):
    fields: str | None = None


class OrderResponse(msgspec.Struct):
    order: dict[str, Any]


class OrderList(msgspec.Struct):
    orders: list[dict[str, Any]]
    count: int
    offset: int
    limit: int


# --- `fields` shapes (packages/core/types/src/http/order, payment, fulfillment) ---------------------------------------
TIMES = ("created_at", "updated_at")
# A line's snapshot of its product and variant, copied column for column.
ITEM_FIELDS = (
    "title",
    "subtitle",
    "thumbnail",
    "variant_id",
    "product_id",
    "product_title",
    "product_description",
    "product_subtitle",
    "product_type",
    "product_type_id",
    "product_collection",
    "product_handle",
    "variant_sku",
    "variant_barcode",
    "variant_title",
    "variant_option_values",
    "requires_shipping",
    "is_discountable",
    "is_tax_inclusive",
    "is_custom_price",
    "compare_at_unit_price",
    "unit_price",
    "quantity",
    "metadata",
)
ADDRESS_FIELDS = (
    "customer_id",
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
    "metadata",
)
LINE_TOTALS = (
    "subtotal",
    "total",
    "original_total",
    "original_subtotal",
    "discount_total",
    "discount_subtotal",
    "discount_tax_total",
    "tax_total",
    "original_tax_total",
)
ORDER_TOTALS = (
    "total",
    "subtotal",
    "tax_total",
    "discount_total",
    "discount_subtotal",
    "discount_tax_total",
    "original_total",
    "original_subtotal",
    "original_tax_total",
    "item_total",
    "item_subtotal",
    "item_tax_total",
    "item_discount_total",
    "original_item_total",
    "original_item_subtotal",
    "original_item_tax_total",
    "shipping_total",
    "shipping_subtotal",
    "shipping_tax_total",
    "shipping_discount_total",
    "original_shipping_total",
    "original_shipping_subtotal",
    "original_shipping_tax_total",
    "gift_card_total",
    "gift_card_tax_total",
    "credit_line_total",
    "credit_line_subtotal",
    "credit_line_tax_total",
)
ADDRESS_SHAPE = Shape(("id", *ADDRESS_FIELDS, *TIMES))
TAX_LINE_SHAPE = Shape(
    ("id", "item_id", "shipping_method_id", "rate", "code", "description", "tax_rate_id", "provider_id", *TIMES)
)
ADJUSTMENT_SHAPE = Shape(
    (
        "id",
        "item_id",
        "shipping_method_id",
        "amount",
        "code",
        "description",
        "promotion_id",
        "provider_id",
        "is_tax_inclusive",
        *TIMES,
    )
)
DETAIL_SHAPE = Shape(
    (
        "id",
        "order_id",
        "item_id",
        "version",
        "quantity",
        "fulfilled_quantity",
        "shipped_quantity",
        "delivered_quantity",
        "return_requested_quantity",
        "return_received_quantity",
        "return_dismissed_quantity",
        "written_off_quantity",
        "metadata",
        *TIMES,
    )
)
PRODUCT_SHAPE = Shape(("id", "title", "subtitle", "description", "handle", "thumbnail", "collection_id", "type_id"))
VARIANT_SHAPE = Shape(
    ("id", "title", "sku", "barcode", "product_id", "options"),
    {"product": PRODUCT_SHAPE},
)
ITEM_SCALARS = (
    "id",
    "order_id",
    *ITEM_FIELDS,
    "is_giftcard",
    *TIMES,
    *LINE_TOTALS,
    "item_total",
    "item_subtotal",
    "item_tax_total",
    "refundable_total",
    "refundable_total_per_unit",
    "fulfilled_total",
    "shipped_total",
    "return_requested_total",
    "return_received_total",
    "return_dismissed_total",
    "write_off_total",
)
ITEM_SHAPE = Shape(
    ITEM_SCALARS,
    {
        "detail": DETAIL_SHAPE,
        "tax_lines": TAX_LINE_SHAPE,
        "adjustments": ADJUSTMENT_SHAPE,
        "variant": VARIANT_SHAPE,
        "product": PRODUCT_SHAPE,
    },
)
SHIPPING_METHOD_SHAPE = Shape(
    (
        "id",
        "order_id",
        "name",
        "description",
        "amount",
        "is_tax_inclusive",
        "is_custom_amount",
        "shipping_option_id",
        "data",
        "metadata",
        *TIMES,
        *LINE_TOTALS,
    ),
    {"tax_lines": TAX_LINE_SHAPE, "adjustments": ADJUSTMENT_SHAPE},
)
# Relations owned by other modules: what Medusa's types list, filled by the lead's fetchers (service.Related).
CAPTURE_SHAPE = Shape(("id", "amount", "payment_id", "created_by", "metadata", *TIMES))
REFUND_SHAPE = Shape(
    ("id", "amount", "payment_id", "refund_reason_id", "refund_reason", "note", "created_by", "metadata", *TIMES)
)
PAYMENT_SHAPE = Shape(
    (
        "id",
        "amount",
        "authorized_amount",
        "currency_code",
        "provider_id",
        "data",
        "captured_at",
        "canceled_at",
        "captured_amount",
        "refunded_amount",
        "payment_collection_id",
        "payment_session_id",
        "metadata",
        *TIMES,
    ),
    {"captures": CAPTURE_SHAPE, "refunds": REFUND_SHAPE},
)
PAYMENT_SESSION_SHAPE = Shape(
    ("id", "amount", "currency_code", "provider_id", "data", "context", "status", "authorized_at", "metadata", *TIMES)
)
PAYMENT_COLLECTION_SHAPE = Shape(
    (
        "id",
        "currency_code",
        "amount",
        "authorized_amount",
        "captured_amount",
        "refunded_amount",
        "status",
        "completed_at",
        "metadata",
        *TIMES,
    ),
    {
        "payments": PAYMENT_SHAPE,
        "payment_sessions": PAYMENT_SESSION_SHAPE,
        "payment_providers": Shape(("id", "is_enabled")),
    },
)
FULFILLMENT_SHAPE = Shape(
    (
        "id",
        "location_id",
        "packed_at",
        "shipped_at",
        "delivered_at",
        "canceled_at",
        "marked_shipped_by",
        "created_by",
        "requires_shipping",
        "data",
        "provider_id",
        "shipping_option_id",
        "metadata",
        *TIMES,
    ),
    {
        "items": Shape(
            ("id", "title", "sku", "barcode", "quantity", "line_item_id", "inventory_item_id", "fulfillment_id", *TIMES)
        ),
        "labels": Shape(("id", "tracking_number", "tracking_url", "label_url", "fulfillment_id", *TIMES)),
        "delivery_address": ADDRESS_SHAPE,
    },
)
CUSTOMER_SHAPE = Shape(
    ("id", "email", "first_name", "last_name", "company_name", "phone", "has_account", "metadata", *TIMES)
)
SALES_CHANNEL_SHAPE = Shape(("id", "name", "description", "is_disabled", "metadata", *TIMES))
REGION_SHAPE = Shape(("id", "name", "currency_code", "automatic_taxes", "metadata", *TIMES))
SUMMARY_SCALARS = (
    "pending_difference",
    "current_order_total",
    "original_order_total",
    "transaction_total",
    "paid_total",
    "refunded_total",
    "credit_line_total",
    "accounting_total",
)
ORDER_SHAPE = Shape(
    (
        "id",
        "display_id",
        "custom_display_id",
        "version",
        "status",
        "is_draft_order",
        "region_id",
        "customer_id",
        "sales_channel_id",
        "email",
        "currency_code",
        "shipping_address_id",
        "billing_address_id",
        "no_notification",
        "metadata",
        "canceled_at",
        *TIMES,
        "deleted_at",
        "payment_status",
        "fulfillment_status",
        "summary",
        *ORDER_TOTALS,
    ),
    {
        "items": ITEM_SHAPE,
        "shipping_methods": SHIPPING_METHOD_SHAPE,
        "shipping_address": ADDRESS_SHAPE,
        "billing_address": ADDRESS_SHAPE,
        "credit_lines": Shape(("id", "amount", "reference", "reference_id", "metadata", *TIMES)),
        "payment_collections": PAYMENT_COLLECTION_SHAPE,
        "fulfillments": FULFILLMENT_SHAPE,
        "customer": CUSTOMER_SHAPE,
        "sales_channel": SALES_CHANNEL_SHAPE,
        "region": REGION_SHAPE,
    },
)
# The relations another module owns: fetched (through service.Related) only when the plan selects them.
FOREIGN = ("payment_collections", "fulfillments", "customer", "sales_channel", "region")

# Medusa's defaults (packages/medusa/src/api/{store,admin}/orders/query-config.ts). The statuses are always part
# of a retrieved order there (getOrderDetailWorkflow adds them); here they are default fields of a retrieve.
_RETRIEVE_TOTALS = (
    "total",
    "subtotal",
    "tax_total",
    "discount_total",
    "discount_tax_total",
    "original_total",
    "original_tax_total",
    "item_total",
    "item_subtotal",
    "item_tax_total",
    "original_item_total",
    "original_item_subtotal",
    "original_item_tax_total",
    "shipping_total",
    "shipping_subtotal",
    "shipping_tax_total",
    "original_shipping_tax_total",
    "original_shipping_subtotal",
    "original_shipping_total",
)
_RETRIEVE_RELATIONS = (
    "*items",
    "*items.tax_lines",
    "*items.adjustments",
    "*items.detail",
    "*items.variant",
    "*items.variant.product",
    "*shipping_address",
    "*billing_address",
    "*shipping_methods",
    "*shipping_methods.tax_lines",
    "*shipping_methods.adjustments",
    "*payment_collections",
)
STORE_LIST_DEFAULTS = (
    "id",
    "status",
    "version",
    "summary",
    "display_id",
    "total",
    "currency_code",
    "metadata",
    "created_at",
    "updated_at",
)
STORE_RETRIEVE_DEFAULTS = (
    "id",
    "status",
    "version",
    "summary",
    "currency_code",
    "display_id",
    "region_id",
    "email",
    *_RETRIEVE_TOTALS,
    "created_at",
    "updated_at",
    "payment_status",
    "fulfillment_status",
    *_RETRIEVE_RELATIONS,
)
ADMIN_LIST_DEFAULTS = (
    "id",
    "display_id",
    "status",
    "version",
    "summary",
    "total",
    "metadata",
    "created_at",
    "updated_at",
)
ADMIN_RETRIEVE_DEFAULTS = (
    *ADMIN_LIST_DEFAULTS,
    "region_id",
    "email",
    "currency_code",
    "customer_id",
    "sales_channel_id",
    "canceled_at",
    *_RETRIEVE_TOTALS,
    "original_subtotal",
    "credit_line_total",
    "credit_line_subtotal",
    "credit_line_tax_total",
    "payment_status",
    "fulfillment_status",
    *_RETRIEVE_RELATIONS,
    "*credit_lines",
    "*payment_collections.payments",
    "*payment_collections.payments.refunds",
    "*payment_collections.payments.captures",
    "*fulfillments",
)
