"""Product documents for the storefront: read from catalog_product (rendered by PostgreSQL at each change, see
migrations/0021) one indexed statement per page or product, and kept per worker in a cache whose size is counted in
bytes and bounded by CATALOG_CACHE_MB. A NOTIFY on `commerce_catalog` names the products a commit changed: those
leave the cache (and every page, whose membership or count may have moved), nothing else does."""

import re
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from time import monotonic
from typing import Any, Generic, TypeVar

import msgspec
from psycopg import AsyncConnection
from psycopg.rows import tuple_row
from psycopg_pool import AsyncConnectionPool

from commerce import engine
from commerce.catalog.model import Entry
from commerce.catalog.stock import VARIANTS_OF_ROW
from commerce.errors import InvalidData, NotAllowed
from commerce.listing import Limit, ListQuery

CHANNEL = "commerce_catalog"
VARIANT_KEY_BYTES = 200  # a cache entry variant id -> product id, counted in the budget with its objects
K = TypeVar("K")
V = TypeVar("V")


class ProductQuery(ListQuery, kw_only=True):
    limit: Limit = 50
    q: str | None = None
    id: list[str] | None = None
    handle: list[str] | None = None
    category_id: list[str] | None = None
    collection_id: list[str] | None = None
    tag_id: list[str] | None = None
    type_id: list[str] | None = None
    sales_channel_id: list[str] | None = None
    region_id: str | None = None
    country_code: str | None = None
    province: str | None = None
    currency_code: str | None = None
    cart_id: str | None = None


