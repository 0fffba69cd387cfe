"""Promotion and campaign requests (Medusa v2 admin shapes)."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec

from commerce.listing import ListQuery

Unset = msgspec.UnsetType
UNSET = msgspec.UNSET
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9_\-]+$")]
Operator = Literal["eq", "ne", "in", "gt", "gte", "lt", "lte"]
Attribute = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]


class RuleInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    attribute: Attribute
    operator: Operator
    values: str | list[str]
    description: str | None = None


class RuleUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    id: str
    attribute: Attribute | Unset = UNSET
    operator: Operator | Unset = UNSET
    values: str | list[str] | Unset = UNSET
    description: str | Unset | None = UNSET


class ApplicationMethodInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    type: Literal["fixed", "percentage"]
    target_type: Literal["items", "shipping_methods", "order"]
    allocation: Literal["each", "across"] | None = None
    value: Decimal
    currency_code: Annotated[str, msgspec.Meta(pattern="^[A-Za-z]{3}$")] | None = None
    max_quantity: Annotated[int, msgspec.Meta(ge=1)] | None = None
    apply_to_quantity: Annotated[int, msgspec.Meta(ge=1)] | None = None
    buy_rules_min_quantity: Annotated[int, msgspec.Meta(ge=1)] | None = None
    target_rules: list[RuleInput] = []
    buy_rules: list[RuleInput] = []
    description: str | None = None


class CreatePromotion(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    code: Code
    type: Literal["standard", "buyget"]
    is_automatic: bool = False
    status: Literal["draft", "active", "inactive"] = "draft"
    campaign_id: str | None = None
    application_method: ApplicationMethodInput
    rules: list[RuleInput] = []
    metadata: dict[str, Any] | None = None
    # Medusa's flag for a discount taken off tax-inclusive prices; promotions here apply to prices before tax only,
    # so the admin's form may send it, as false.
    is_tax_inclusive: bool = False

    def __post_init__(self) -> None:
        if self.is_tax_inclusive:
            raise ValueError("tax-inclusive promotions are not supported - at `$.is_tax_inclusive`")


class UpdatePromotion(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    code: Code | Unset = UNSET
    is_automatic: bool | Unset = UNSET
    status: Literal["draft", "active", "inactive"] | Unset = UNSET
    campaign_id: str | Unset | None = UNSET
    application_method: ApplicationMethodInput | Unset = UNSET
    metadata: dict[str, Any] | Unset | None = UNSET


class BatchRules(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    create: list[RuleInput] = []
    update: list[RuleUpdate] = []
    delete: list[str] = []


class PromotionListQuery(ListQuery, kw_only=True):
    q: str | None = None
    id: list[str] | None = None
    code: list[str] | None = None
    campaign_id: list[str] | None = None
    status: list[str] | None = None


class BudgetInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    type: Literal["spend", "usage"]
    limit: Decimal | None = None
    currency_code: Annotated[str, msgspec.Meta(pattern="^[A-Za-z]{3}$")] | None = None


class CreateCampaign(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    campaign_identifier: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    description: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    budget: BudgetInput | None = None


class UpdateCampaign(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=255)] | Unset = UNSET
    campaign_identifier: Annotated[str, msgspec.Meta(min_length=1, max_length=255)] | Unset = UNSET
    description: str | Unset | None = UNSET
    starts_at: datetime | Unset | None = UNSET
    ends_at: datetime | Unset | None = UNSET
    budget: BudgetInput | Unset | None = UNSET


class CampaignListQuery(ListQuery, kw_only=True):
    q: str | None = None
    id: list[str] | None = None
