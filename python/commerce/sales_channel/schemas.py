"""Sales channel requests and responses (Medusa v2 shapes)."""

from datetime import datetime
from typing import Annotated, Any

import msgspec

from commerce.listing import ListQuery

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]


class SalesChannel(msgspec.Struct, kw_only=True):
    id: str
    name: str
    description: str | None
    is_disabled: bool
    metadata: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None


class SalesChannelResponse(msgspec.Struct):
    sales_channel: SalesChannel


class SalesChannelList(msgspec.Struct):
    sales_channels: list[SalesChannel]
    count: int
    offset: int
    limit: int


class CreateSalesChannel(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Name
    description: str | None = None
    is_disabled: bool = False
    metadata: dict[str, Any] | None = None


class UpdateSalesChannel(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    description: str | msgspec.UnsetType | None = msgspec.UNSET
    is_disabled: bool | msgspec.UnsetType = msgspec.UNSET
    metadata: dict[str, Any] | msgspec.UnsetType | None = msgspec.UNSET


class SalesChannelListQuery(ListQuery, kw_only=True):
    q: str | None = None
    id: list[str] | None = None
    name: list[str] | None = None
    is_disabled: bool | None = None
