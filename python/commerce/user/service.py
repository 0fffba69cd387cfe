"""Admin users."""

from typing import Any

import msgspec
from psycopg import AsyncConnection, errors

from commerce.errors import DuplicateError, NotFound
from commerce.ids import new_id
from commerce.user import repository as repo
from commerce.user.schemas import UpdateUser, User, UserListQuery


async def create(
    conn: AsyncConnection[Any], email: str, first_name: str | None = None, last_name: str | None = None
) -> User:
    try:
        async with conn.transaction():
            row = await repo.insert(conn, (new_id("user"), email, first_name, last_name))
    except errors.UniqueViolation:
        raise DuplicateError(f"User with email: {email}, already exists.") from None
    return User(**row)


async def retrieve(conn: AsyncConnection[Any], user_id: str) -> User:
    row = await repo.get(conn, user_id)
    if row is None:
        raise NotFound(f"User with id: {user_id} was not found")
    return User(**row)


async def by_email(conn: AsyncConnection[Any], email: str) -> User | None:
    row = await repo.by_email(conn, email)
    return User(**row) if row else None


async def list_users(conn: AsyncConnection[Any], query: UserListQuery) -> tuple[list[User], int]:
    filters = {k: getattr(query, k) for k in ("q", "id", "email", "first_name", "last_name")}
    rows, count = await repo.list_users(conn, filters, query.order, query.limit, query.offset)
    return [User(**row) for row in rows], count


async def update(conn: AsyncConnection[Any], user_id: str, data: UpdateUser) -> User:
    changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
    row = await repo.update(conn, user_id, changes) if changes else await repo.get(conn, user_id)
    if row is None:
        raise NotFound(f"User with id: {user_id} was not found")
    return User(**row)
