"""`commerce serve | migrate | seed --demo | user | api-key create`."""

import argparse
import importlib.util
import os
import subprocess
import sys
import threading
from contextlib import contextmanager
from typing import Any, TypeVar

from commerce import settings as settings_module

T = TypeVar("T")
# What the `server` extra installs, by import name: a base install (the engine only) has none of them.
SERVER_MODULES = "granian uvloop msgspec psycopg psycopg_pool argon2 jwt cryptography tqdm pgserver".split()


@contextmanager
def database(settings: settings_module.Settings) -> Any:
    """The database URL for migrations and one-off work: DATABASE_DIRECT_URL, else DATABASE_URL, else the embedded
    server under COMMERCE_HOME (started, kept running while the block runs)."""
    if settings.database_url:
        yield settings.database_direct_url or settings.database_url
        return
    from commerce.db import embedded

    uri, handle = embedded.start(settings.home)
    try:
        yield uri
    finally:
        handle.cleanup()  # stops the embedded server (it is started again, warm, next time)


def prepare(url: str, seed: bool, public_url: str | None = None, info: bool = False) -> Any:
    """Migrate; with `seed`, seed the demo store once (its image URLs start with `public_url`); with `info`,
    return the demo store's `setup.DemoInfo` (read on the same connection as the seed check)."""
    from commerce.db.migrate import MigrationsMissing, migrate

    try:
        applied = migrate(url)
    except MigrationsMissing as exc:
        raise SystemExit(f"error: {exc}") from None
    if applied:
        print(f"applied migrations: {', '.join(applied)}")
    if not (seed or info):
        return None
    from commerce.db.connect import run_with_conn
    from commerce.flows import setup

    async def work(conn: Any) -> Any:
        seeded = False
        if seed and not await setup.is_seeded(conn):
            await setup.seed_demo(conn, public_url=public_url or setup.DEMO_PUBLIC_URL)
            print("seeded the demo store")
            seeded = True
        found = await setup.demo_info(conn) if info else None
        if found is not None and not seeded:
            found.admin_password = None  # printed once, when the demo store was seeded: not on every start
        return found

    return run_with_conn(url, work)


def cmd_serve(args: argparse.Namespace) -> int:
    settings = settings_module.load()
    if settings.database_url:
        # Granian starts at once, in this process. Each worker applies pending migrations itself before it answers
        # anything but /health (App.startup, under the migrations' advisory lock), so no request meets an old schema;
        # the seed check and the demo logins come from a child (`cmd_prepare`) once the workers are ready. This
        # process imports neither psycopg nor the seed's modules, so it and the workers it forks start small.
        _print_listening(settings)
        setup = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
            [sys.executable, "-m", "commerce.cli", "_prepare", *(["--no-seed"] if args.no_seed else [])]
        )
        threading.Thread(target=setup.wait, name="commerce-setup", daemon=True).start()  # reaped when it ends
        from commerce import server

        try:
            server.run(settings)
        finally:
            if setup.poll() is None:  # still seeding when the server stopped: it stops too, as it did before
                setup.terminate()
        return 0
    with database(settings) as url:  # the embedded server: started, migrated and seeded before Granian
        info = prepare(url, seed=not args.no_seed, public_url=settings.public_url, info=True)
        os.environ["COMMERCE_DATABASE_URL"] = url
        _print_listening(settings)
        _print_info(info)
        from commerce import server

        server.run(settings)
    return 0


def cmd_prepare(args: argparse.Namespace) -> int:
    """`commerce serve`'s setup beside Granian: migrate, seed the demo store once, print its logins."""
    os.nice(19)  # the lowest priority, and only once the workers have started: they come first
    settings = settings_module.load()
    _wait_ready(settings)
    with database(settings) as url:
        _print_info(prepare(url, seed=not args.no_seed, public_url=settings.public_url, info=True))
    return 0


