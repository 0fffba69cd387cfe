"""Medusa's upload routes (POST /admin/uploads, GET and DELETE /admin/uploads/:id, POST
/admin/uploads/presigned-urls) and the public URL of an uploaded file (GET /uploads/:id).

This server has no direct-to-storage URLs: presigned-urls answers with `url` naming the upload route itself (not an
http(s) URL), which is Medusa's JS SDK's cue to upload through POST /admin/uploads and use the stored file's id as
its key (as with Medusa's local file provider)."""

import re
from typing import Annotated

import msgspec

from commerce.errors import InvalidData
from commerce.file import service
from commerce.http import Request, Response, Route, deleted, json_response
from commerce.http.multipart import parts

MAX_FILE = 256 << 20  # as a product import's file
# Served inline only as images the browser shows as such; anything else downloads (an uploaded HTML or SVG file must
# not run as a page of this origin).
INLINE = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
_MIME = re.compile(r"^[a-z0-9!#$&^_.+-]+/([a-z0-9!#$&^_.+-]+)(;.*)?$")


class UploadedFile(msgspec.Struct):
    id: str
    url: str


class FileList(msgspec.Struct):
    files: list[UploadedFile]


class FileResponse(msgspec.Struct):
    file: UploadedFile


class PresignedUrlBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    originalname: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
    size: Annotated[int, msgspec.Meta(ge=0)]
    mime_type: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    access: str | None = None


class PresignedUrl(msgspec.Struct):
    url: str
    filename: str
    mime_type: str
    size: int
    extension: str
    originalname: str


def _file(req: Request, file_id: str) -> UploadedFile:
    return UploadedFile(id=file_id, url=service.url(req.state.settings.public_url, file_id))


async def upload(req: Request) -> Response:
    files = [p for p in parts(req.header("content-type"), await req.body(MAX_FILE)) if p.name == "files"]
    if not files:
        raise InvalidData("No files were uploaded")
    async with req.state.pool.connection() as conn, conn.transaction():
        ids = [await service.store(conn, f.filename or "file", f.content_type, f.content) for f in files]
    return json_response(FileList(files=[_file(req, i) for i in ids]))


async def retrieve(req: Request) -> Response:
    async with req.state.pool.connection() as conn:
        await service.retrieve(conn, req.params["id"])
    return json_response(FileResponse(file=_file(req, req.params["id"])))


async def delete(req: Request) -> Response:
    async with req.state.pool.connection() as conn:
        await service.delete(conn, req.params["id"])
    return deleted(req.params["id"], "file")


async def presigned_url(req: Request) -> Response:
    data = await req.json(PresignedUrlBody)
    found = _MIME.match(data.mime_type.strip().lower())
    if found is None:
        raise InvalidData(f'Invalid file type "{data.mime_type}"')
    return json_response(
        PresignedUrl(
            url="/admin/uploads",
            filename=data.originalname,
            mime_type=data.mime_type.strip().lower(),
            size=data.size,
            extension=found.group(1),
            originalname=data.originalname,
        )
    )


async def serve(req: Request) -> Response:
    async with req.state.pool.connection() as conn:
        name, mime_type, content = await service.read(conn, req.params["id"])
    if mime_type in INLINE:
        return Response(content, content_type=mime_type.encode(), headers=[(b"x-content-type-options", b"nosniff")])
    safe = name.replace('"', "").replace("\\", "").encode("ascii", "replace")
    return Response(
        content,
        content_type=b"application/octet-stream",
        headers=[
            (b"content-disposition", b'attachment; filename="' + safe + b'"'),
            (b"x-content-type-options", b"nosniff"),
        ],
    )


TAG = "Admin Uploads"
ROUTES = [
    Route(
        "POST", "/admin/uploads", upload, "admin", "Upload files (multipart field `files`)", response=FileList, tag=TAG
    ),
    Route(
        "POST",
        "/admin/uploads/presigned-urls",
        presigned_url,
        "admin",
        "Where to upload a file: this server takes uploads through POST /admin/uploads",
        body=PresignedUrlBody,
        response=PresignedUrl,
        tag=TAG,
    ),
    Route("GET", "/admin/uploads/:id", retrieve, "admin", "Get an uploaded file", response=FileResponse, tag=TAG),
    Route("DELETE", "/admin/uploads/:id", delete, "admin", "Delete an uploaded file", tag=TAG),
    Route("GET", "/uploads/:id", serve, "public", "An uploaded file's content", tag="Static"),
]
