"""Regions: admin writes go to PostgreSQL; store reads come from a per-worker cache of all live regions."""

from collections import OrderedDict
from typing import Any

import msgspec
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from commerce import currency, payment
from commerce.errors import InvalidData, NotFound
from commerce.http import fields
from commerce.ids import new_id
from commerce.region import repository as repo
from commerce.region.schemas import (
    REGION_SHAPE,
    STORE_DEFAULTS,
    Country,
    CreateRegion,
    PaymentProviderRef,
    Region,
    RegionListQuery,
    UpdateRegion,
)
from commerce.structs import given

# Tables whose changes reload the store cache.
TABLES = ("region", "region_country", "region_payment_provider")
_encoder = msgspec.json.Encoder()


def _not_found(region_id: str) -> NotFound:
    return NotFound(f"Region with id: {region_id} was not found")


async def create(conn: AsyncConnection[Any], data: CreateRegion) -> Region:
    async with conn.transaction():
        code = await _check_currency(conn, data.currency_code)
        row = await repo.insert(
            conn,
            {
                "id": new_id("reg"),
                "name": data.name,
                "currency_code": code,
                "automatic_taxes": data.automatic_taxes,
                "metadata": data.metadata,
            },
        )
        await _assign_countries(conn, row["id"], data.countries)
        await _assign_providers(conn, row["id"], data.payment_providers)
        return (await _assemble(conn, [row]))[0]


async def update(conn: AsyncConnection[Any], region_id: str, data: UpdateRegion) -> Region:
    changes = given(data)
    async with conn.transaction():
        # Lock the row: concurrent updates of one region apply one after the other.
        if await repo.get(conn, region_id, for_update=True) is None:
            raise _not_found(region_id)
        if "currency_code" in changes:
            changes["currency_code"] = await _check_currency(conn, changes["currency_code"])
        row = await repo.update(conn, region_id, changes)
        assert row is not None
        if "countries" in changes:
            await _assign_countries(conn, region_id, changes["countries"])
        if "payment_providers" in changes:
            await _assign_providers(conn, region_id, changes["payment_providers"])
        return (await _assemble(conn, [row]))[0]


async def delete(conn: AsyncConnection[Any], region_id: str) -> None:
    async with conn.transaction():
        if not await repo.soft_delete(conn, region_id):
            raise _not_found(region_id)


async def retrieve(conn: AsyncConnection[Any], region_id: str) -> Region:
    row = await repo.get(conn, region_id)
    if row is None:
        raise _not_found(region_id)
    return (await _assemble(conn, [row]))[0]


async def list_regions(conn: AsyncConnection[Any], query: RegionListQuery) -> tuple[list[Region], int]:
    filters = {"id": query.id, "name": query.name, "currency_code": query.currency_code, "q": query.q}
    rows, count = await repo.list_regions(conn, filters, query.order, query.limit, query.offset)
    return await _assemble(conn, rows), count


async def _check_currency(conn: AsyncConnection[Any], code: str) -> str:
    if await currency.service.missing_codes(conn, [code]):
        raise InvalidData(f"Currency with code: {code} was not found")
    return code.lower()


async def _assign_countries(conn: AsyncConnection[Any], region_id: str, codes: list[str]) -> None:
    wanted = list(dict.fromkeys(c.lower() for c in codes))
    unknown = sorted(set(wanted) - await repo.known_countries(conn, wanted)) if wanted else []
    if unknown:
        raise InvalidData(f'Countries with codes: "{", ".join(unknown)}" do not exist')
    claimed = await repo.set_countries(conn, region_id, wanted)
    taken = [c for c in wanted if c not in claimed]
    if taken:
        raise InvalidData(f'Countries with codes: "{", ".join(taken)}" are already assigned to a region')


async def _assign_providers(conn: AsyncConnection[Any], region_id: str, provider_ids: list[str]) -> None:
    wanted = list(dict.fromkeys(provider_ids))
    found = await payment.service.providers(conn, wanted)
    missing = [p for p in wanted if not found.get(p)]
    if missing:
        raise NotFound(f"Payment providers with ids {', '.join(missing)} not found or not enabled")
    await repo.set_providers(conn, region_id, wanted)


async def _assemble(conn: AsyncConnection[Any], rows: list[dict[str, Any]]) -> list[Region]:
    ids = [r["id"] for r in rows]
    if not ids:
        return []
    countries: dict[str, list[Country]] = {}
    for c in await repo.countries_of(conn, ids):
        countries.setdefault(c["region_id"], []).append(Country(**c))
    providers = await repo.providers_of(conn, ids)
    enabled = await payment.service.providers(conn, sorted({p for ps in providers.values() for p in ps}))
    return [
        Region(
            **r,
            countries=countries.get(r["id"], []),
            payment_providers=[
                PaymentProviderRef(id=p, is_enabled=enabled.get(p, False)) for p in providers.get(r["id"], [])
            ],
        )
        for r in rows
    ]


class RegionCatalog:
    """Every live region, as the store sees them, with encoded answers memoised per query string."""

    MEMO_SIZE = 256

    def __init__(self, regions: list[Region]) -> None:
        self.regions = regions
        self.by_id = {r.id: r for r in regions}
        self.dicts = [msgspec.to_builtins(r) for r in regions]
        self.memo: OrderedDict[tuple[str, str], bytes] = OrderedDict()

    def remember(self, key: tuple[str, str], body: bytes) -> bytes:
        self.memo[key] = body
        if len(self.memo) > self.MEMO_SIZE:
            self.memo.popitem(last=False)
        return body

    def list_body(self, query: RegionListQuery) -> bytes:
        plan = fields.plan(REGION_SHAPE, STORE_DEFAULTS, query.fields)
        selected = [d for d in self.dicts if _matches(d, query)]
        if query.order:
            selected = _sorted(selected, query.order)
        page = selected[query.offset : query.offset + query.limit]
        return _encoder.encode(
            {
                "regions": [fields.apply(plan, d) for d in page],
                "count": len(selected),
                "offset": query.offset,
                "limit": query.limit,
            }
        )

    def one_body(self, region_id: str, fields_param: str | None) -> bytes:
        region = self.by_id.get(region_id)
        if region is None:
            raise _not_found(region_id)
        plan = fields.plan(REGION_SHAPE, STORE_DEFAULTS, fields_param)
        return _encoder.encode({"region": fields.apply(plan, msgspec.to_builtins(region))})


def _matches(region: dict[str, Any], query: RegionListQuery) -> bool:
    if query.id and region["id"] not in query.id:
        return False
    if query.name and region["name"] not in query.name:
        return False
    if query.currency_code and region["currency_code"] not in [c.lower() for c in query.currency_code]:
        return False
    return not (query.q and query.q.lower() not in region["name"].lower())


def _sorted(regions: list[dict[str, Any]], order: str) -> list[dict[str, Any]]:
    column = order.lstrip("-")
    if column not in repo.ORDERABLE:
        raise InvalidData(f"Invalid request: cannot order by '{column}'")
    return sorted(regions, key=lambda r: (r[column], r["id"]), reverse=order.startswith("-"))


async def load_catalog(pool: AsyncConnectionPool[Any]) -> RegionCatalog:
    async with pool.connection() as conn:
        rows = await repo.all_live(conn)
        return RegionCatalog(await _assemble(conn, rows))
