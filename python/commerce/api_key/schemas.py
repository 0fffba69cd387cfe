"""API key requests and responses (Medusa v2 shapes)."""

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from commerce.listing import ListQuery

Title = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
KeyType = Literal["publishable", "secret"]


class SalesChannelRef(msgspec.Struct, kw_only=True):
    id: str
    name: str


class ApiKey(msgspec.Struct, kw_only=True):
    id: str
    token: str
    redacted: str
    title: str
    type: KeyType
    last_used_at: datetime | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    revoked_by: str | None
    revoked_at: datetime | None
    deleted_at: datetime | None = None
    sales_channels: list[SalesChannelRef] = []


class ApiKeyResponse(msgspec.Struct):
    api_key: ApiKey


class ApiKeyList(msgspec.Struct):
    api_keys: list[ApiKey]
    count: int
    offset: int
    limit: int


class CreateApiKey(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    title: Title
    type: KeyType


class UpdateApiKey(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    title: Title


class RevokeApiKey(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    # Seconds from now; the key keeps working until then (Medusa's grace period).
    revoke_in: Annotated[int, msgspec.Meta(ge=0, le=10 * 365 * 86400)] | None = None


class LinkSalesChannels(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    add: list[str] = []
    remove: list[str] = []


class ApiKeyListQuery(ListQuery, kw_only=True):
    q: str | None = None
    id: list[str] | None = None
    title: list[str] | None = None
    type: KeyType | None = None
    revoked: bool | None = None
