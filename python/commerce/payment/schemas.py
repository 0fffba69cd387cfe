"""Payment requests and responses (Medusa v2 shapes): payment collections and sessions (store), payments, captures,
refunds, refund reasons and providers (admin)."""

from decimal import Decimal
from typing import Annotated, Any

import msgspec

from commerce.http.fields import Shape
from commerce.listing import DatedListQuery, ListQuery

Unset = msgspec.UnsetType
UNSET = msgspec.UNSET
Id = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
Label = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
Text = Annotated[str, msgspec.Meta(max_length=2000)]


# --- store ---------------------------------------------------------------------------------------------------------


class StoreProviderQuery(ListQuery, kw_only=True):
    region_id: str | None = None


class CreatePaymentCollection(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    cart_id: Id


class CreatePaymentSession(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    provider_id: Id
    data: dict[str, Any] | None = None
    context: dict[str, Any] | None = None


class SelectQuery(msgspec.Struct, kw_only=True):
    fields: str | None = None


class PaymentCollectionResponse(msgspec.Struct):
    payment_collection: dict[str, Any]


class PaymentProviderList(msgspec.Struct):
    payment_providers: list[dict[str, Any]]
    count: int
    offset: int
    limit: int


# --- admin ---------------------------------------------------------------------------------------------------------


class PaymentListQuery(DatedListQuery, kw_only=True):
    q: str | None = None
    id: list[str] | None = None
    payment_session_id: list[str] | None = None
    payment_collection_id: list[str] | None = None


class ProviderListQuery(ListQuery, kw_only=True):
    id: list[str] | None = None
    is_enabled: bool | None = None


class CapturePayment(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    amount: Decimal | None = None


class RefundPayment(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    amount: Decimal | None = None
    refund_reason_id: Id | None = None
    note: Text | None = None


class RefundReasonQuery(DatedListQuery, kw_only=True):
    q: str | None = None
    id: list[str] | None = None


class CreateRefundReason(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    label: Label
    code: Label | None = None
    description: Text | None = None
    metadata: dict[str, Any] | None = None


class UpdateRefundReason(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    label: Label | Unset = UNSET
    code: Label | Unset = UNSET
    description: Text | Unset | None = UNSET
    metadata: dict[str, Any] | Unset | None = UNSET


class PaymentResponse(msgspec.Struct):
    payment: dict[str, Any]


class PaymentList(msgspec.Struct):
    payments: list[dict[str, Any]]
    count: int
    offset: int
    limit: int


class RefundReasonResponse(msgspec.Struct):
    refund_reason: dict[str, Any]


class RefundReasonList(msgspec.Struct):
    refund_reasons: list[dict[str, Any]]
    count: int
    offset: int
    limit: int


# --- shapes for `fields` -------------------------------------------------------------------------------------------

TIMES = ("created_at", "updated_at", "deleted_at")
REFUND_REASON_FIELDS = ("id", "label", "code", "description", "metadata", *TIMES)
REFUND_REASON_SHAPE = Shape(REFUND_REASON_FIELDS)
CAPTURE_SHAPE = Shape(("id", "amount", "payment_id", "created_by", "metadata", "created_at", "updated_at"))
REFUND_SHAPE = Shape(
    ("id", "amount", "payment_id", "refund_reason_id", "note", "created_by", "metadata", "created_at", "updated_at"),
    {"refund_reason": REFUND_REASON_SHAPE},
)
SESSION_SHAPE = Shape(
    (
        "id",
        "amount",
        "currency_code",
        "provider_id",
        "data",
        "context",
        "status",
        "authorized_at",
        "payment_collection_id",
        "metadata",
        "created_at",
        "updated_at",
    )
)
PAYMENT_FIELDS = (
    "id",
    "amount",
    "authorized_amount",
    "captured_amount",
    "refunded_amount",
    "currency_code",
    "provider_id",
    "data",
    "metadata",
    "captured_at",
    "canceled_at",
    "payment_collection_id",
    "payment_session_id",
    *TIMES,
)
PAYMENT_SHAPE = Shape(PAYMENT_FIELDS, {"captures": CAPTURE_SHAPE, "refunds": REFUND_SHAPE})
COLLECTION_SHAPE = Shape(
    (
        "id",
        "currency_code",
        "amount",
        "authorized_amount",
        "captured_amount",
        "refunded_amount",
        "region_id",
        "status",
        "metadata",
        "completed_at",
        *TIMES,
    ),
    {
        "payment_sessions": SESSION_SHAPE,
        "payment_providers": Shape(("id", "is_enabled")),
        "payments": PAYMENT_SHAPE,
    },
)
# Medusa's defaults: the store's `id, currency_code, amount, *payment_sessions` (+ status, which its storefronts read);
# the admin's payment fields plus the provider and the totals, and the captures and refunds.
STORE_COLLECTION_DEFAULTS = ("id", "currency_code", "amount", "status", "*payment_sessions")
PAYMENT_DEFAULTS = (
    "id",
    "amount",
    "captured_amount",
    "refunded_amount",
    "currency_code",
    "provider_id",
    "captured_at",
    "canceled_at",
    "payment_collection_id",
    "payment_session_id",
    "created_at",
    "updated_at",
    "*captures",
    "*refunds",
    "refunds.refund_reason.*",
)
REFUND_REASON_DEFAULTS = ("id", "label", "code", "description", *TIMES)
PROVIDER_SHAPE = Shape(("id", "is_enabled"))
PROVIDER_DEFAULTS = ("id", "is_enabled")
