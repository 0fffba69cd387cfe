"""The application Granian serves (ASGI; RSGI through commerce.boot): lifespan (pool, change feed, caches) and
request dispatch."""

import asyncio
import importlib
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from time import perf_counter
from typing import TYPE_CHECKING, Any

from psycopg import AsyncConnection
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool

from commerce import __version__, events, guards
from commerce import settings as settings_module
from commerce.api_key.service import PublishableKey, load_publishable
from commerce.cart import copies as cart_copies
from commerce.catalog import documents as catalog_documents
from commerce.catalog import source as catalog_source
from commerce.catalog.prices import Prices, load_prices
from commerce.catalog.service import Catalog
from commerce.catalog.service import load_catalog as load_product_catalog
from commerce.catalog.stock import StockCache
from commerce.db import startup as db_startup
from commerce.db.changes import Cached, ChangeFeed, listen_url
from commerce.db.connect import plain_when_local
from commerce.db.replica import make_replica
from commerce.errors import Busy, CommerceError, NotFound
from commerce.flows import flash
from commerce.http import Request, Response, Router, idempotency, json_response, openapi
from commerce.http.asgi import Receive, Scope, Send
from commerce.http.errors import error_response
from commerce.http.metrics import Metrics
from commerce.http.request import RsgiRequest
from commerce.http.response import encode
from commerce.http.router import MethodNotAllowed, Route
from commerce.inventory import holds
from commerce.region.service import TABLES as REGION_TABLES
from commerce.region.service import RegionCatalog
from commerce.region.service import load_catalog as load_region_catalog
from commerce.settings import Settings

if TYPE_CHECKING:  # a cart's caches: their modules are imported with the cart's routes, not at startup
    from commerce.promotion.service import Promotions
    from commerce.tax.service import TaxRates

log = logging.getLogger("commerce")
UNSHED = frozenset(
    {"/health", "/health/ready", "/metrics"}
)  # answered even at capacity: probes must see a busy worker alive
BUSY = Busy("The server is busy: too many requests in flight. Retry shortly.", 1)


@dataclass
class AppState:
    """What every handler can reach through `req.state`; one per worker process."""

    settings: Settings
    pool: AsyncConnectionPool[AsyncConnection[TupleRow]]
    feed: ChangeFeed
    publishable_keys: Cached[dict[str, PublishableKey]]
    regions: Cached[RegionCatalog]
    catalog: Cached[Catalog]
    documents: catalog_documents.Documents
    stock: StockCache
    prices: Cached[Prices]
    promotions: "Cached[Promotions]"
    tax_rates: "Cached[TaxRates]"
    hold_policies: Cached[dict[str, dict[str, Any]]]
    extras: dict[str, Any] = field(default_factory=dict)


async def health(req: Request) -> Response:
    return Response(b"OK", content_type=b"text/plain; charset=utf-8")


# The router names a route's guard; these are they (the HTTP layer imports no domain module).
GUARDS: dict[str, Callable[[Request], Awaitable[None]]] = {
    "store": guards.store,
    "admin": guards.admin,
    "customer": guards.customer,
    "store_optional_customer": guards.optional_customer,
}


