"""The request seen by handlers: path params, headers, query and JSON body decoded into msgspec types. `Request` is
an ASGI request; `RsgiRequest` the same over Granian's RSGI (what `commerce serve` runs: no message dicts per body
read and response, ~15-25 us less of a worker's CPU per POST, bench/RESULTS.md http-carts)."""

import asyncio
import re
from collections.abc import Mapping
from functools import cache
from typing import Any, Protocol, TypeVar, cast, get_args, get_origin
from urllib.parse import parse_qsl

import msgspec
from psycopg import AsyncConnection
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool

from commerce.db.changes import Cached
from commerce.errors import CommerceError, InvalidData, RequestTimeout, UnsupportedMediaType
from commerce.http import deadlines
from commerce.http.asgi import Receive, Scope
from commerce.settings import Settings

T = TypeVar("T")
# An escaped NUL (`\u0000`) that is not itself an escaped backslash followed by "u0000".
_ESCAPED_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
MAX_BODY = 1 << 20  # 1 MiB: far above any admin write, small enough to refuse floods


class State(Protocol):
    """What handlers reach through `req.state`: one per worker process (app.py's AppState is it). Typed here, so the
    HTTP layer imports neither the app nor a domain module; the read models are `Cached` values of any kind."""

    settings: Settings
    pool: AsyncConnectionPool[AsyncConnection[TupleRow]]
    publishable_keys: Cached[Any]
    regions: Cached[Any]
    catalog: Cached[Any]
    documents: Any  # catalog.documents.Documents: product documents, invalidated row by row
    feed: Any  # db.changes.ChangeFeed (its `replica`, when DATABASE_REPLICA_URL is set)
    stock: Any  # catalog.stock.StockCache
    prices: Cached[Any]
    promotions: Cached[Any]
    tax_rates: Cached[Any]
    hold_policies: Cached[Any]


class Actor(msgspec.Struct, frozen=True):
    """Who is calling, as a guard found out."""

    type: str  # "user", "api_key" or "customer"
    id: str
    auth_identity_id: str | None = None


class Request:
    __slots__ = (
        "_body",
        "_given_up",
        "_headers",
        "actor",
        "method",
        "params",
        "path",
        "query_string",
        "receive",
        "request_id",
        "sales_channel_ids",
        "scope",
        "state",
    )

    def __init__(self, scope: Scope, receive: Receive, state: State, request_id: bytes) -> None:
        self.scope = scope
        self.receive = receive
        self.state = state
        self.request_id = request_id
        self.method: str = scope["method"]
        self.path: str = scope["path"]
        self.query_string: str = scope.get("query_string", b"").decode("latin-1")  # as sent (percent-encoded)
        self.params: dict[str, str] = {}
        self._headers: Mapping[str, str] | None = None
        self._body: bytes | None = None
        self._given_up = False  # a read of the body failed (too large, too slow): it is not read again
        self.actor: Actor | None = None
        self.sales_channel_ids: tuple[str, ...] = ()

    def header(self, name: str) -> str | None:
        """A header by lower-case name (the first one when repeated)."""
        if self._headers is None:
            # From the last to the first: the first of a repeated header stays.
            self._headers = {
                key.decode("latin-1"): value.decode("latin-1") for key, value in reversed(self.scope["headers"])
            }
        return self._headers.get(name)

    def header_names(self) -> list[str]:
        """The names of the headers sent, lower-case, in order (repeated ones repeated)."""
        return [key.decode("latin-1").lower() for key, _ in self.scope["headers"]]

    def client_host(self) -> str | None:
        client = self.scope.get("client")
        return str(client[0]) if client else None

    def cookie(self, name: str) -> str | None:
        raw = self.header("cookie")
        if not raw:
            return None
        for part in raw.split(";"):
            key, _, value = part.strip().partition("=")
            if key == name:
                return value
        return None

    async def body(self, limit: int = MAX_BODY) -> bytes:
        """The whole body, refused past `limit` bytes (MAX_BODY unless the route takes files)."""
        if self._body is None:
            seconds = self.state.settings.body_timeout
            # A client sending its body a byte at a time must not hold a connection and a worker slot forever: one
            # deadline for the whole body.
            task = asyncio.current_task()
            assert task is not None
            reads = deadlines.of(task.get_loop())
            cancelling = task.cancelling()
            reads.start(task, seconds)
            try:
                self._body = await self._read(limit)
            except asyncio.CancelledError:
                if reads.finish(task) and task.uncancel() <= cancelling:  # (as asyncio.timeout tells its own)
                    raise RequestTimeout(f"Request body not received within {seconds:g} seconds") from None
                raise
            finally:
                reads.finish(task)
                self._given_up = self._body is None
        return self._body

    async def _read(self, limit: int) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await self.receive()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def drain(self) -> None:
        """Read a body the handler left unread (a guard refused the request first): a server that answers before
        the body has arrived must still take it off the connection, or the connection breaks for the client's next
        request. A body too large or too slow is left (not read again): the connection closes, as it must."""
        if self._body is not None or self._given_up:
            return
        length = self.header("content-length")
        if (length is None or length == "0") and self.header("transfer-encoding") is None:
            return
        try:
            await self.body()
        except CommerceError:
            pass

    async def json(self, type_: type[T]) -> T:
        raw = await self.body()
        if not raw or raw.isspace():
            raw = b"{}"
        elif not _is_json(self.header("content-type")):
            # A JSON body sent as a form or text/plain is how a cross-site form posts against a cookie session.
            raise UnsupportedMediaType("Unsupported media type: send the body as application/json")
        if b"\x00" in raw or (b"\\u0000" in raw and _ESCAPED_NUL.search(raw)):
            # PostgreSQL text cannot hold a NUL: refused here, not as a database error.
            raise InvalidData("Invalid request: the body contains a NUL character (\\u0000)")
        try:
            return cast(T, _json_decoder(cast(Any, type_)).decode(raw))
        except msgspec.ValidationError as exc:
            raise InvalidData(f"Invalid request: {_describe(exc)}") from None
        except msgspec.DecodeError as exc:
            raise InvalidData(f"Invalid JSON in request body: {exc}") from None
        except UnicodeDecodeError:
            raise InvalidData("Invalid request: the body is not valid UTF-8") from None
        except RecursionError:
            raise InvalidData("Invalid request: the JSON body is nested too deeply") from None

    def query(self, type_: type[T]) -> T:
        raw = self.query_string
        if not raw:  # no parameters: the defaults (or the error for a required one), without parsing nothing
            return _convert(type_, {})
        return decode_query(raw, type_)


