"""Admin users."""

from typing import Any

from psycopg import AsyncConnection, errors

from commerce.errors import DuplicateError, NotFound
from commerce.ids import new_id
from commerce.user import repository as repo
from commerce.user.schemas import User


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
