"""Uploaded files: stored whole in PostgreSQL, named by an id (Medusa's file key), served at /uploads/:id."""

import re
from typing import Any

from psycopg import AsyncConnection

from commerce.errors import NotFound
from commerce.file import repository as repo
from commerce.ids import new_id

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _not_found(file_id: str) -> NotFound:
    return NotFound(f"File with id: {file_id} not found")


def url(public_url: str, file_id: str) -> str:
    return f"{public_url}/uploads/{file_id}"


async def store(conn: AsyncConnection[Any], filename: str, mime_type: str, content: bytes) -> str:
    """Keep a file; its id. The id ends with the file's own name (made safe for a URL), as Medusa's keys do."""
    safe = _UNSAFE.sub("-", filename).strip("-.")[-100:] or "file"
    file_id = f"{new_id('file')}-{safe}"
    await repo.insert(conn, file_id, filename, mime_type, content)
    return file_id


async def retrieve(conn: AsyncConnection[Any], file_id: str) -> None:
    """Raises NotFound unless the file exists."""
    if not await repo.exists(conn, file_id):
        raise _not_found(file_id)


async def read(conn: AsyncConnection[Any], file_id: str) -> tuple[str, str, bytes]:
    """(file name, MIME type, bytes) of a stored file."""
    found = await repo.content(conn, file_id)
    if found is None:
        raise _not_found(file_id)
    return found


async def delete(conn: AsyncConnection[Any], file_id: str) -> None:
    """Forget a file (deleting one that is not there is no error, as in Medusa)."""
    await repo.delete(conn, file_id)
