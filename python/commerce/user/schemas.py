"""Admin user responses (Medusa v2 shapes)."""

from datetime import datetime
from typing import Any

import msgspec


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