class ByteLRU(Generic[K, V]):
    """Least recently used entries first out, so that the sum of their sizes (given with each) stays within
    `budget` bytes. An entry larger than the whole budget is not kept."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.nbytes = 0
        self._items: OrderedDict[K, tuple[V, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: K) -> V | None:
        found = self._items.get(key)
        if found is None:
            return None
        self._items.move_to_end(key)
        return found[0]

    def put(self, key: K, value: V, size: int) -> None:
        self.pop(key)
        if size > self.budget:
            return
        self._items[key] = (value, size)
        self.nbytes += size
        while self.nbytes > self.budget:
            _, (_, dropped) = self._items.popitem(last=False)
            self.nbytes -= dropped

    def pop(self, key: K) -> V | None:
        """Take the entry out; its value, or None."""
        found = self._items.pop(key, None)
        if found is None:
            return None
        self.nbytes -= found[1]
        return found[0]

    def clear(self) -> None:
        self._items.clear()
        self.nbytes = 0


# --- SQL -----------------------------------------------------------------------------------------------------------
DOCUMENTS = "SELECT document, set_ids, channel_ids FROM catalog_product WHERE id = ANY(%s)"
BY_VARIANTS = "SELECT document, set_ids, channel_ids FROM catalog_product WHERE variant_ids && %s::text[]"
REFS_BY_CATEGORY = (
    "SELECT id FROM catalog_product WHERE category_ids && %s::text[] AND channel_ids && %s::text[]"
    " ORDER BY created_at, id"
)
REFS_BY_COLLECTION = (
    "SELECT id FROM catalog_product WHERE collection_id = %s AND channel_ids && %s::text[] ORDER BY created_at, id"
)
# The filters Medusa's store list takes, each ANDed in only when given: a statement per combination of filters, each
# planned for what it filters on (a catch-all `(param IS NULL OR ...)` statement cost more to plan than a product
# page by handle costs to run, and no generic plan of it is good). Fixed fragments: no value is ever formatted in.
FROM = " FROM catalog_product WHERE channel_ids && %(channels)s::text[]"
FILTERS = (
    ("id", " AND id = ANY(%(id)s::text[])"),
    ("handle", " AND handle = ANY(%(handle)s::text[])"),
    ("category_id", " AND category_ids && %(category_id)s::text[]"),
    ("collection_id", " AND collection_id = ANY(%(collection_id)s::text[])"),
    ("type_id", " AND type_id = ANY(%(type_id)s::text[])"),
    ("tag_id", " AND tag_ids && %(tag_id)s::text[]"),
)
# `q`, matched in catalog_search (migrations/0056: a narrow copy of what a search reads, with the trigram index):
# each of its words (up to MAX_WORDS; a `q` of no word: the whole of it) is a substring of the product's text, in
# any case — a word's beginning, its middle, part of a SKU. The match is only ever a test of those substrings, each
# a fixed fragment with its own parameter.
MAX_WORDS = 8
WORD_LIKE = tuple(f" AND search_text LIKE %(like{n})s" for n in range(MAX_WORDS))
SEARCH_FROM = " FROM catalog_search WHERE channel_ids && %(channels)s::text[]"
# The other filters of a search, read from catalog_product for the ids they keep.
FILTERED = " AND id IN (SELECT id FROM catalog_product WHERE true"
# Orders catalog_search can give alone (it has no title, handle or updated_at: a search in those orders filters
# catalog_product by the ids it matches).
SEARCH_ORDERS = (None, "search", "created_at", "-created_at")
# A search ranks first the products whose title or handle holds every word of `q` as a word's beginning (a test of
# a short stripped vector per match: ts_rank over every match cost ~3.5 us each, most of the statement at 100k
# products), then by the store's default order. Ranked under the count (OFFSET 0 keeps the planner from merging the
# two), so that counting holds each match's few sort keys. The query is a sub-select, computed once: a prepared
# statement's generic plan would otherwise parse it again for every match.
RANKED_SELECT = "SELECT id, created_at, search_title @@ (SELECT to_tsquery('simple', %(words)s)) AS titled"
# Fixed ORDER BY clauses (never formatted from input): Medusa's `order`, else by relevance for a search, else the
# store's default (oldest first).
RANKED = " ORDER BY titled DESC, created_at, id"
ORDER_BY = {
    None: " ORDER BY created_at, id",
    "search": RANKED,
    "created_at": " ORDER BY created_at, id",
    "-created_at": " ORDER BY created_at DESC, id DESC",
    "updated_at": " ORDER BY updated_at, id",
    "-updated_at": " ORDER BY updated_at DESC, id DESC",
    "title": " ORDER BY title, id",
    "-title": " ORDER BY title DESC, id DESC",
    "handle": " ORDER BY handle, id",
    "-handle": " ORDER BY handle DESC, id DESC",
}
SEARCH_ORDER_CLAUSES = {ORDER_BY[o] for o in SEARCH_ORDERS}
PAGE = " LIMIT %(limit)s OFFSET %(offset)s"
# A search's counts: all it matches, those of them `titled` (relevance's first part) and the size of catalog_search
# (the planner's estimate, which a walk's cost is judged by). A worker keeps them for the search until a catalog
# change is notified; with them, each of its pages is walked (below) or, seldom, ranked.
COUNTS = (
    "SELECT count(*), count(*) FILTER (WHERE search_title @@ (SELECT to_tsquery('simple', %(words)s))),"
    " (SELECT reltuples::bigint FROM pg_class WHERE oid = 'catalog_search'::regclass)"
)
# A list's (no `q`): all it matches (twice: one part) and the size of catalog_product; with no filter but one
# channel, that channel's count (migrations/0062), not every product of it counted.
PRODUCTS_SIZE = "(SELECT reltuples::bigint FROM pg_class WHERE oid = 'catalog_product'::regclass)"
LIST_COUNTS = "SELECT count(*), count(*), " + PRODUCTS_SIZE
CHANNEL_COUNTS = (
    "SELECT n, n, " + PRODUCTS_SIZE + " FROM (SELECT COALESCE((SELECT products FROM catalog_channel_count"
    " WHERE channel_id = (%(channels)s::text[])[1]), 0) AS n) counted"
)
# A page of a list or a search whose counts are known, in created_at order (a search by relevance: the titled part,
# then the rest): catalog_product, or catalog_search (its (created_at, id) index: migrations/0061), walked in that
# order up to the page's last row, each row tested for the filters and the words of `q`, instead of every match
# visited to be counted and sorted. The ordered sub-select (OFFSET 0: planned on its own) leaves PostgreSQL no other
# plan; LIKE ALL is the same test as the LIKEs above, which no index answers. One part of the page (relevance's part,
# its offset and limit in that part) per fixed fragment. Per order: the walk forward, the walk backward (a page nearer
# its part's end is walked from that end), the page's own order.
_OLDEST_FIRST = (" ORDER BY created_at, id", " ORDER BY created_at DESC, id DESC", " ORDER BY part, created_at, id")
WALK_ORDERS = {
    RANKED: _OLDEST_FIRST,  # each part oldest first
    ORDER_BY["created_at"]: _OLDEST_FIRST,
    ORDER_BY["-created_at"]: (
        " ORDER BY created_at DESC, id DESC",
        " ORDER BY created_at, id",
        " ORDER BY part, created_at DESC, id DESC",
    ),
}
WALK_FROM = (
    " FROM (SELECT id, created_at, channel_ids, search_text, search_title FROM catalog_search",
    " OFFSET 0) walked WHERE channel_ids && %(channels)s::text[] AND search_text LIKE ALL (%(likes)s::text[])",
)
WALK_LIST_FROM = (
    " FROM (SELECT id, created_at, channel_ids, category_ids, collection_id, type_id, tag_ids FROM catalog_product",
    " OFFSET 0) walked WHERE channel_ids && %(channels)s::text[]",
)
WALK_TITLED = {
    None: "",
    True: " AND (search_title @@ (SELECT to_tsquery('simple', %(words)s)))",
    False: " AND NOT (search_title @@ (SELECT to_tsquery('simple', %(words)s)))",
}
WALK_PARTS = (
    ("(SELECT id, created_at, 0 AS part", " LIMIT %(take0)s OFFSET %(skip0)s)"),
    ("(SELECT id, created_at, 1 AS part", " LIMIT %(take1)s OFFSET %(skip1)s)"),
)
# A part is walked while the rows to walk (its rows up to the page, spread over the catalog as its matches are) stay
# within this many, or twice what counting and sorting visit (all the matches): else the page is ranked as above.
WALK_ROWS = 2_000
COUNTS_BYTES = 300  # a list's counts in the cache, counted in the budget with their key
# A list by product id or handle (a product page) reads with its few rows their documents, stock and prices: a
# statement whose values come through scalar sub-selects (the channels, the keys, limit and offset), so the planner
# costs each run alike and psycopg's prepared statement (5th run on a connection) keeps PostgreSQL's generic plan.
# With the values in sight PostgreSQL planned it afresh at every run (each custom plan costed cheaper than the
# generic one: its array of 1 handle against a generic 10, its OFFSET 0 against a generic guess): 0.8-1 ms of backend
# CPU per product page at 100k products, more than running it.
KEY_FROM = " FROM catalog_product WHERE channel_ids && (SELECT %(channels)s::text[])"
KEY_FILTERS = {
    "id": " AND id = ANY((SELECT %(id)s::text[])::text[])",
    "handle": " AND handle = ANY((SELECT %(handle)s::text[])::text[])",
}
KEY_PAGE = " LIMIT (SELECT %(limit)s::bigint) OFFSET (SELECT %(offset)s::bigint)"
# The live prices (base and price lists') of a catalog_product row's live price sets, as pricing.repository.SET_PRICES
# reads them, one JSON array of arrays (text: decoded by msgspec, amounts as exact Decimals): what the engine prices
# the product page with, read in its statement instead of a second round trip. The live sets are looked up once each
# (a join looked the set up again for each of its ~5 prices: 0.7 ms of cold index reads per product at 100k).
PRICES_OF_ROW = (
    "(SELECT json_agg(json_build_array(p.id, p.price_set_id, p.price_list_id, p.currency_code, p.amount,"
    " p.min_quantity, p.max_quantity, p.rules))::text FROM price p"
    " WHERE p.deleted_at IS NULL AND p.price_set_id = ANY(ARRAY("
    "SELECT s.id FROM price_set s WHERE s.id = ANY(set_ids) AND s.deleted_at IS NULL)))"
)
_WORD = re.compile(r"\w+")


def _like(q: str) -> str:
    escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_params(q: str | None) -> dict[str, Any]:
    """`q` as substrings of the product's text (`likes`: LIKE patterns, one per word) and, for the ranking, as a
    prefix match of each of its words (`words`: a tsquery)."""
    if not q:
        return {"likes": None, "words": None}
    words = _WORD.findall(q.lower())
    likes = [_like(w) for w in words[: MAX_WORDS - 1]]
    if len(words) >= MAX_WORDS:  # the rest as one substring: still each of them, in that order
        likes.append(_like(" ".join(words[MAX_WORDS - 1 :])).replace(" ", "%"))
    likes = likes or [_like(q)]
    return {
        "likes": likes,
        **{f"like{n}": pattern for n, pattern in enumerate(likes)},
        "words": " & ".join(f"{w}:*" for w in words) if words else None,
    }


def filters(query: ProductQuery, channel_ids: tuple[str, ...]) -> dict[str, Any]:
    channels = list(channel_ids)
    if query.sales_channel_id:
        if not set(query.sales_channel_id) <= set(channel_ids):
            raise NotAllowed("Requested sales channel is not part of the publishable key")
        channels = list(query.sales_channel_id)
    return {
        "channels": channels,
        "id": query.id,
        "handle": query.handle,
        "category_id": query.category_id,
        "collection_id": query.collection_id,
        "type_id": query.type_id,
        "tag_id": query.tag_id,
        **search_params(query.q),
    }


def order_clause(query: ProductQuery) -> str:
    if query.order:
        clause = ORDER_BY.get(query.order)
        if clause is None:
            raise InvalidData(f"Invalid request: cannot order by '{query.order.lstrip('-')}'")
        return clause
    return ORDER_BY["search" if query.q else None]


def _filters(params: dict[str, Any], keys: dict[str, str] | None = None) -> str:
    """The fragments of the filters given, in a fixed order (`keys`: other fragments for id and handle)."""
    keys = keys or {}
    return "".join(keys.get(key, fragment) for key, fragment in FILTERS if params[key] is not None)


def _search(params: dict[str, Any]) -> str:
    """The products of catalog_search that `q` matches, with the other filters of `params`."""
    clause = SEARCH_FROM + "".join(WORD_LIKE[: len(params["likes"])])
    others = _filters(params)
    return clause + (FILTERED + others + ")" if others else "")


def where(params: dict[str, Any], order: str) -> str:
    """FROM and WHERE for these `filters` (the fragments of those given, in a fixed order) in this order."""
    if by_key(params):
        return KEY_FROM + _filters(params, KEY_FILTERS)
    if params["likes"] is None:
        return FROM + _filters(params)
    if order in SEARCH_ORDER_CLAUSES:
        return _search(params)
    return FROM + _filters(params) + " AND id IN (SELECT id" + _search(params) + ")"


def by_key(params: dict[str, Any]) -> bool:
    """Whether the list is asked by product id or handle (and no `q`): a few rows, read with their documents in the
    same statement (a product page by handle is then one round trip, not two)."""
    return params["likes"] is None and (params["id"] is not None or params["handle"] is not None)


def walkable(params: dict[str, Any], order: str) -> bool:
    """Whether this list's pages can be walked (`walk_plan`) in this order: created_at's (a search's relevance too);
    a search of words with no other filter, a list (not by id or handle) with any."""
    if by_key(params) or order not in WALK_ORDERS:
        return False
    if params["likes"] is None:
        return order != RANKED
    # A search's other filters live in catalog_product: tested row by row, PostgreSQL costs the walk as a sort.
    return params["words"] is not None and not any(params[key] is not None for key, _ in FILTERS)


def counts_key(params: dict[str, Any]) -> tuple[Any, ...]:
    """What a list's counts depend on (not its order or page)."""
    return (
        "counts",
        tuple(params["channels"]),
        *(None if params[key] is None else tuple(params[key]) for key in ("likes", *(k for k, _ in FILTERS))),
        params["words"],
    )


def walk_plan(
    order: str, offset: int, limit: int, counts: tuple[int, int, int]
) -> list[tuple[bool | None, int, int, bool]] | None:
    """The parts of this page (relevance's part: titled or not, None for one part; how many of the part's rows come
    before the page's rows in the walk, how many it takes, and whether it walks backward, from the part's end, which
    is nearer) for a list of these counts (all it matches, the titled ones, the catalog's size), when each is cheaper
    to walk than counting and sorting every match; else None. No part: past the last match."""
    matched, titled, size = counts
    size = max(size, matched)
    parts = [(True, titled), (False, matched - titled)] if order == RANKED else [(None, matched)]
    plan = []
    start, end = 0, min(offset + limit, matched)
    for flag, rows in parts:
        low, high = max(offset, start), min(end, start + rows)
        if low < high:
            ahead, behind = high - start, start + rows - low
            backward = behind < ahead
            walked = min(ahead, behind) * size / rows  # its matches spread evenly over the catalog
            if walked > max(WALK_ROWS, 2 * matched):
                return None
            plan.append((flag, start + rows - high if backward else low - start, high - low, backward))
        start += rows
    return plan


def walk_statement(
    order: str, plan: list[tuple[bool | None, int, int, bool]], params: dict[str, Any]
) -> tuple[str, dict[str, int]]:
    """The statement of a page walked by `walk_plan` (each row's id and the count, given as %(count)s) for these
    `filters`, and the parameters of its parts."""
    forward, backward, outer = WALK_ORDERS[order]
    listed = params["likes"] is None
    walked, others = (WALK_LIST_FROM, _filters(params)) if listed else (WALK_FROM, "")
    parts, values = [], {}
    for n, (flag, skip, take, back) in enumerate(plan):
        select, page = WALK_PARTS[n]
        inner = backward if back else forward
        # ORDER BY again: free on the walk's order, and the rows stay in it whatever the plan.
        parts.append(select + walked[0] + inner + walked[1] + others + WALK_TITLED[flag] + inner + page)
        values[f"skip{n}"], values[f"take{n}"] = skip, take
    return "SELECT id, %(count)s::bigint FROM (" + " UNION ALL ".join(parts) + ") page" + outer, values


def _read_along(stock: bool, prices: bool) -> str:
    """A page row's document, price sets and channels, its variants' stock rows (or NULL) and, with `prices`, its
    price sets' prices: the columns a statement that reads the documents adds after the id and count."""
    return (
        ", document, set_ids, channel_ids, "
        + (VARIANTS_OF_ROW if stock else "NULL")
        + (", " + PRICES_OF_ROW if prices else "")
    )


def page_statement(
    order: str,
    params: dict[str, Any],
    *,
    stock: bool = False,
    prices: bool = False,
    documents: bool = False,
    walk: str | None = None,
) -> str:
    """The statement of one page of the list in this order (`order_clause`) with these `filters`: each row's id and
    the count of all the list matches, and (`by_key`, or any list with `documents`) its document, price sets and
    channels, with `stock` its variants' stock rows (catalog.stock.VARIANTS_OF_ROW) and with `prices` its price
    sets' prices (PRICES_OF_ROW). `walk`: the page's rows from `walk_statement` instead."""
    if by_key(params):
        return "SELECT id, count(*) OVER ()" + _read_along(stock, prices) + where(params, order) + order + KEY_PAGE
    if walk is not None:
        statement = walk
    else:
        if order == RANKED:
            head = "SELECT id, count(*) OVER () FROM (" + RANKED_SELECT + where(params, order) + " OFFSET 0) matched"
        else:
            head = "SELECT id, count(*) OVER ()" + where(params, order)
        statement = head + order + PAGE
    if not documents:
        return statement
    # The page's documents (and stock, prices) read for its rows, in the page's order, in the same round trip.
    return (
        "SELECT m.id, m.n"
        + _read_along(stock, prices)
        + " FROM (SELECT id, n, row_number() OVER () AS k FROM ("
        + statement
        + ") page (id, n)) m LEFT JOIN catalog_product c ON c.id = m.id ORDER BY m.k"
    )


def counts_statement(params: dict[str, Any]) -> str:
    """A `walkable` list's counts (COUNTS, LIST_COUNTS, CHANNEL_COUNTS)."""
    if params["likes"] is not None:
        return COUNTS + _search(params)
    others = _filters(params)
    if not others and len(params["channels"]) == 1:
        return CHANNEL_COUNTS
    return LIST_COUNTS + FROM + others


def count_statement(order: str, params: dict[str, Any]) -> str:
    return "SELECT count(*)" + where(params, order)


class Page:
    """One page of a product list: its ids, the count of all the list matches, and what the statement read with
    them (a list by id or handle): the products, and their variants' stock rows (catalog.stock.entries_of)."""

    __slots__ = ("count", "entries", "ids", "price_rows", "stock_rows")

    def __init__(self, ids: list[str], count: int) -> None:
        self.ids = ids
        self.count = count
        self.entries: dict[str, Entry] = {}
        self.stock_rows: list[Any] = []
        self.price_rows: list[PriceRow] | None = None  # read with the documents when asked (`prices`)


class PriceRow(msgspec.Struct, array_like=True, frozen=True):
    """One row of PRICES_OF_ROW (pricing.repository.SET_PRICES's columns)."""

    id: str
    price_set_id: str
    price_list_id: str | None
    currency_code: str
    amount: Decimal
    min_quantity: int | None
    max_quantity: int | None
    rules: dict[str, Any]


_decode_prices = msgspec.json.Decoder(list[PriceRow]).decode
_decode_stock = msgspec.json.Decoder(list[tuple[Any, ...]]).decode


class Documents:
    """The per-worker cache of product documents (Entry) and rendered pages, in one byte budget."""

    def __init__(self, budget_bytes: int) -> None:
        self.cache: ByteLRU[Any, Any] = ByteLRU(budget_bytes)
        self.connected = False  # set by the change feed; while down every read goes to PostgreSQL
        self._generation = 0
        self._page_keys: set[Any] = set()
        # When the last change was notified (monotonic): a replica may serve reads only once it shows that change.
        self.changed_at = monotonic()

    # -- invalidation (from the change feed) --
    def changed(self, payload: str) -> None:
        """A commit changed these products (comma-separated ids, `*` for many)."""
        self._generation += 1
        self.changed_at = monotonic()
        if payload == "*":
            self.clear()
            return
        for product_id in payload.split(","):
            self.cache.pop(("product", product_id))
        self.clear_pages()

    def clear_pages(self) -> None:
        self._generation += 1
        self.changed_at = monotonic()
        for key in self._page_keys:
            self.cache.pop(key)
        self._page_keys.clear()

    def clear(self) -> None:
        self._generation += 1
        self.cache.clear()
        self._page_keys.clear()

    def set_connected(self, connected: bool) -> None:
        self.connected = connected
        self.changed_at = monotonic()
        self.clear()

    # -- pages --
    def page(self, key: Any) -> Any:
        return self.cache.get(("page", key)) if self.connected else None

    def remember_page(self, key: Any, value: Any, size: int, generation: int) -> None:
        if self.connected and generation == self._generation:
            self._page_keys.add(("page", key))
            self.cache.put(("page", key), value, size)
            # Pages evicted by the budget leave stale keys behind: forget them when they outnumber the cache.
            if len(self._page_keys) > 2 * len(self.cache) + 64:
                self._page_keys = {k for k in self._page_keys if self.cache.get(k) is not None}

    @property
    def generation(self) -> int:
        return self._generation

    # -- reads --
    async def select(
        self,
        pool: AsyncConnectionPool[Any],
        query: ProductQuery,
        channel_ids: tuple[str, ...],
        *,
        stock: bool = False,
        prices: bool = False,
        documents: bool = False,
    ) -> Page:
        """The ids of one page of the list and the count of all it matches; for a list by id or handle (`by_key`),
        or any with `documents`, also its products, read by the same statement, with `stock` their variants' stock
        rows and with `prices` their price sets' prices (Page.price_rows)."""
        params = {**filters(query, channel_ids), "limit": query.limit, "offset": query.offset}
        generation = self._generation
        order = order_clause(query)
        walk = None
        async with pool.connection() as conn:
            cur = conn.cursor(row_factory=tuple_row)
            if walkable(params, order):
                key = counts_key(params)
                counts = self.page(key)
                if counts is None:
                    await cur.execute(counts_statement(params), params)
                    matched, titled, size = await cur.fetchone() or (0, 0, 0)
                    counts = (int(matched), int(titled), int(size))
                    self.remember_page(key, counts, COUNTS_BYTES, generation)
                plan = walk_plan(order, query.offset, query.limit, counts)
                if plan == []:
                    return Page([], counts[0])
                if plan is not None:
                    walk, values = walk_statement(order, plan, params)
                    params.update(values, count=counts[0])
            statement = page_statement(order, params, stock=stock, prices=prices, documents=documents, walk=walk)
            await cur.execute(statement, params)
            rows = await cur.fetchall()
            if not rows:
                await cur.execute(count_statement(order, params), params)
                found = await cur.fetchone()
                return Page([], int(found[0]) if found else 0)
        page = Page([r[0] for r in rows], int(rows[0][1]))
        if len(rows[0]) > 2:  # the documents came along (decoded only when this worker has none of them)
            read = []
            if len(rows[0]) > 6:
                page.price_rows = []
            for row in rows:
                if row[2] is None:  # unpublished meanwhile (a list's rows read before its documents)
                    continue
                hit = self.held(row[0])
                if hit is None:
                    hit = Entry(row[2].encode(), row[3], row[4])
                    read.append(hit)
                page.entries[row[0]] = hit
                if row[5] is not None:
                    page.stock_rows.extend(_decode_stock(row[5]))
                if page.price_rows is not None and row[6] is not None:
                    page.price_rows.extend(_decode_prices(row[6]))
            self._keep(read, generation)
        return page

    def held(self, product_id: str) -> Entry | None:
        """The product as this worker holds it (none while the change feed is down)."""
        found: Entry | None = self.cache.get(("product", product_id)) if self.connected else None
        return found

    async def products(self, pool: AsyncConnectionPool[Any], ids: Sequence[str]) -> dict[str, Entry]:
        """The published products among these ids, from the cache or one statement."""
        out: dict[str, Entry] = {}
        missing = []
        for product_id in ids:
            hit = self.held(product_id)
            if hit is None:
                missing.append(product_id)
            else:
                out[product_id] = hit
        if missing:
            generation = self._generation
            async with pool.connection() as conn:
                entries = await _fetch(conn, DOCUMENTS, (missing,))
            self._keep(entries, generation)
            out.update((e.id, e) for e in entries)
        return out

    async def product_ids_in(
        self,
        pool: AsyncConnectionPool[Any],
        channel_ids: tuple[str, ...],
        category_id: str | None = None,
        collection_id: str | None = None,
    ) -> list[str]:
        """Ids of the products of a category or a collection that these channels may see, oldest first."""
        async with pool.connection() as conn:
            cur = conn.cursor(row_factory=tuple_row)
            if category_id is not None:
                await cur.execute(REFS_BY_CATEGORY, ([category_id], list(channel_ids)))
            else:
                await cur.execute(REFS_BY_COLLECTION, (collection_id, list(channel_ids)))
            return [r[0] for r in await cur.fetchall()]

    async def variants(
        self, conn: AsyncConnection[Any], variant_ids: Iterable[str], *, cached: bool = False
    ) -> list[Entry]:
        """The published products holding these variants: with `cached`, from the cache when it holds them all, else
        read on the caller's connection (its transaction)."""
        wanted = sorted(set(variant_ids))
        if not wanted:
            return []
        if cached and self.connected:
            hits = self._holding(wanted)
            if hits is not None:
                return hits
        generation = self._generation
        entries = await _fetch(conn, BY_VARIANTS, (wanted,))
        self._keep(entries, generation, by_variant=True)
        return entries

    def _holding(self, variant_ids: list[str]) -> list[Entry] | None:
        """The cached products holding these variants, or None when any is not cached (a variant's key names its
        product; a NOTIFY drops the product, so a stale key finds nothing)."""
        found: dict[str, Entry] = {}
        for vid in variant_ids:
            product_id = self.cache.get(("variant", vid))
            entry = None if product_id is None else found.get(product_id) or self.cache.get(("product", product_id))
            if entry is None or vid not in entry.snapshots:
                return None
            found[entry.id] = entry
        return list(found.values())

    def _keep(self, entries: list[Entry], generation: int, *, by_variant: bool = False) -> None:
        # Not when a change was notified meanwhile: what was read may be older than it.
        if self.connected and generation == self._generation:
            for e in entries:
                self.cache.put(("product", e.id), e, e.nbytes)
                if by_variant:  # what cart changes look products up by
                    for vid in e.variant_ids:
                        self.cache.put(("variant", vid), e.id, VARIANT_KEY_BYTES)


async def _fetch(conn: AsyncConnection[Any], statement: str, params: tuple[Any, ...]) -> list[Entry]:
    cur = conn.cursor(row_factory=tuple_row)
    await cur.execute(statement, params)
    return [Entry(document.encode(), set_ids, channel_ids) for document, set_ids, channel_ids in await cur.fetchall()]


class Loaded(dict[str, tuple[Entry, dict[str, Any]]]):
    """Variant id -> (its product, its line-item snapshot), for the variants loaded; None for one loaded but not
    published. Asking for one never loaded is a bug in the flow, not a missing product: it raises."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        if key not in self.asked:
            raise RuntimeError(f"variant {key} read before CatalogReads.load")
        return super().get(key, default)


class CatalogReads:
    """What one cart request knows of the products its lines refer to: loaded by variant id before use."""

    def __init__(self, documents: Documents) -> None:
        self._documents = documents
        self.variants = Loaded()
        self.price_index: engine.PriceIndex | None = None  # the prices of `priced` (flows.cart loads them)
        self.priced: set[str] = set()

    async def load(self, conn: AsyncConnection[Any], variant_ids: Iterable[str], *, cached: bool = True) -> None:
        """Load these variants' products: from the worker's cache when it holds them (kept coherent by NOTIFY, as
        product pages are); with `cached=False` from the caller's transaction (checkout's snapshot)."""
        wanted = {v for v in variant_ids if v and v not in self.variants.asked}
        if not wanted:
            return
        for e in await self._documents.variants(conn, wanted, cached=cached):
            for vid, snapshot in e.snapshots.items():
                self.variants[vid] = (e, snapshot)
        self.variants.asked |= wanted
