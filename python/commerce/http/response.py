"""Responses: JSON bodies encoded once by msgspec, sent in two ASGI messages or one RSGI call."""

from typing import Any

import msgspec

from commerce.http.asgi import Send

_encoder = msgspec.json.Encoder(decimal_format="number")
JSON = b"application/json; charset=utf-8"


class Response:
    __slots__ = ("body", "content_type", "headers", "status")

    def __init__(
        self,
        body: bytes,
        status: int = 200,
        content_type: bytes = JSON,
        headers: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        self.body = body
        self.status = status
        self.content_type = content_type
        self.headers = headers

    async def send(self, send: Send, request_id: bytes) -> None:
        headers = [
            (b"content-type", self.content_type),
            (b"content-length", b"%d" % len(self.body)),
            (b"x-request-id", request_id),
        ]
        if self.headers:
            headers.extend(self.headers)
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": self.body})

    def answer(self, proto: Any, request_id: bytes) -> None:
        """Sent through Granian's RSGI protocol object (it adds content-length)."""
        headers = [
            ("content-type", self.content_type.decode("latin-1")),
            ("x-request-id", request_id.decode("latin-1")),
        ]
        if self.headers:
            headers.extend((name.decode("latin-1"), value.decode("latin-1")) for name, value in self.headers)
        proto.response_bytes(self.status, headers, self.body)


def encode(obj: Any) -> bytes:
    return _encoder.encode(obj)


def json_response(obj: Any, status: int = 200) -> Response:
    return Response(_encoder.encode(obj), status)


def deleted(id_: str, object_: str) -> Response:
    """Medusa's delete answer: `{id, object, deleted: true}`."""
    return json_response({"id": id_, "object": object_, "deleted": True})


def page(name: str, items: list[Any], count: int, offset: int, limit: int) -> Response:
    """Medusa's list answer: `{<name>: [...], count, offset, limit}`."""
    return json_response({name: items, "count": count, "offset": offset, "limit": limit})
