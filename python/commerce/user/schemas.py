"""Admin user responses (Medusa v2 shapes)."""

from datetime import datetime
from typing import Annotated, Any

import msgspec

from commerce.listing import ListQuery


class User(msgspec.Struct, kw_only=True):
    id: str
    email: str
    first_name: str | None
    last_name: str | None
    avatar_url: str | None
    metadata: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None


class UserResponse(msgspec.Struct):
    user: User


class UserList(msgspec.Struct):
    users: list[User]
    count: int
    offset: int
    limit: int


class UserListQuery(ListQuery, kw_only=True):
    q: str | None = None
    id: list[str] | None = None
    email: list[str] | None = None
    first_name: list[str] | None = None
    last_name: list[str] | None = None


class UpdateUser(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    first_name: Annotated[str, msgspec.Meta(max_length=255)] | msgspec.UnsetType | None = msgspec.UNSET
    last_name: Annotated[str, msgspec.Meta(max_length=255)] | msgspec.UnsetType | None = msgspec.UNSET
    avatar_url: Annotated[str, msgspec.Meta(max_length=2048)] | msgspec.UnsetType | None = msgspec.UNSET
    metadata: dict[str, Any] | msgspec.UnsetType | None = msgspec.UNSET