def _wait_ready(settings: settings_module.Settings, timeout: float = 60.0) -> None:
    """Until the server answers /health/ready (its workers applied the migrations and connected), or `timeout`
    seconds: on a one-CPU machine this setup's imports and queries would otherwise slow the workers' start."""
    import http.client
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        conn = http.client.HTTPConnection(settings_module.reachable(settings.host), settings.port, timeout=1)
        try:
            conn.request("GET", "/health/ready")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.05)


def _print_listening(settings: settings_module.Settings) -> None:
    print(f"commerce-core listening on http://{settings.host}:{settings.port} ({settings.workers} worker(s))")
    print(f"database: {'DATABASE_URL' if settings.database_url else 'embedded PostgreSQL in ' + str(settings.home)}")
    sys.stdout.flush()


def _print_info(info: Any) -> None:
    if info.publishable_key:
        print(f"publishable API key (x-publishable-api-key): {info.publishable_key}")
    if info.admin_email and info.admin_password:
        print(f"demo admin login: {info.admin_email} / {info.admin_password}  (POST /auth/user/emailpass)")
    elif info.admin_email:
        print(f"demo admin login: {info.admin_email} (its password is shown on the first start only)")
    sys.stdout.flush()


def cmd_migrate(args: argparse.Namespace) -> int:
    with database(settings_module.load()) as url:
        prepare(url, seed=False)
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    if not args.demo:
        print("nothing to seed: pass --demo", file=sys.stderr)
        return 2
    if args.products < 1:
        print("error: --products must be at least 1", file=sys.stderr)
        return 2
    import time

    from commerce.db.connect import run_with_conn
    from commerce.flows import setup

    settings = settings_module.load()
    with database(settings) as url:
        prepare(url, seed=False)
        bar = _bar(args.products, "products", args.quiet)
        began = time.perf_counter()

        async def seed_once(conn: Any) -> bool:
            if await setup.is_seeded(conn):
                return False
            public_url = settings.public_url or setup.DEMO_PUBLIC_URL
            await setup.seed_demo(conn, public_url=public_url, products=args.products, progress=bar.update)
            return True

        try:
            seeded = run_with_conn(url, seed_once)
        finally:
            bar.close()
    if not seeded:
        print("the demo store is already seeded: nothing done")
        return 0
    seconds = time.perf_counter() - began
    rate = args.products / seconds if seconds else 0.0
    print(f"seeded the demo store: {args.products} products in {seconds:.2f} s ({rate:,.0f} products/s)")
    return 0


def cmd_user(args: argparse.Namespace) -> int:
    from commerce.db.connect import run_with_conn
    from commerce.errors import CommerceError
    from commerce.flows import setup

    with database(settings_module.load()) as url:
        prepare(url, seed=False)
        try:
            created = run_with_conn(url, lambda conn: setup.create_admin_user(conn, args.email, args.password))
        except CommerceError as exc:
            print(f"error: {exc.message}", file=sys.stderr)
            return 1
    print(f"created admin user {created.id} <{created.email}>")
    return 0


def cmd_api_key(args: argparse.Namespace) -> int:
    from commerce.db.connect import run_with_conn
    from commerce.errors import CommerceError
    from commerce.flows import setup

    with database(settings_module.load()) as url:
        prepare(url, seed=False)
        try:
            key = run_with_conn(
                url, lambda conn: setup.create_api_key(conn, args.type, args.title, args.sales_channel, "")
            )
        except CommerceError as exc:
            print(f"error: {exc.message}", file=sys.stderr)
            return 1
    print(f"created {key.type} key {key.id}")
    print(key.token)
    return 0


def _bar(total: int, unit: str, quiet: bool) -> Any:
    from tqdm import tqdm  # type: ignore[import-untyped]

    return tqdm(total=total, unit=unit, disable=quiet, file=sys.stderr, dynamic_ncols=True)


