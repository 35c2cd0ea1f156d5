"""Client dashboard benchmark: the invoice CSV of a client with 10,000 invoices, and the
dashboard page of a client with 500 orders.

    .venv/bin/python bench/dashboard_bench.py [--db sqlite,postgres] [--invoices 10000]
                                              [--orders 500] [--csv-runs 10] [--duration 10]
                                              [--connections 4] [--keep-tmp]

Per database: a fresh database (`smplat_bench_dashboard` on PostgreSQL, a temp file on
SQLite), `migrate`, two clients created in bulk (one with `--orders` orders, each with
tasks, history, an invoice and a month of daily analytics snapshots; one with `--invoices`
invoices over its subscription orders), then gunicorn with production settings. Each
client signs in through `/accounts/login/` like a browser (CSRF cookie and token, then the
session cookie), and then:

1. CSV: `GET /dashboard/billing/invoices.csv` `--csv-runs` times after one warm-up, each read
   to its last byte: time to first and to last byte, bytes, data rows (parsed as CSV).
   Target: every run under 2 s, with one row per invoice.
2. Dashboard: `GET /dashboard/?orders_page=<n>` under wrk, each request asking for the next
   page of the client's order picker (50 orders a page; bench/dashboard.lua), the selected
   order's progress, timeline and charts on every page: req/s, p50/p95/p99.

A URL that answers 404 (a section not built or not switched on) is reported as MISSING, not
measured; the run goes on. Prints a table and PASS/FAIL/NOISY lines, writes
bench/results/dashboard-<db>.json and bench/results/dashboard-table.md. Exits non-zero only
when the harness itself fails. See bench/README.md.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import io
import re
import sys
import tempfile
import time
import traceback
from http.cookies import SimpleCookie
from pathlib import Path

import fulfillment_bench
import harness
from harness import HarnessError, Scenario, log

RESULTS_DIR = harness.BENCH_DIR / "results"
DASHBOARD_LUA = harness.BENCH_DIR / "dashboard.lua"
# Its own database, so it can run while bench/run.py or bench/fulfillment_bench.py do.
POSTGRES_DB = "smplat_bench_dashboard"
PASSWORD = "bench-dashboard-password"
ORDERS_USER = "bench-orders"
INVOICES_USER = "bench-invoices"
INVOICES_PER_ORDER = 20  # the invoice client's orders: one order invoice + 19 renewals each
SNAPSHOT_DAYS = 30
CSV_PATH = "/dashboard/billing/invoices.csv"
DASHBOARD_PATH = "/dashboard/"
CSV_TARGET_S = 2.0
WARMUP_SECONDS = 2
THREADS = 2
NOISY_OTHER_CPU_PCT = 25


# --------------------------------------------------------------------------- data


def create_data(args) -> dict:
    """Both clients and everything their pages read, in bulk; returns what the requests need."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    from catalog.models import Category, Product
    from fulfillment.models import Adapter, PlanStep, StepKind

    category = Category.objects.create(slug="bench-dashboard", name="Bench dashboard")
    product = Product.objects.create(
        slug="bench-instagram-growth",
        title="Instagram Growth",
        summary="Follower growth (benchmark).",
        category=category,
        platform="instagram",
        base_amount=4_900,
        billing_modes="both",
        subscription_amount=3_900,
    )
    PlanStep.objects.bulk_create(
        [
            PlanStep(product=product, position=0, name="Deliver growth", kind=StepKind.DELIVERY),
            PlanStep(
                product=product,
                position=1,
                name="Instagram analytics snapshot",
                kind=StepKind.ANALYTICS,
                adapter=Adapter.SANDBOX,
                parameters={"analytics": True},
            ),
        ]
    )
    password = make_password(PASSWORD)
    users = get_user_model().objects
    orders_user = users.create(
        username=ORDERS_USER, email=f"{ORDERS_USER}@example.com", password=password
    )
    invoices_user = users.create(
        username=INVOICES_USER, email=f"{INVOICES_USER}@example.com", password=password
    )
    flag = switch_flag_on([orders_user, invoices_user])
    started = time.monotonic()
    numbers = create_orders(orders_user, product, "BO", args.orders, renewals=0, full=True)
    log(f"data: {args.orders} orders with tasks, history and snapshots ({_took(started)})")
    started = time.monotonic()
    count = -(-args.invoices // INVOICES_PER_ORDER)
    create_orders(
        invoices_user,
        product,
        "BI",
        count,
        renewals=INVOICES_PER_ORDER - 1,
        full=False,
        invoices=args.invoices,
    )
    log(f"data: {args.invoices} invoices over {count} orders ({_took(started)})")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # what autovacuum would do within a minute
    connection.close()
    return {"order_numbers": numbers, "flag": flag}


def _took(started: float) -> str:
    return f"{time.monotonic() - started:.1f}s"


def switch_flag_on(users) -> str:
    """The billing centre's flag on for the bench clients."""
    from core.flags import BILLING_CENTRE, flag_enable

    flag_enable(name=BILLING_CENTRE, users=users)
    return f"{BILLING_CENTRE} on for the bench clients"


def create_orders(
    user, product, prefix: str, count: int, *, renewals: int, full: bool, invoices: int = 0
) -> list[str]:
    """`count` paid orders of `user` with an order invoice (+ `renewals` renewal invoices,
    `invoices` in all when given); `full` adds tasks, status history and daily snapshots."""
    from datetime import timedelta

    from django.utils import timezone

    from backoffice.demo_clients import snapshot_row
    from billing.models import Invoice, InvoiceLine
    from fulfillment.models import AnalyticsSnapshot, FulfillmentTask, StepKind, TaskStatus
    from orders.models import Order, OrderLine, OrderStatus, OrderStatusChange

    now = timezone.now()
    statuses = [OrderStatus.ACTIVE, OrderStatus.COMPLETED, OrderStatus.PROCESSING]
    orders = Order.objects.bulk_create(
        (
            Order(
                number=f"{prefix}-{i:06d}",
                user=user,
                email=user.email,
                name="Bench Client",
                status=statuses[i % len(statuses)],
                currency="USD",
                subtotal_amount=4_900,
                total_amount=4_900,
                is_subscription=renewals > 0,
                paid_at=now - timedelta(days=SNAPSHOT_DAYS, minutes=i),
                payment_reference=f"pi_bench_{prefix}_{i}",
            )
            for i in range(count)
        ),
        batch_size=1_000,
    )
    orders = list(Order.objects.filter(user=user).order_by("number"))
    lines = OrderLine.objects.bulk_create(
        (
            OrderLine(
                order=order,
                product=product,
                title=product.title,
                configuration={},
                breakdown={},
                quantity=1,
                billing="subscription" if renewals else "one_off",
                interval="month" if renewals else "",
                target=f"@bench.account{i}",
                targets=[f"@bench.account{i}"],
                currency="USD",
                gross_amount=4_900,
                discount_amount=0,
                total_amount=4_900,
            )
            for i, order in enumerate(orders)
        ),
        batch_size=1_000,
    )
    invoice_rows = []
    total = invoices or count * (1 + renewals)
    for i, order in enumerate(orders):
        for n in range(1 + renewals):
            if len(invoice_rows) == total:
                break
            issued = order.paid_at + timedelta(days=30 * n)
            invoice_rows.append(
                Invoice(
                    number=f"INV-{prefix}-{len(invoice_rows) + 1:07d}",
                    order=order,
                    kind=Invoice.Kind.RENEWAL if n else Invoice.Kind.ORDER,
                    status=Invoice.Status.REFUNDED if i % 17 == 5 else Invoice.Status.PAID,
                    refunded_amount=4_900 if i % 17 == 5 else 0,
                    currency="USD",
                    subtotal_amount=4_900,
                    total_amount=4_900,
                    payment_reference=f"pi_bench_{prefix}_{i}_{n}",
                    provider_invoice_id=f"in_bench_{prefix}_{i}_{n}" if n else None,
                    issued_at=issued,
                    period_start=issued if n else None,
                    period_end=issued + timedelta(days=30) if n else None,
                )
            )
    Invoice.objects.bulk_create(invoice_rows, batch_size=2_000)
    ids = Invoice.objects.filter(order__user=user).values_list("pk", "kind")
    # Every 50th line starts like a formula, so the CSV's neutralising is part of the cost.
    InvoiceLine.objects.bulk_create(
        (
            InvoiceLine(
                invoice_id=pk,
                description=("=" if pk % 50 == 0 else "")
                + ("Renewal: " if kind == "renewal" else "")
                + f"{product.title} for @bench.account",
                quantity=1,
                currency="USD",
                gross_amount=4_900,
                total_amount=4_900,
            )
            for pk, kind in ids
        ),
        batch_size=2_000,
    )
    if not full:
        return [order.number for order in orders]
    OrderStatusChange.objects.bulk_create(
        (
            OrderStatusChange(order=order, from_status=before, to_status=after, source="bench")
            for order in orders
            for before, after in (("", "pending"), ("pending", "processing"))
        ),
        batch_size=2_000,
    )
    FulfillmentTask.objects.bulk_create(
        (
            FulfillmentTask(
                order=order,
                order_line=line,
                target=line.target,
                position=position,
                name=name,
                kind=kind,
                adapter="sandbox",
                status=TaskStatus.QUEUED if position == 0 else TaskStatus.SUCCEEDED,
                due_at=now + timedelta(days=30),
                runs=2,
                started_at=order.paid_at,
                quantity=1_000 if position == 0 else None,
                delivered=500 if position == 0 else None,
                remains=500 if position == 0 else None,
                start_count=4_000 if position == 0 else None,
            )
            for order, line in zip(orders, lines, strict=True)
            for position, name, kind in (
                (0, "Deliver growth", StepKind.DELIVERY),
                (1, "Instagram analytics snapshot", StepKind.ANALYTICS),
            )
        ),
        batch_size=2_000,
    )
    AnalyticsSnapshot.objects.bulk_create(
        (
            snapshot_row(
                order_id=order.pk,
                account=line.target,
                on=(order.paid_at + timedelta(days=day)).date(),
                followers=4_000 + 40 * day,
                reach=6_000 + 70 * day,
                views=12_000 + 150 * day,
            )
            for order, line in zip(orders, lines, strict=True)
            for day in range(SNAPSHOT_DAYS)
        ),
        batch_size=5_000,
    )
    return [order.number for order in orders]


# --------------------------------------------------------------------------- HTTP


class Browser:
    """Cookies and requests for one signed-in client, without following redirects."""

    def __init__(self, base_url: str):
        host, port = base_url.removeprefix("http://").split(":")
        self.host, self.port = host, int(port)
        self.cookies: dict[str, str] = {}

    def call(self, method: str, path: str, *, body: bytes | None = None, headers=None):
        """(status, headers, body); cookies the answer sets are kept."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=self.headers(headers))
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        self.keep(response)
        return response.status, response, data

    def headers(self, extra=None) -> dict[str, str]:
        headers = dict(extra or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return headers

    def keep(self, response) -> None:
        for value in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(value).items():
                self.cookies[name] = morsel.value

    def sign_in(self, username: str, password: str) -> None:
        status, _, page = self.call("GET", "/accounts/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or token is None:
            raise HarnessError(f"GET /accounts/login/ -> {status}, no sign-in form with a token")
        body = (
            f"csrfmiddlewaretoken={token.group(1).decode()}&username={username}&password={password}"
        ).encode()
        status, response, _ = self.call(
            "POST",
            "/accounts/login/",
            body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        # Production names it `__Host-sessionid`.
        if status != 302 or not any(name.endswith("sessionid") for name in self.cookies):
            raise HarnessError(
                f"signing in as {username} failed: POST /accounts/login/ -> {status} "
                f"(Location {response.getheader('Location')!r})"
            )
        log(f"signed in as {username} (-> {response.getheader('Location')})")

    def stream(self, path: str) -> dict:
        """One GET read to its last byte in 64 KB chunks: status, seconds to first and last
        byte, size, and the body (to count its rows)."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        started = time.perf_counter()
        try:
            conn.request("GET", path, headers=self.headers())
            response = conn.getresponse()
            first = time.perf_counter() - started
            chunks = []
            while chunk := response.read(65_536):
                chunks.append(chunk)
            last = time.perf_counter() - started
        finally:
            conn.close()
        return {
            "status": response.status,
            "location": response.getheader("Location"),
            "content_type": response.getheader("Content-Type"),
            "first_byte_s": first,
            "last_byte_s": last,
            "body": b"".join(chunks),
        }


def unavailable(path: str, status: int, location: str | None) -> str | None:
    """Why a page cannot be measured, or None when it answered 200."""
    if status == 200:
        return None
    if status == 404:
        return f"MISSING: GET {path} answered 404 (not built here, or its flag is off)"
    if status in (301, 302) and location and "/accounts/login/" in location:
        return f"GET {path} sent the signed-in client to sign in ({location})"
    return f"GET {path} answered {status}" + (f" (Location {location})" if location else "")


# --------------------------------------------------------------------------- measures


def measure_csv(browser: Browser, args, expected_rows: int) -> dict:
    probe = browser.stream(CSV_PATH)
    problem = unavailable(CSV_PATH, probe["status"], probe["location"])
    if problem:
        log(problem)
        return {"path": CSV_PATH, "status": probe["status"], "problem": problem}
    runs = [browser.stream(CSV_PATH) for _ in range(args.csv_runs)]
    rows = [_data_rows(run["body"]) for run in runs]
    last = [run["last_byte_s"] for run in runs]
    first = [run["first_byte_s"] for run in runs]
    result = {
        "path": CSV_PATH,
        "status": 200,
        "content_type": probe["content_type"],
        "runs": len(runs),
        "bytes": len(runs[-1]["body"]),
        "rows": rows[-1],
        "rows_expected": expected_rows,
        "rows_every_run_equal": len(set(rows)) == 1,
        "statuses": sorted({run["status"] for run in runs}),
        "last_byte_s": fulfillment_bench.summary(last, 3),
        "first_byte_s": fulfillment_bench.summary(first, 3),
        "warmup_last_byte_s": round(probe["last_byte_s"], 3),
    }
    log(
        f"csv: {result['rows']:,} rows, {result['bytes']:,} bytes; last byte p50 "
        f"{result['last_byte_s']['p50']:.3f}s max {result['last_byte_s']['max']:.3f}s "
        f"over {len(runs)} runs"
    )
    return result


def _data_rows(body: bytes) -> int:
    """CSV records after the header (a quoted field may hold a line break)."""
    text = body.decode("utf-8-sig", errors="replace")
    return max(sum(1 for _ in csv.reader(io.StringIO(text))) - 1, 0)


def measure_dashboard(server, browser: Browser, args, numbers: list[str], workdir: Path) -> dict:
    from orders.selectors import PICKER_PAGE_SIZE

    pages = -(-len(numbers) // PICKER_PAGE_SIZE)
    paths = [f"{DASHBOARD_PATH}?orders_page={page}" for page in range(1, pages + 1)]
    status, response, _ = browser.call("GET", paths[0])
    problem = unavailable(paths[0], status, response.getheader("Location"))
    if problem:
        log(problem)
        return {"path": DASHBOARD_PATH, "status": status, "problem": problem}
    paths_file = workdir / "dashboard-paths.txt"
    paths_file.write_text("\n".join(paths) + "\n")
    scenario = Scenario(
        "dashboard",
        DASHBOARD_PATH,
        headers=browser.headers(),
        script=DASHBOARD_LUA,
        env={"BENCH_PATHS_FILE": str(paths_file)},
        connections=args.connections,
    )
    harness.run_wrk(
        server.base_url,
        scenario,
        duration=WARMUP_SECONDS,
        connections=args.connections,
        threads=THREADS,
    )
    offset = server.log_size()
    with fulfillment_bench.CpuMeter(POSTGRES_DB) as cpu:
        result = harness.run_wrk(
            server.base_url,
            scenario,
            duration=args.duration,
            connections=args.connections,
            threads=THREADS,
        )
    result.update(
        path=f"{DASHBOARD_PATH}?orders_page=…",
        status=200,
        orders=len(numbers),
        picker_pages=len(paths),
        connections=args.connections,
        cpu=cpu.result,
        errors=harness.error_count(result),
    )
    if result["errors"]:
        result["server_log"] = server.log_since(offset)
    log(
        f"dashboard: {result['rps']:.0f} req/s, p50 {result['latency_ms']['p50']:.1f} ms, "
        f"p95 {result['latency_ms']['p95']:.1f} ms, {result['errors']} errors"
    )
    return result


# --------------------------------------------------------------------------- run


def bench_database(db: str, args) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"smplat-dashboard-{db}-") as tmp_name:
        workdir = Path(tmp_name)
        log(f"=== {db} (workdir {workdir})")
        url = (
            harness.prepare_postgres(name=POSTGRES_DB)
            if db == "postgres"
            else harness.prepare_sqlite(workdir)
        )
        env = harness.app_env(url)
        harness.run_checked(
            [harness.PYTHON, "manage.py", "migrate", "--noinput"], env=env, what="migrate"
        )
        harness.run_checked(
            [harness.PYTHON, "manage.py", "collectstatic", "--noinput"],
            env=env,
            what="collectstatic",
        )
        fulfillment_bench.setup_django(env)
        data = create_data(args)
        with harness.Server(env, workdir / "gunicorn.log") as server:
            invoices = Browser(server.base_url)
            invoices.sign_in(INVOICES_USER, PASSWORD)
            csv_result = measure_csv(invoices, args, args.invoices)
            orders = Browser(server.base_url)
            orders.sign_in(ORDERS_USER, PASSWORD)
            dashboard = measure_dashboard(server, orders, args, data["order_numbers"], workdir)
            if args.keep_tmp:
                kept = Path(tempfile.mkdtemp(prefix=f"smplat-dashboard-{db}-kept-"))
                (kept / "gunicorn.log").write_bytes(server.log_path.read_bytes())
                log(f"gunicorn log kept in {kept}")
    return {"db": db, "flag": data["flag"], "csv": csv_result, "dashboard": dashboard}


def check_lines(run: dict) -> list[str]:
    db, lines = run["db"], []
    csv_result, dashboard = run["csv"], run["dashboard"]
    if "problem" in csv_result:
        lines.append(f"FAIL [{db}] invoice CSV: {csv_result['problem']}")
    else:
        slowest = csv_result["last_byte_s"]["max"]
        problems = []
        if csv_result["rows"] != csv_result["rows_expected"]:
            problems.append(
                f"{csv_result['rows']:,} rows, expected {csv_result['rows_expected']:,}"
            )
        if not csv_result["rows_every_run_equal"] or csv_result["statuses"] != [200]:
            problems.append(f"runs differ (statuses {csv_result['statuses']})")
        ok = slowest < CSV_TARGET_S and not problems
        lines.append(
            f"{'PASS' if ok else 'FAIL'} [{db}] invoice CSV of {csv_result['rows_expected']:,} "
            f"invoices streamed completely < {CSV_TARGET_S:g} s: slowest of "
            f"{csv_result['runs']} runs {slowest:.3f} s"
            + (f" ({'; '.join(problems)})" if problems else "")
        )
    if "problem" in dashboard:
        lines.append(f"FAIL [{db}] dashboard: {dashboard['problem']}")
    else:
        ok = dashboard["errors"] == 0
        lines.append(
            f"{'PASS' if ok else 'FAIL'} [{db}] dashboard of a {dashboard['orders']}"
            f"-order client answers without errors: {dashboard['errors']} errors, "
            f"{dashboard['rps']:.0f} req/s, p95 {dashboard['latency_ms']['p95']:.1f} ms"
        )
        if dashboard["cpu"].get("other_pct", 0) >= NOISY_OTHER_CPU_PCT:
            lines.append(
                f"NOISY [{db}] dashboard: other processes used {dashboard['cpu']['other_pct']}% "
                "of a core during the measurement; rerun on a quiet machine"
            )
    return lines


def table(runs: list[dict], args) -> str:
    out = [
        "| db | measure | n | p50 | p95 | max | req/s | rows | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        c, d = run["csv"], run["dashboard"]
        if "problem" in c:
            out.append(f"| {run['db']} | invoice CSV ({args.invoices:,}) | MISSING | | | | | | |")
        else:
            s = c["last_byte_s"]
            out.append(
                f"| {run['db']} | invoice CSV ({args.invoices:,}), s to last byte | {s['n']} | "
                f"{s['p50']:.3f} | {s['p95']:.3f} | {s['max']:.3f} | | {c['rows']:,} | "
                f"{len([x for x in c['statuses'] if x != 200])} |"
            )
        if "problem" in d:
            out.append(f"| {run['db']} | dashboard ({args.orders} orders) | MISSING | | | | | | |")
        else:
            lat = d["latency_ms"]
            out.append(
                f"| {run['db']} | dashboard ({args.orders} orders), ms | {d['requests']} | "
                f"{lat['p50']:.1f} | {lat['p95']:.1f} | {lat['max']:.1f} | {d['rps']:.0f} | | "
                f"{d['errors']} |"
            )
    return "\n".join(out)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--db", default="sqlite,postgres", help="comma-separated: " + ",".join(harness.DATABASES)
    )
    parser.add_argument("--invoices", type=int, default=10_000, help="invoices of the CSV client")
    parser.add_argument("--orders", type=int, default=500, help="orders of the dashboard client")
    parser.add_argument("--csv-runs", type=int, default=10, help="measured CSV downloads")
    parser.add_argument("--duration", type=int, default=10, help="seconds of dashboard load")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections")
    parser.add_argument("--keep-tmp", action="store_true", help="keep the gunicorn log")
    args = parser.parse_args(argv)
    args.db = [name.strip() for name in args.db.split(",") if name.strip()]
    unknown = [name for name in args.db if name not in harness.DATABASES]
    if unknown:
        parser.error(
            f"unknown --db {', '.join(unknown)}; choose from {', '.join(harness.DATABASES)}"
        )
    if min(args.invoices, args.orders, args.csv_runs, args.duration, args.connections) < 1:
        parser.error("--invoices, --orders, --csv-runs, --duration, --connections must be positive")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    harness.require_wrk()
    if len(args.db) > 1:
        # Django is set up once per process, for one database: each runs in a child process.
        return harness.run_per_database(
            __file__,
            "dashboard",
            args.db,
            argv if argv is not None else sys.argv[1:],
            lambda runs: report(runs, args),
        )
    machine = harness.machine_info()
    try:
        run = bench_database(args.db[0], args)
    except Exception as exc:  # the harness failed: no numbers to report
        log(f"{args.db[0]}: harness error: {exc}")
        if not isinstance(exc, HarnessError):
            traceback.print_exc()
        return 1
    path = RESULTS_DIR / f"dashboard-{run['db']}.json"
    parameters = {
        "invoices": args.invoices,
        "orders": args.orders,
        "snapshot_days": SNAPSHOT_DAYS,
        "csv_runs": args.csv_runs,
        "duration": args.duration,
        "connections": args.connections,
        "threads": THREADS,
        "gunicorn_workers": 2,
    }
    run = {"machine": machine, "parameters": parameters, **run, "checks": check_lines(run)}
    harness.write_json(path, run)
    log(f"results in {path}")
    report([run], args)
    return 0


def report(runs: list[dict], args) -> None:
    """Print the table and checks; write them to bench/results/dashboard-table.md."""
    text = table(runs, args)
    lines = [line for run in runs for line in run["checks"]]
    machine = runs[0]["machine"]
    (RESULTS_DIR / "dashboard-table.md").write_text(
        f"Measured {machine['date']} on {machine['nproc']} CPUs, Python {machine['python']}: "
        f"gunicorn -w 2; the CSV read to its last byte {args.csv_runs} times after a warm-up; "
        f"the dashboard under wrk, {THREADS} threads × {args.connections} connections × "
        f"{args.duration} s, over the client's {args.orders} orders (bench/README.md).\n\n"
        + text
        + "\n\n"
        + "\n".join(f"- {line}" for line in lines)
        + "\n"
    )
    print()
    print(text)
    print()
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