class RsgiRequest(Request):
    """The request as Granian's RSGI gives it: `scope` is its Scope (attributes; headers a mapping of lower-case
    names, `get` the first of repeated ones), `receive` its HTTP protocol object (called, the whole body)."""

    __slots__ = ()

    def __init__(self, scope: Any, proto: Any, state: State, request_id: bytes) -> None:
        self.scope = scope
        self.receive = proto
        self.state = state
        self.request_id = request_id
        self.method = scope.method
        self.path = scope.path
        self.query_string = scope.query_string
        self.params = {}
        self._headers = cast(Mapping[str, str], scope.headers)
        self._body = None
        self._given_up = False
        self.actor = None
        self.sales_channel_ids = ()

    def header(self, name: str) -> str | None:
        return cast(Mapping[str, str], self._headers).get(name)

    def header_names(self) -> list[str]:
        return list(cast(Mapping[str, str], self._headers).keys())

    def client_host(self) -> str | None:
        client = cast(Any, self.scope).client
        return str(client).rpartition(":")[0] if client else None

    async def _read(self, limit: int) -> bytes:
        length = self.header("content-length")
        if length is not None and length.isdigit():
            if int(length) > limit:
                raise _too_large(limit)
            return cast(bytes, await self.receive())  # (hyper holds it to its length: no more is read)
        chunks: list[bytes] = []  # chunked: read up to the limit, not buffered whole first
        size = 0
        async for chunk in cast(Any, self.receive):
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            chunks.append(chunk)
        return b"".join(chunks)


def _too_large(limit: int) -> InvalidData:
    return InvalidData(f"Request body larger than {limit} bytes")


def _is_json(content_type: str | None) -> bool:
    if content_type == "application/json":
        return True
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def decode_query(raw: str, type_: type[T]) -> T:
    """Decode `a=1&id[]=x&id[]=y&id=z` into a Struct: `[]` keys and repeated keys make lists."""
    list_fields = _list_fields(cast(Any, type_))
    data: dict[str, Any] = {}
    try:
        pairs = parse_qsl(
            raw, keep_blank_values=True, strict_parsing=False, max_num_fields=200, errors="strict", encoding="utf-8"
        )
    except UnicodeDecodeError:
        raise InvalidData("Invalid request: the query string is not valid UTF-8") from None
    except ValueError:
        raise InvalidData("Invalid request: too many query parameters") from None
    if any("\x00" in key or "\x00" in value for key, value in pairs):
        raise InvalidData("Invalid request: the query string contains a NUL character")
    no_null = _not_null_fields(cast(Any, type_))
    for key, value in pairs:
        if key.endswith("[]"):
            key = key[:-2]
        elif "[" in key:
            # Index form `id[0]=x`, as qs-style clients send arrays.
            base, _, rest = key.partition("[")
            if rest[:-1].isdigit():
                key = base
        if value == "null" and key in no_null:
            # msgspec's lax conversion would read the text "null" as None (as if the parameter were left out).
            raise InvalidData(f"Invalid request: query parameter '{key}' cannot be null")
        if key in list_fields:
            data.setdefault(key, []).append(value)
        elif key in data:
            raise InvalidData(f"Invalid request: query parameter '{key}' given more than once")
        else:
            data[key] = value
    return _convert(type_, data)


def _convert(type_: type[T], data: dict[str, Any]) -> T:
    try:
        return msgspec.convert(data, type_, strict=False)
    except msgspec.ValidationError as exc:
        raise InvalidData(f"Invalid request: {_describe(exc)}") from None


@cache
def _json_decoder(type_: Any) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(type_)


@cache
def _list_fields(type_: Any) -> frozenset[str]:
    names = []
    for f in msgspec.structs.fields(type_):
        types = get_args(f.type) if get_origin(f.type) is not list else (f.type,)
        if get_origin(f.type) is list or any(get_origin(t) is list for t in types):
            names.append(f.encode_name)
    return frozenset(names)


@cache
def _not_null_fields(type_: Any) -> frozenset[str]:
    """Optional fields that are not text: for these the value "null" is not a value but a mistake."""
    names = []
    for f in msgspec.structs.fields(type_):
        types = get_args(f.type) or (f.type,)
        texts = [t for t in types if t is str or (get_origin(t) is list and str in get_args(t))]
        if type(None) in types and not texts:
            names.append(f.encode_name)
    return frozenset(names)


def _describe(exc: msgspec.ValidationError) -> str:
    # msgspec says "Expected `str`, got `int` - at `$.name`"; Medusa names the field plainly.
    text = str(exc)
    if " - at `$." in text:
        message, _, where = text.partition(" - at `$.")
        return f"{message} at '{where.rstrip('`')}'"
    if text.startswith("Object contains unknown field"):
        return text.replace("Object contains unknown field", "Unrecognized field").replace("`", "'")
    return text.replace("`", "'")