def cmd_import(args: argparse.Namespace) -> int:
    import csv
    import time

    from commerce.db.connect import run_with_conn
    from commerce.flows import product_import
    from commerce.product.csv_format import CsvInvalid, read_rows

    with open(args.file, encoding="utf-8-sig", newline="") as f:
        records = list(read_rows(f))
    products = len({r[1] for r in records[1:]}) if records else 0  # an estimate for the bar only
    with database(settings_module.load()) as url:
        prepare(url, seed=False)
        bar = _bar(products, "products", args.quiet)
        began = time.perf_counter()
        try:
            result = run_with_conn(url, lambda conn: product_import.import_products(conn, records, bar.update))
        except CsvInvalid as exc:
            bar.close()
            print(f"error: {args.file} was not imported, nothing was written:", file=sys.stderr)
            for error in exc.errors:
                print(f"  {error}", file=sys.stderr)
            return 1
        except csv.Error as exc:
            bar.close()
            print(f"error: {args.file} is not a readable CSV file: {exc}", file=sys.stderr)
            return 1
        bar.close()
    seconds = time.perf_counter() - began
    rate = result.products / seconds if seconds else 0.0
    print(
        f"imported {result.products} products, {result.variants} variants in {seconds:.2f} s ({rate:,.0f} products/s)"
    )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    import contextlib

    from commerce.db.connect import run_with_conn
    from commerce.flows import product_import

    with database(settings_module.load()) as url:
        prepare(url, seed=False)
        with contextlib.ExitStack() as stack:
            out = stack.enter_context(open(args.file, "w", encoding="utf-8", newline="")) if args.file else sys.stdout
            bar = stack.enter_context(_bar(0, "products", args.quiet or not args.file))

            def begin(total: int) -> None:
                bar.reset(total=total)

            count = run_with_conn(url, lambda conn: product_import.export_products(conn, out, bar.update, begin))
    if args.file:
        print(f"exported {count} products to {args.file}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="commerce", description=__doc__)
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="{serve,migrate,seed,user,api-key,import,export}"
    )
    serve = sub.add_parser("serve", help="serve the API with Granian (HOST, PORT, WORKERS from the environment)")
    serve.add_argument("--no-seed", action="store_true", help="do not seed the demo store on first run")
    serve.set_defaults(func=cmd_serve)
    prepare_serve = sub.add_parser("_prepare")  # what `serve` runs beside Granian (not listed in --help)
    prepare_serve.add_argument("--no-seed", action="store_true")
    prepare_serve.set_defaults(func=cmd_prepare)
    sub.add_parser("migrate", help="apply pending migrations").set_defaults(func=cmd_migrate)
    seed = sub.add_parser("seed", help="seed data")
    seed.add_argument("--demo", action="store_true", help="the demo store (once)")
    seed.add_argument(
        "--products", type=int, default=1000, metavar="N", help="how many demo products, 3 variants each (1000)"
    )
    seed.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    seed.set_defaults(func=cmd_seed)
    user = sub.add_parser("user", help="create an admin user")
    user.add_argument("-e", "--email", required=True)
    user.add_argument("-p", "--password", required=True)
    user.set_defaults(func=cmd_user)
    keys = sub.add_parser("api-key", help="API keys")
    keys_sub = keys.add_subparsers(dest="action", required=True)
    create = keys_sub.add_parser("create", help="create a key and print its token (shown once)")
    create.add_argument("--type", choices=["publishable", "secret"], required=True)
    create.add_argument("--title", required=True)
    create.add_argument("--sales-channel", default=None, help="link a publishable key to this sales channel id")
    create.set_defaults(func=cmd_api_key)
    importer = sub.add_parser("import", help="import products from a CSV file in Medusa v2's product CSV format")
    importer.add_argument("file", help="the CSV file")
    importer.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    importer.set_defaults(func=cmd_import)
    exporter = sub.add_parser("export", help="export every product as CSV in Medusa v2's product CSV format")
    exporter.add_argument("file", nargs="?", default=None, help="the CSV file to write (default: standard output)")
    exporter.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    exporter.set_defaults(func=cmd_export)
    args = parser.parse_args(argv)
    missing = [name for name in SERVER_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        print(
            f"commerce {args.command} needs the server's dependencies (missing: {', '.join(missing)}); "
            "install them with: pip install 'commerce-core[server]'",
            file=sys.stderr,
        )
        return 2
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
