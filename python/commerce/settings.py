"""Process settings, read once from the environment."""

import os
import secrets
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str | None
    home: Path
    host: str
    port: int
    workers: int
    access_log: bool
    jwt_secret: str
    jwt_expires_in: int
    pool_size: int
    public_url: str  # where clients reach this server (absolute URLs of the files it serves)
    body_timeout: float  # seconds a request's whole body may take to arrive
    pool_timeout: float = 5.0  # seconds a request waits for a free database connection (503 after that)
    event_subscribers: str = ""  # `package.module:function, ...` subscribed to domain events (a mail sender)
    max_in_flight: int = 256  # requests a worker serves at once; more are answered 503 + Retry-After at once
    hold_sweep_interval: float = 1.0  # seconds between a worker's sweeps of expired flash-sale holds
    database_listen_url: str | None = None  # LISTEN for the change feed: a session (None: the app's URL)
    database_direct_url: str | None = None  # migrations' session advisory lock, CLI one-offs (None: DATABASE_URL)
    database_replica_url: str | None = None  # lag-tolerant reads (catalog); None: everything on the primary
    database_pooling: str = "auto"  # "transaction" (PgBouncer), "none" (direct), "auto" (detected at start)
    replica_max_lag: float = 2.0  # seconds a replica may be behind before reads go to the primary
    catalog_cache_mb: int = 32  # per worker: hot product documents and pages (catalog.documents)
    cart_copies_mb: int = 64  # per server: carts as last written, shared by its workers (cart.copies; 0: off)


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be an integer, got {raw!r}") from None


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a number, got {raw!r}") from None
    if not value > 0:
        raise SystemExit(f"{name} must be above 0, got {raw!r}")
    return value


def load() -> Settings:
    home = Path(os.environ.get("COMMERCE_HOME", ".commerce")).resolve()
    host, port = os.environ.get("HOST", "127.0.0.1"), _int("PORT", 9000)
    return Settings(
        database_url=os.environ.get("DATABASE_URL") or None,
        home=home,
        host=host,
        port=port,
        workers=_int("WORKERS", 1),
        access_log=os.environ.get("ACCESS_LOG", "") not in ("", "0", "false"),
        jwt_secret=os.environ.get("JWT_SECRET") or _local_secret(home),
        jwt_expires_in=_int("JWT_EXPIRES_IN", 24 * 3600),
        pool_size=_int("DB_POOL_SIZE", 10),
        public_url=(os.environ.get("PUBLIC_URL") or f"http://{reachable(host)}:{port}").rstrip("/"),
        body_timeout=_int("BODY_TIMEOUT", 10),
        pool_timeout=_float("DB_POOL_TIMEOUT", 5.0),
        event_subscribers=os.environ.get("EVENT_SUBSCRIBERS", ""),
        max_in_flight=max(1, _int("MAX_IN_FLIGHT", 256)),
        hold_sweep_interval=max(1, _int("HOLD_SWEEP_INTERVAL", 1)),
        database_listen_url=os.environ.get("DATABASE_LISTEN_URL") or None,
        database_direct_url=os.environ.get("DATABASE_DIRECT_URL") or None,
        database_replica_url=os.environ.get("DATABASE_REPLICA_URL") or None,
        database_pooling=_choice("DATABASE_POOLING", ("auto", "transaction", "none")),
        replica_max_lag=_float("DATABASE_REPLICA_MAX_LAG", 2.0),
        catalog_cache_mb=_int("CATALOG_CACHE_MB", 32),
        cart_copies_mb=_int("CART_COPIES_MB", 64),
    )


def reachable(host: str) -> str:
    """Where this machine reaches a server listening on `host` (all interfaces: loopback)."""
    return "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 - a listen address, not a bind


def _choice(name: str, allowed: tuple[str, ...]) -> str:
    raw = os.environ.get(name) or allowed[0]
    if raw not in allowed:
        raise SystemExit(f"{name} must be one of {', '.join(allowed)}, got {raw!r}")
    return raw


def _local_secret(home: Path) -> str:
    """A per-installation JWT secret kept under COMMERCE_HOME, so tokens survive restarts and workers agree."""
    path = home / "jwt_secret"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        home.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_urlsafe(48)
        # O_EXCL: when several workers start at once, the first writer wins and the rest read its secret.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip()
        with os.fdopen(fd, "w") as f:
            f.write(secret)
        return secret
