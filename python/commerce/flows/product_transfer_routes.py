"""Admin product import and export over HTTP, as Medusa v2 has them: POST /admin/products/import (the CSV as the
multipart field `file`) checks the whole file and answers 202 `{transaction_id, summary: {toCreate, toUpdate}}`;
POST /admin/products/import/:transaction_id/confirm imports it, all or nothing (202 `{}`); POST
/admin/products/export answers 202 `{transaction_id}`.

What differs, and why: Medusa runs these as background workflows and announces a finished export through its
notification feed with a link to a file in its file module. This server has neither: the import is checked when it
is uploaded and written when it is confirmed (both within the request: a 100,000-product file takes seconds, not
minutes), and the export is written at once and fetched from GET /admin/products/exports/:transaction_id (text/csv).
Pending imports and exports are kept a day (table product_transfer). The import only creates products (a handle or
id that exists is an error naming its row), so `toUpdate` is always 0.

Medusa 2.8.5+'s import by file key is here too: POST /admin/products/imports `{file_key, originalname, extension,
size, mime_type}` names a file uploaded before (POST /admin/uploads, commerce.file) and answers as
/admin/products/import does; POST /admin/products/imports/:transaction_id/confirm imports it."""

import io
from typing import Annotated, Any

import msgspec
from psycopg import AsyncConnection
from psycopg.rows import tuple_row

from commerce import file
from commerce.errors import InvalidData, NotFound
from commerce.http import Request, Response, Route, json_response
from commerce.http.multipart import parts
from commerce.ids import new_id

MAX_FILE = 256 << 20  # 256 MiB: a million-row catalog
KEEP = "1 day"
INSERT = """
INSERT INTO product_transfer (id, kind, file_name, content, summary) VALUES (%s, %s, %s, %s, %s)
"""
EXPIRE = "DELETE FROM product_transfer WHERE created_at < now() - %s::interval"
TAKE_IMPORT = "DELETE FROM product_transfer WHERE id = %s AND kind = 'import' RETURNING content"
EXPORTED = "SELECT file_name, content FROM product_transfer WHERE id = %s AND kind = 'export'"


class ImportSummary(msgspec.Struct):
    toCreate: int
    toUpdate: int


class ImportResponse(msgspec.Struct):
    transaction_id: str
    summary: ImportSummary


class ExportResponse(msgspec.Struct):
    transaction_id: str


class ImportByKey(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    file_key: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
    originalname: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
    extension: str | None = None
    size: int | None = None
    mime_type: str | None = None


def uploaded_file(content_type: str | None, body: bytes) -> tuple[str, str]:
    """(file name, text) of the multipart field `file` (or of a text/csv body)."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media in ("text/csv", "application/csv"):
        return "products.csv", _text(body)
    for part in parts(content_type, body):
        if part.name == "file":
            return part.filename or "products.csv", _text(part.content)
    raise InvalidData("No file was uploaded for importing")


def _text(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidData("The file is not UTF-8 text") from None
    if "\x00" in text:
        raise InvalidData("The file contains a NUL character")
    return text


async def _expire(conn: AsyncConnection[Any]) -> None:
    await conn.execute(EXPIRE, (KEEP,))


async def create_import(req: Request) -> Response:
    name, text = uploaded_file(req.header("content-type"), await req.body(MAX_FILE))
    async with req.state.pool.connection() as conn:
        return await _pending_import(conn, name, text)


async def create_import_by_key(req: Request) -> Response:
    data = await req.json(ImportByKey)
    async with req.state.pool.connection() as conn:
        _, _, content = await file.service.read(conn, data.file_key)
        return await _pending_import(conn, data.originalname, _text(content))


async def _pending_import(conn: AsyncConnection[Any], name: str, text: str) -> Response:
    """Check the whole file (400 naming every bad row and column, nothing kept) and keep it until confirmed."""
    # Imported when an import or export is asked for, not by every worker at start.
    from commerce.flows import product_import
    from commerce.product.csv_format import read_rows

    products, _ = await product_import.check_products(conn, read_rows(io.StringIO(text)))
    transaction_id = new_id("import")
    summary = {"toCreate": products, "toUpdate": 0}
    async with conn.transaction():
        await _expire(conn)
        await conn.execute(INSERT, (transaction_id, "import", name, text, msgspec.json.encode(summary).decode()))
    return json_response({"transaction_id": transaction_id, "summary": summary}, 202)


async def confirm_import(req: Request) -> Response:
    from commerce.flows import product_import
    from commerce.product.csv_format import read_rows

    transaction_id = req.params["transaction_id"]
    async with req.state.pool.connection() as conn, conn.transaction():
        cur = conn.cursor(row_factory=tuple_row)
        await cur.execute(TAKE_IMPORT, (transaction_id,))
        found = await cur.fetchone()
        if found is None:
            raise NotFound(f"Product import with id: {transaction_id} was not found")
        # The catalog may have changed since the upload: checked again, and on any error nothing is written (the
        # import stays pending, so the rollback keeps it).
        await product_import.import_products(conn, read_rows(io.StringIO(found[0])))
    return json_response({}, 202)


async def create_export(req: Request) -> Response:
    from commerce.flows import product_import

    out = io.StringIO()
    async with req.state.pool.connection() as conn:
        await product_import.export_products(conn, out)
        transaction_id = new_id("export")
        async with conn.transaction():
            await _expire(conn)
            await conn.execute(INSERT, (transaction_id, "export", f"{transaction_id}.csv", out.getvalue(), "{}"))
    return json_response({"transaction_id": transaction_id}, 202)


async def exported_file(req: Request) -> Response:
    transaction_id = req.params["transaction_id"]
    async with req.state.pool.connection() as conn:
        cur = conn.cursor(row_factory=tuple_row)
        await cur.execute(EXPORTED, (transaction_id,))
        found = await cur.fetchone()
    if found is None:
        raise NotFound(f"Product export with id: {transaction_id} was not found")
    disposition = f'attachment; filename="{found[0]}"'.encode()
    return Response(
        found[1].encode(), content_type=b"text/csv; charset=utf-8", headers=[(b"content-disposition", disposition)]
    )


TAG = "Admin Products"
ROUTES = [
    Route(
        "POST",
        "/admin/products/import",
        create_import,
        "admin",
        "Upload a product CSV (multipart field `file`): checked whole, imported on confirmation",
        response=ImportResponse,
        status=202,
        tag=TAG,
    ),
    Route(
        "POST",
        "/admin/products/import/:transaction_id/confirm",
        confirm_import,
        "admin",
        "Import an uploaded product CSV, all or nothing",
        status=202,
        tag=TAG,
    ),
    Route(
        "POST",
        "/admin/products/imports",
        create_import_by_key,
        "admin",
        "Check a product CSV uploaded before (POST /admin/uploads) by its file key; imported on confirmation",
        body=ImportByKey,
        response=ImportResponse,
        status=202,
        tag=TAG,
    ),
    Route(
        "POST",
        "/admin/products/imports/:transaction_id/confirm",
        confirm_import,
        "admin",
        "Import a product CSV checked by POST /admin/products/imports, all or nothing",
        status=202,
        tag=TAG,
    ),
    Route(
        "POST",
        "/admin/products/export",
        create_export,
        "admin",
        "Export every product as CSV (fetch it from /admin/products/exports/:transaction_id)",
        response=ExportResponse,
        status=202,
        tag=TAG,
    ),
    Route(
        "GET",
        "/admin/products/exports/:transaction_id",
        exported_file,
        "admin",
        "Download an exported product CSV",
        tag=TAG,
    ),
]
