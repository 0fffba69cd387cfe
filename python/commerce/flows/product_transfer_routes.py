"""Admin product import and export over HTTP, as Medusa v2 has them: POST /admin/products/import (the CSV as the
multipart field `file`) checks the whole file and answers 202 `{transaction_id, summary: {toCreate, toUpdate}}`;
POST /admin/products/import/:transaction_id/confirm imports it, all or nothing (202 `{}`); POST
/admin/products/export answers 202 `{transaction_id}`.

What differs, and why: Medusa runs these as background workflows and announces a finished export through its
notification feed with a link to a file in its file module. This server has neither: the import is checked when it
is uploaded and written when it is confirmed (both within the request: a 100,000-product file takes seconds, not
minutes), and the export is written at once and fetched from GET /admin/products/exports/:transaction_id (text/csv).
Pending imports and exports are kept a day (table product_transfer). The import only creates products (a handle or
id that exists is an error naming its row), so `toUpdate` is always 0."""

import io
from typing import Any

import msgspec
from psycopg import AsyncConnection
from psycopg.rows import tuple_row

from commerce.errors import InvalidData, NotFound
from commerce.http import Request, Response, Route, json_response
from commerce.ids import new_id


def product_import() -> Any:
    """flows.product_import, imported when an import or export is asked for (not by every worker at start)."""
    from commerce.flows import product_import

    return product_import


def read_rows() -> Any:
    from commerce.product.csv_format import read_rows

    return read_rows


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


def uploaded_file(content_type: str | None, body: bytes) -> tuple[str, str]:
    """(file name, text) of the multipart field `file` (or of a text/csv body)."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media in ("text/csv", "application/csv"):
        return "products.csv", _text(body)
    if media != "multipart/form-data":
        raise InvalidData("No file was uploaded for importing")
    import email.parser  # with email.policy, ~0.5 MB of modules a worker needs only for an import
    import email.policy

    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + (content_type or "").encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise InvalidData("No file was uploaded for importing")
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == "file":
            payload = part.get_payload(decode=True)
            if not isinstance(payload, bytes):
                break
            return str(part.get_filename() or "products.csv"), _text(payload)
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
        products, _ = await product_import().check_products(conn, read_rows()(io.StringIO(text)))
        transaction_id = new_id("import")
        summary = {"toCreate": products, "toUpdate": 0}
        async with conn.transaction():
            await _expire(conn)
            await conn.execute(INSERT, (transaction_id, "import", name, text, msgspec.json.encode(summary).decode()))
    return json_response({"transaction_id": transaction_id, "summary": summary}, 202)


async def confirm_import(req: Request) -> Response:
    transaction_id = req.params["transaction_id"]
    async with req.state.pool.connection() as conn, conn.transaction():
        cur = conn.cursor(row_factory=tuple_row)
        await cur.execute(TAKE_IMPORT, (transaction_id,))
        found = await cur.fetchone()
        if found is None:
            raise NotFound(f"Product import with id: {transaction_id} was not found")
        # The catalog may have changed since the upload: checked again, and on any error nothing is written (the
        # import stays pending, so the rollback keeps it).
        await product_import().import_products(conn, read_rows()(io.StringIO(found[0])))
    return json_response({}, 202)


async def create_export(req: Request) -> Response:
    out = io.StringIO()
    async with req.state.pool.connection() as conn:
        await product_import().export_products(conn, out)
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