# The route modules, with the paths each serves by their `route_key`: a module is imported on the first request to
# one of its paths (a worker imports what it serves: a storefront's never loads the admin's routes), all of them for
# /openapi.json. Every module under a key is imported at once, as paths under one key may be any of theirs;
# tests/unit/test_route_modules.py checks the table against every route.
ROUTE_MODULES: dict[str, tuple[str, ...]] = {
    "commerce.http.static": ("app", "static"),
    "commerce.auth.routes": ("auth/customer", "auth/mfa", "auth/session", "auth/token", "auth/user"),
    "commerce.region.routes": ("admin/regions", "store/regions"),
    "commerce.currency.routes": ("admin/currencies", "store/currencies"),
    "commerce.sales_channel.routes": ("admin/sales-channels",),
    "commerce.api_key.routes": ("admin/api-keys",),
    "commerce.store.routes": ("admin/stores",),
    "commerce.customer.routes": ("admin/customer-groups", "admin/customers", "store/customers"),
    "commerce.flows.account_routes": ("store/customers",),
    "commerce.pricing.routes": ("admin/price-lists", "admin/price-preferences"),
    "commerce.catalog.routes": ("store/collections", "store/product-categories", "store/products"),
    "commerce.flows.cart_routes": ("store/carts", "store/shipping-options"),
    "commerce.flows.checkout_routes": ("store/carts",),
    "commerce.promotion.routes": ("admin/campaigns", "admin/promotions"),
    "commerce.product.routes": (
        "admin/collections",
        "admin/product-categories",
        "admin/product-options",
        "admin/product-tags",
        "admin/product-types",
        "admin/products",
    ),
    "commerce.tax.routes": ("admin/tax-providers", "admin/tax-rates", "admin/tax-regions"),
    "commerce.stock_location.routes": ("admin/stock-locations",),
    "commerce.inventory.routes": ("admin/inventory-items", "admin/products", "admin/reservations"),
    "commerce.fulfillment.routes": (
        "admin/fulfillment-providers",
        "admin/fulfillment-sets",
        "admin/shipping-options",
        "admin/shipping-profiles",
    ),
    "commerce.flows.order_routes": ("admin/orders", "admin/payment-collections", "store/orders"),
    "commerce.fulfillment.records_routes": ("admin/fulfillments",),
    "commerce.payment.routes": ("admin/payments", "admin/refund-reasons", "hooks"),
    "commerce.flows.payment": ("store/payment-collections", "store/payment-providers"),
    "commerce.flows.flash_routes": ("admin/products",),
    "commerce.flows.product_transfer_routes": ("admin/products",),
    "commerce.file.routes": ("admin/uploads", "uploads"),
    "commerce.user.routes": ("admin/users",),
    "commerce.flows.admin_ui_routes": (
        "admin/claims",
        "admin/exchanges",
        "admin/feature-flags",
        "admin/notifications",
        "admin/orders",
        "admin/plugins",
        "admin/returns",
    ),
}
SCOPED = frozenset({"store", "admin", "auth"})  # first segments whose paths are keyed by their first two
ROUTES_BY_KEY: dict[str, list[str]] = {}
for _module, _keys in ROUTE_MODULES.items():
    for _key in _keys:
        ROUTES_BY_KEY.setdefault(_key, []).append(_module)


# The tables behind a cart's promotion and tax caches (the services' TABLES, tests/unit/test_worker_imports.py checks):
# named here so that a worker's start does not import those services (~0.4 MB, ~10 ms), which a storefront's product
# pages never use; the cart's routes import them (flows.cart) before any cart asks these caches.
PROMOTION_TABLES = ("promotion", "promotion_campaign")
TAX_TABLES = ("tax_provider", "tax_region", "tax_rate", "tax_rate_rule")
PRELOADED = "store/products"  # the route key whose modules App.startup imports beside its database work


def _loaded_later(module: str, name: str) -> Callable[[AsyncConnectionPool[Any]], Awaitable[Any]]:
    """A cache's load function that is `module.name`, the module imported at the first load."""

    async def load(pool: AsyncConnectionPool[Any]) -> Any:
        return await getattr(importlib.import_module(module), name)(pool)

    return load


def _import_modules(names: list[str]) -> None:
    for name in names:
        importlib.import_module(name)


def route_key(path: str) -> str:
    """The part of a path that names the module(s) serving it: `/store/products/x` -> `store/products`,
    `/static/demo/a.png` -> `static`."""
    segments = path.strip("/").split("/", 2)
    return "/".join(segments[:2]) if segments[0] in SCOPED else segments[0]


def own_routes() -> list[Route]:
    """The app's routes that are not a module's (the ones that need the running app are added by App.startup)."""
    return [
        Route("GET", "/health", health, "public", "Liveness: the worker is up (commerce.boot)", tag="Health"),
        Route("GET", "/health/ready", health, "public", "Readiness: 503 until the worker has started", tag="Health"),
    ]


def all_routes() -> list[Route]:
    """Every route, every route module imported: what /openapi.json documents."""
    routes = own_routes()
    for name in ROUTE_MODULES:
        routes.extend(importlib.import_module(name).ROUTES)
    return routes


def build_router() -> Router:
    router = Router()
    router.extend(all_routes())
    return router


class App:
    def __init__(self, settings: Settings, database_url: str) -> None:
        self.settings = settings
        self.database_url = plain_when_local(database_url)
        self.router = Router()  # route modules join it as their paths are first asked for (ROUTE_MODULES)
        self.router.extend(own_routes())
        self._keys_loaded: set[str] = set()
        self._modules_loaded: set[str] = set()
        self.openapi_body = b""
        self.state: AppState | None = None
        self._counter = 0
        self.metrics = Metrics()
        self._prefix = os.urandom(4).hex()
        self.in_flight = 0  # requests this worker is serving now (admission: settings.max_in_flight)

    async def startup(self, database: Awaitable[db_startup.Database] | None = None) -> None:
        # Nothing heavy before the first request: the pool fills in the background (startup waits for one working
        # connection, so a database that cannot be reached still fails it), the change feed's LISTEN is set up at the
        # same time, the idempotency sweep runs in the background and the OpenAPI document is built when asked for.
        # Whether DATABASE_URL is a transaction pooler decides prepared statements and where LISTEN goes.
        # Pending migrations are applied first, the pool opened after them (db/startup.py): `database` is that start
        # when the caller began it already (commerce.boot, while this module was being imported).
        s = self.settings
        db = await (database if database is not None else db_startup.start(s, self.database_url))
        if db.applied:
            log.info("applied migrations: %s", ", ".join(db.applied))
        pool, pooled = db.pool, db.pooled
        local = plain_when_local  # no TLS to a database on this machine (db/connect.py says why)
        replica_url = local(s.database_replica_url) if s.database_replica_url else None
        replica = await make_replica(replica_url, pool, s.pool_size, s.database_pooling, s.replica_max_lag)
        listen = local(s.database_listen_url) if s.database_listen_url else None
        feed = ChangeFeed(listen_url(listen, self.database_url, pooled), replica)
        documents = catalog_documents.Documents(self.settings.catalog_cache_mb * 1024 * 1024)
        cart_copies.configure(self.settings.cart_copies_mb)
        feed.listen(catalog_documents.CHANNEL, documents.changed, documents.set_connected)
        feed.watch(catalog_source.PRICE_TABLES, documents.clear_pages)  # pages hold calculated prices
        self.state = AppState(
            settings=self.settings,
            pool=pool,
            feed=feed,
            publishable_keys=Cached(feed, ("api_key", "publishable_api_key_sales_channel"), load_publishable),
            regions=Cached(feed, REGION_TABLES, load_region_catalog),
            catalog=Cached(feed, catalog_source.TAXONOMY_TABLES, load_product_catalog),
            documents=documents,
            # Per variant, as pages ask: a share of the catalog's byte budget (stock entries are small).
            stock=StockCache(feed, self.settings.catalog_cache_mb * 1024 * 1024 // 8),
            prices=Cached(feed, catalog_source.PRICE_TABLES, load_prices),
            promotions=Cached(feed, PROMOTION_TABLES, _loaded_later("commerce.promotion.service", "load_promotions")),
            tax_rates=Cached(feed, TAX_TABLES, _loaded_later("commerce.tax.service", "load_rates")),
            hold_policies=Cached(feed, (holds.TABLE,), holds.load_policies),
        )
        flash.SOLD_OUT.serve(self.state.stock, pool)  # flows.flash refuses sold-out variants from it
        # A storefront's first request is a product page: its route module is imported in a thread while this waits on
        # the database (its routes join the router on that request, as any module's do).
        preload = asyncio.to_thread(_import_modules, ROUTES_BY_KEY[PRELOADED])
        await asyncio.gather(feed.start(), _first_connection(pool), preload)
        if feed.replica is not None:
            await feed.replica.start()
        outbox = events.Outbox(pool)  # this worker's delivery of committed events (woken by the feed's NOTIFY)
        feed.watch((events.TABLE,), outbox.wake)
        await outbox.start()
        self.state.extras["outbox"] = outbox
        sweeper = flash.Sweeper(pool, self.settings.hold_sweep_interval)  # expired flash-sale holds back to stock
        sweeper.start()
        self.state.extras["hold_sweeper"] = sweeper
        # Keys are kept a day; each worker start sweeps older ones, off the startup path.
        self.state.extras["idempotency_sweep"] = asyncio.create_task(_sweep_idempotency(pool), name="commerce-sweep")
        # What a storefront page needs, loaded side by side now rather than one after the other inside the first page
        # (a request that comes meanwhile waits for the load under way). Not awaited: readiness does not wait for it.
        self.state.extras["warm"] = asyncio.create_task(_warm(self.state), name="commerce-warm")
        self.router.add(Route("GET", "/openapi.json", self._openapi, "public", "This document", tag="Health"))
        self.router.add(
            Route("GET", "/metrics", self._metrics, "public", "Prometheus metrics of this worker", tag="Health")
        )

    async def shutdown(self) -> None:
        if self.state:
            for name in ("idempotency_sweep", "warm"):
                task = self.state.extras.get(name)
                if task is not None and not task.done():
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
            if "hold_sweeper" in self.state.extras:
                await self.state.extras["hold_sweeper"].stop()
            if "outbox" in self.state.extras:
                await self.state.extras["outbox"].stop()
            await self.state.feed.stop()
            if self.state.feed.replica is not None:
                await self.state.feed.replica.stop()
            await self.state.pool.close()

    async def _idempotent(self, req: Request, route: Route, key: str) -> Response:
        assert self.state is not None
        async with self.state.pool.connection() as conn:
            stored = await idempotency.begin(conn, req, key)
        if stored is not None:
            return stored
        try:
            response = await route.handler(req)
        except CommerceError as exc:
            response = error_response(exc, req.request_id, req.path)
        except BaseException:
            async with self.state.pool.connection() as conn:
                await idempotency.finish(conn, req, key, Response(b"", 500))
            raise
        async with self.state.pool.connection() as conn:
            await idempotency.finish(conn, req, key, response)
        return response

    def _match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        try:
            return self.router.match(method, path)
        except (NotFound, MethodNotAllowed):
            if not self._load_routes(route_key(path)):
                raise
        return self.router.match(method, path)

    def _load_routes(self, key: str) -> bool:
        """Import the route modules serving `key` and add their routes (once); False when none was new."""
        if key in self._keys_loaded or key not in ROUTES_BY_KEY:  # (unknown keys are not kept: they are anyone's)
            return False
        self._keys_loaded.add(key)
        added = False
        for name in ROUTES_BY_KEY[key]:
            if name not in self._modules_loaded:
                self._modules_loaded.add(name)
                self.router.extend(importlib.import_module(name).ROUTES)
                added = True
        return added

    async def _metrics(self, req: Request) -> Response:
        return Response(self.metrics.render(), content_type=b"text/plain; version=0.0.4; charset=utf-8")

    async def _openapi(self, req: Request) -> Response:
        if not self.openapi_body:  # built on the first request, then served from memory
            self.openapi_body = encode(openapi.document(all_routes(), __version__))  # not itself, not /metrics
        return Response(self.openapi_body)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self.handle(scope, receive, send)
        elif kind == "lifespan":
            await self.lifespan(receive, send)

    async def lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except Exception as exc:
                    log.exception("startup failed")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def _request_id(self, req: Request) -> bytes:
        given = req.header("x-request-id")
        if given and len(given) <= 128:
            return given.encode("latin-1")
        self._counter += 1
        return f"{self._prefix}-{self._counter:x}".encode()

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.state is None:  # a server without lifespan support
            await self.startup()
        assert self.state is not None
        req = Request(scope, receive, self.state, b"")
        response = await self.respond(req)
        await response.send(send, req.request_id)

    async def rsgi(self, scope: Any, proto: Any) -> None:
        """A request through Granian's RSGI (`__rsgi__` of commerce.boot's front, once the app has started)."""
        if scope.proto != "http":  # (a websocket: none served)
            proto.close(404)
            return
        assert self.state is not None
        req = RsgiRequest(scope, proto, self.state, b"")
        response = await self.respond(req)
        response.answer(proto, req.request_id)

    async def respond(self, req: Request) -> Response:
        request_id = req.request_id = self._request_id(req)
        started = perf_counter()
        if self.in_flight >= self.settings.max_in_flight and req.path not in UNSHED:
            # Over capacity: a fast 503 with Retry-After beats queueing this request into the clients' timeouts.
            response = error_response(BUSY, request_id, req.path)
            await req.drain()
            self.metrics.observe(req.method, "shed", response.status, perf_counter() - started)
            return response
        self.in_flight += 1
        try:
            return await self._serve(req, started)
        finally:
            self.in_flight -= 1

    async def _serve(self, req: Request, started: float) -> Response:
        request_id = req.request_id
        route_path = "unmatched"
        try:
            route, req.params = self._match(req.method, req.path)
            route_path = route.path
            guard = GUARDS.get(route.auth)
            if guard is not None:
                await guard(req)
            key = req.header(idempotency.HEADER) if req.method == "POST" else None
            if key is None:
                response = await route.handler(req)
            else:
                response = await self._idempotent(req, route, key)
        except CommerceError as exc:
            response = error_response(exc, request_id, req.path)
        except Exception as exc:
            response = error_response(exc, request_id, f"{req.method} {req.path}")
        await req.drain()
        self.metrics.observe(req.method, route_path, response.status, perf_counter() - started)
        return response


async def _first_connection(pool: AsyncConnectionPool[AsyncConnection[TupleRow]]) -> None:
    """Wait for one working connection (not the pool's whole minimum): the database is reachable."""
    async with pool.connection(timeout=30):
        pass


async def _warm(state: AppState) -> None:
    pool = state.pool
    caches: list[Cached[Any]] = [state.publishable_keys, state.regions, state.catalog, state.prices]
    for failed in await asyncio.gather(*(cache.get(pool) for cache in caches), return_exceptions=True):
        if isinstance(failed, Exception):  # the request that needs it loads it again, and answers for a failure
            log.warning("warming a cache failed: %r", failed)


async def _sweep_idempotency(pool: AsyncConnectionPool[AsyncConnection[TupleRow]]) -> None:
    try:
        async with pool.connection() as conn:
            await idempotency.expire(conn)
    except Exception:
        log.exception("idempotency key sweep failed")  # the next worker start sweeps again


def _configure_logging() -> None:
    # Granian configures its own loggers only; ours go to stderr at INFO (events, unexpected errors).
    logger = logging.getLogger("commerce")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("[%(levelname)s] %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def create_app() -> App:
    """The factory Granian calls in each worker."""
    _configure_logging()
    settings = settings_module.load()
    events.load_subscribers(settings.event_subscribers)
    database_url = db_startup.database_url(settings)
    if not database_url:
        raise SystemExit("DATABASE_URL is not set: start the server with `commerce serve`")
    return App(settings, database_url)


__all__ = ["App", "AppState", "create_app", "json_response"]
