"""/metrics benchmark: a Prometheus scrape of a shop with 100,000 orders, on PostgreSQL.

    .venv/bin/python bench/metrics_bench.py [--orders 100000] [--scrapes 200] [--duration 10]
                                            [--connections 4] [--database-url URL] [--reuse]

1. Data: a fresh database (`smplat_bench_metrics`, or `--database-url`), `migrate`, then
   `--orders` orders in mixed states written in bulk with everything the business families
   count: lines, checkout sessions (every status, second attempts), order and renewal invoices
   in three currencies, refunds, Stripe webhook events (handled and unhandled types, every
   outcome, some failed), fulfillment tasks (every status, a few dead letters), order e-mails
   (every status) and catalog searches (some without results); then VACUUM ANALYZE, as
   autovacuum would. `--reuse` skips all of that and measures the database as it is (to
   compare before and after a migration on the same data).
2. In this process: the business collector once with its SQL captured (queries per scrape),
   and EXPLAIN ANALYZE of each of those queries.
3. gunicorn, production settings, 2 workers, PROMETHEUS_MULTIPROC_DIR set as in production:
   `--scrapes` sequential `GET /metrics` with the bearer token (p50/p95/max ms, bytes), then
   wrk with `--connections` connections for `--duration` s.
4. The last scrape checked against the database: orders and tasks by status, webhook
   deliveries in all, paid invoices by currency.

Prints a table and PASS/FAIL lines (target: sequential p95 < 100 ms), writes
bench/results/metrics-postgres.json and bench/results/metrics-table.md. Exits non-zero only
when the harness itself fails. See bench/README.md, "Metrics benchmark".
"""

from __future__ import annotations

import argparse
import http.client
import re
import sys
import tempfile
import time
import traceback
from datetime import timedelta
from pathlib import Path

import fulfillment_bench
import harness
from harness import HarnessError, Scenario, log

RESULTS_DIR = harness.BENCH_DIR / "results"
POSTGRES_DB = "smplat_bench_metrics"  # its own: runs beside the other benchmarks
METRICS_PATH = "/metrics"
AUTH = {"Authorization": f"Bearer {harness.BENCH_SECRETS['METRICS_TOKEN']}"}
P95_TARGET_MS = 100
WARMUP_SCRAPES = 10
THREADS = 2
NOISY_OTHER_CPU_PCT = 25
BATCH = 5_000

# Deterministic mixes: item i takes entry i % len(mix). Weights are in percent.
ORDER_MIX = [
    ("completed", 40),
    ("active", 18),
    ("processing", 8),
    ("pending", 14),
    ("cancelled", 12),
    ("on_hold", 3),
    ("refunded", 5),
]
PAID = {"completed", "active", "processing", "on_hold", "refunded"}
CURRENCIES = ["usd"] * 7 + ["eur"] * 2 + ["gbp"]
EMAIL_MIX = [
    ("sent", 80),
    ("skipped", 8),
    ("combined", 5),
    ("demo", 3),
    ("failed", 2),
    ("pending", 1),
    ("sending", 1),
]


def expand(mix: list[tuple[str, int]]) -> list[str]:
    return [name for name, weight in mix for _ in range(weight)]


# --------------------------------------------------------------------------- data


class Loader:
    """Writes the shop in batches of BATCH rows, logging progress on stderr."""

    def __init__(self, orders: int):
        from django.utils import timezone

        self.total = orders
        self.now = timezone.now()
        self.written: dict[str, int] = {}

    def bulk(self, model, rows) -> None:
        """bulk_create an iterable in batches, without holding all of it in memory."""
        name = model._meta.label
        batch, done, started = [], 0, time.monotonic()
        for row in rows:
            batch.append(row)
            if len(batch) == BATCH:
                model.objects.bulk_create(batch)
                done += len(batch)
                batch = []
                if done % 50_000 == 0:
                    print(f"  {name}: {done:,}", file=sys.stderr, flush=True)
        if batch:
            model.objects.bulk_create(batch)
            done += len(batch)
        self.written[name] = done
        log(f"data: {done:,} {name} ({time.monotonic() - started:.1f}s)")

    def run(self) -> dict[str, int]:
        from django.contrib.auth import get_user_model

        from catalog.models import Category, Product

        category = Category.objects.create(slug="bench-metrics", name="Bench metrics")
        self.products = [
            Product.objects.create(
                slug=f"bench-metrics-{i}",
                title=f"Bench growth {i}",
                summary="A service (metrics benchmark).",
                category=category,
                platform="instagram",
                base_amount=2_900 + 1_000 * i,
            )
            for i in range(3)
        ]
        users = get_user_model()
        self.bulk(
            users,
            (
                users(username=f"bench-metrics-{u}", email=f"m{u}@example.com", password="!")
                for u in range(max(self.total // 50, 1))
            ),
        )
        self.user_ids = list(
            users.objects.filter(username__startswith="bench-metrics-").values_list("pk", flat=True)
        )
        self.orders()
        self.order_ids = dict(self._ids("orders.Order", "number"))
        self.lines()
        self.sessions()
        self.invoices()
        self.refunds()
        self.webhooks()
        self.tasks()
        self.emails()
        self.searches()
        return self.written

    def _ids(self, label: str, field: str):
        from django.apps import apps

        return apps.get_model(label).objects.values_list(field, "pk").iterator(chunk_size=BATCH)

    # Each order's story is a function of its index, so every table agrees with the others.
    def status(self, i: int) -> str:
        return self._order_mix[i % len(self._order_mix)]

    _order_mix = expand(ORDER_MIX)

    def currency(self, i: int) -> str:
        return CURRENCIES[i % len(CURRENCIES)].upper()

    def amount(self, i: int) -> int:
        return 2_900 + 1_000 * (i % 3) + (2_900 if i % 3 == 0 else 0)

    def subscription(self, i: int) -> bool:
        return i % 5 == 0

    def paid_at(self, i: int):
        return self.now - timedelta(minutes=5 * (self.total - i))

    def orders(self) -> None:
        from orders.models import Order

        self.bulk(
            Order,
            (
                Order(
                    number=f"BM-{i:07d}",
                    user_id=self.user_ids[i % len(self.user_ids)],
                    email=f"m{i % len(self.user_ids)}@example.com",
                    name="Bench Client",
                    status=self.status(i),
                    currency=self.currency(i),
                    subtotal_amount=self.amount(i),
                    total_amount=self.amount(i),
                    is_subscription=self.subscription(i),
                    paid_at=self.paid_at(i) if self.status(i) in PAID else None,
                    payment_reference=f"pi_bm_{i}" if self.status(i) in PAID else "",
                )
                for i in range(self.total)
            ),
        )

    def order_id(self, i: int) -> int:
        return self.order_ids[f"BM-{i:07d}"]

    def lines(self) -> None:
        from orders.models import OrderLine

        def rows():
            for i in range(self.total):
                for position in range(1 + (i % 3 == 0)):
                    product = self.products[(i + position) % 3]
                    yield OrderLine(
                        order_id=self.order_id(i),
                        product=product,
                        title=product.title,
                        configuration={},
                        breakdown={},
                        quantity=1,
                        billing="subscription" if self.subscription(i) else "one_off",
                        interval="month" if self.subscription(i) else "",
                        target=f"@bench.account{i}",
                        targets=[f"@bench.account{i}"],
                        currency=self.currency(i),
                        gross_amount=product.base_amount,
                        discount_amount=0,
                        total_amount=product.base_amount,
                        position=position,
                    )

        self.bulk(OrderLine, rows())

    def sessions(self) -> None:
        from checkout.models import CheckoutSession

        def session(i, attempt, status):
            complete = status == "complete"
            return CheckoutSession(
                order_id=self.order_id(i),
                gateway="local",
                provider_id=f"cs_bm_{i}_{attempt}",
                mode="subscription" if self.subscription(i) else "payment",
                status=status,
                payment_status="paid" if complete else "unpaid",
                attempt=attempt,
                idempotency_key=f"bench-metrics-{i}-{attempt}",
                amount_total=self.amount(i),
                currency=self.currency(i),
                expires_at=self.now + timedelta(hours=1 if status == "open" else -1),
                completed_at=self.paid_at(i) if complete else None,
            )

        def rows():
            for i in range(self.total):
                status = self.status(i)
                if status in PAID:
                    if i % 10 == 1:  # paid on the second attempt
                        yield session(i, 1, "expired")
                        yield session(i, 2, "complete")
                    else:
                        yield session(i, 1, "complete")
                elif status == "pending":
                    yield session(i, 1, ("open", "abandoned", "expired")[i % 3])
                else:  # cancelled: the session ran out
                    yield session(i, 1, "expired")

        self.bulk(CheckoutSession, rows())

    def renewals(self, i: int) -> int:
        return 2 if self.subscription(i) and self.status(i) in {"active", "completed"} else 0

    def invoices(self) -> None:
        from billing.models import Invoice

        def rows():
            n = 0
            for i in range(self.total):
                if self.status(i) not in PAID:
                    continue
                refunded = self.status(i) == "refunded"
                for renewal in range(1 + self.renewals(i)):
                    n += 1
                    yield Invoice(
                        number=f"INV-BM-{n:08d}",
                        order_id=self.order_id(i),
                        kind="renewal" if renewal else "order",
                        status="refunded" if refunded and not renewal else "paid",
                        currency=self.currency(i),
                        subtotal_amount=self.amount(i),
                        total_amount=self.amount(i),
                        refunded_amount=self.amount(i) if refunded and not renewal else 0,
                        payment_reference=f"pi_bm_{i}_{renewal}",
                        provider_invoice_id=f"in_bm_{i}_{renewal}" if renewal else None,
                        issued_at=self.paid_at(i) + timedelta(days=30 * renewal),
                    )

        self.bulk(Invoice, rows())

    def refunds(self) -> None:
        from billing.models import Invoice, Refund

        refunded = Invoice.objects.filter(status="refunded", number__startswith="INV-BM-")
        self.bulk(
            Refund,
            (
                Refund(
                    invoice_id=pk,
                    provider_id=f"re_bm_{pk}",
                    amount=amount,
                    currency=currency,
                    reason="requested_by_customer",
                )
                for pk, amount, currency in refunded.values_list(
                    "pk", "total_amount", "currency"
                ).iterator(chunk_size=BATCH)
            ),
        )

    def webhooks(self) -> None:
        from checkout.models import WebhookEvent

        def event(i, n, event_type, outcome):
            failed = outcome == "failed"
            return WebhookEvent(
                event_id=f"evt_bm_{i}_{n}",
                type=event_type,
                payload={"id": f"evt_bm_{i}_{n}", "type": event_type, "object": f"cs_bm_{i}"},
                attempts=1 + (i % 7 == 0),
                last_seen_at=self.paid_at(i),
                outcome=outcome,
                error="StripeError: the gateway timed out" if failed else "",
                processed_at=None if outcome in {"received", "failed"} else self.paid_at(i),
                processing_ms=12.5,
                next_attempt_at=self.now if outcome == "received" else None,
                processing_attempts=8 if failed else 1,
            )

        def rows():
            for i in range(self.total):
                status = self.status(i)
                if status not in PAID:
                    if status == "cancelled" or i % 3 == 2:
                        yield event(i, 0, "checkout.session.expired", "processed")
                    continue
                # One in 400 failed for good; the newest few still waiting to be applied.
                outcome = "failed" if i % 400 == 7 else "processed"
                if i > self.total - 20:
                    outcome = "received"
                yield event(i, 0, "checkout.session.completed", outcome)
                yield event(i, 1, "payment_intent.succeeded", "ignored")
                yield event(i, 2, "charge.succeeded", "ignored")
                for renewal in range(self.renewals(i)):
                    yield event(i, 3 + renewal, "invoice.paid", "processed")
                if status == "refunded":
                    yield event(i, 9, "charge.refunded", "processed")

        self.bulk(WebhookEvent, rows())

    def tasks(self) -> None:
        from fulfillment.models import FulfillmentTask

        by_order = {
            "completed": ("succeeded", "succeeded"),
            "active": ("succeeded", "running"),
            "processing": ("queued", "queued"),
            "on_hold": ("waiting_staff", "queued"),
            "refunded": ("cancelled", "cancelled"),
        }

        def rows():
            for i in range(self.total):
                if self.status(i) not in PAID:
                    continue
                statuses = by_order[self.status(i)]
                if i % 500 == 3:  # a few dead letters
                    statuses = ("dead", "queued")
                elif self.status(i) == "completed" and i % 4 == 0:
                    statuses = ("succeeded", "skipped")
                for position, status in enumerate(statuses):
                    yield FulfillmentTask(
                        order_id=self.order_id(i),
                        target=f"@bench.account{i}",
                        position=position,
                        name=("Deliver growth", "Analytics snapshot")[position],
                        kind=("delivery", "analytics")[position],
                        adapter="sandbox",
                        status=status,
                        # Queued work: most due later, some overdue by up to an hour.
                        due_at=self.now + timedelta(minutes=(i % 120) - 60),
                        runs=1,
                        started_at=self.paid_at(i),
                    )

        self.bulk(FulfillmentTask, rows())

    def emails(self) -> None:
        from orders.models import OrderNotification

        mix = expand(EMAIL_MIX)

        def rows():
            for i in range(self.total):
                for n, to_status in enumerate(("processing", self.status(i))):
                    status = mix[(i + n) % len(mix)]
                    yield OrderNotification(
                        order_id=self.order_id(i),
                        to_status=to_status,
                        email=f"m{i % len(self.user_ids)}@example.com",
                        status=status,
                        attempts=1,
                        next_attempt_at=self.now - timedelta(minutes=i % 30),
                        last_error="SMTP 451" if status == "failed" else "",
                    )

        self.bulk(OrderNotification, rows())

    def searches(self) -> None:
        from catalog.models import SearchEvent

        words = ["followers", "likes", "views", "reels", "tiktok", "youtube", "growth", "zzz"]
        self.bulk(
            SearchEvent,
            (
                SearchEvent(
                    query=words[n % len(words)],
                    result_count=0 if n % len(words) == 7 or n % 50 == 0 else 1 + n % 40,
                    created_at=self.now - timedelta(seconds=30 * n),
                )
                for n in range(2 * self.total)
            ),
        )


def vacuum_analyze() -> None:
    """What autovacuum does on a live database: statistics and the visibility map (which lets
    COUNT(*) read an index without visiting the table)."""
    from django.db import connection

    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    log(f"VACUUM ANALYZE ({time.monotonic() - started:.1f}s)")


# --------------------------------------------------------------------------- in process


def explain_collector() -> dict:
    """The collector's SQL (one scrape), and EXPLAIN ANALYZE of each statement."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from prometheus_client import generate_latest

    from backoffice.metrics import business_registry

    generate_latest(business_registry)  # warm: connection, catalog caches
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        generate_latest(business_registry)
        elapsed_ms = (time.perf_counter() - started) * 1000
    plans = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + query["sql"])
            plan = cursor.fetchone()[0][0]
            plans.append(
                {
                    "table": _table(query["sql"]),
                    "sql": query["sql"],
                    "execution_ms": round(plan["Execution Time"], 2),
                    "nodes": _nodes(plan["Plan"]),
                    "shared_buffers": plan["Plan"].get("Shared Hit Blocks", 0)
                    + plan["Plan"].get("Shared Read Blocks", 0),
                }
            )
    return {
        "queries": len(captured.captured_queries),
        "collect_ms": round(elapsed_ms, 1),
        "plans": plans,
    }


def _table(sql: str) -> str:
    found = re.search(r'FROM "(\w+)"', sql)
    return found.group(1) if found else "?"


def _nodes(plan: dict) -> list[str]:
    """The plan's scan and aggregate nodes, outermost first: "HashAggregate", "Seq Scan on x"."""
    name = plan["Node Type"]
    if plan.get("Strategy") in {"Hashed", "Sorted"}:
        name = f"{plan['Strategy']} {name}"
    if "Index Name" in plan:
        name += f" using {plan['Index Name']}"
    elif "Relation Name" in plan:
        name += f" on {plan['Relation Name']}"
    return [name] + [node for child in plan.get("Plans", []) for node in _nodes(child)]


def database_truth() -> dict:
    """Counts read with plain SQL, to check the scrape against."""
    from django.db import connection

    with connection.cursor() as cursor:

        def grouped(sql):
            cursor.execute(sql)
            return dict(cursor.fetchall())

        truth = {
            "orders": grouped("SELECT status, COUNT(*) FROM orders_order GROUP BY status"),
            "tasks": grouped(
                "SELECT status, COUNT(*) FROM fulfillment_fulfillmenttask GROUP BY status"
            ),
            "payments": grouped(
                "SELECT LOWER(currency), COUNT(*) FROM billing_invoice GROUP BY currency"
            ),
        }
        cursor.execute("SELECT COUNT(*) FROM checkout_webhookevent")
        truth["webhooks"] = cursor.fetchone()[0]
    return truth


# --------------------------------------------------------------------------- HTTP


def scrape(base_url: str) -> tuple[int, bytes, float]:
    """One GET /metrics on a new connection, as Prometheus' first scrape: status, body, ms."""
    host, port = base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    started = time.perf_counter()
    try:
        conn.request("GET", METRICS_PATH, headers=AUTH)
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    return response.status, body, (time.perf_counter() - started) * 1000


def measure_sequential(base_url: str, count: int) -> dict:
    for _ in range(WARMUP_SCRAPES):  # both workers connect and load the app
        status, body, _ = scrape(base_url)
        if status != 200:
            raise HarnessError(f"GET {METRICS_PATH} answered {status}: {body[:300]!r}")
    statuses, times = [], []
    for _ in range(count):
        status, body, ms = scrape(base_url)
        statuses.append(status)
        times.append(ms)
    result = {
        "scrapes": count,
        "errors": sum(1 for s in statuses if s != 200),
        "latency_ms": fulfillment_bench.summary(times, 1),
        "bytes": len(body),
        "lines": body.count(b"\n"),
        "smplat_samples": sum(1 for line in body.splitlines() if line.startswith(b"smplat_")),
        "body": body,
    }
    lat = result["latency_ms"]
    log(
        f"sequential: {count} scrapes, p50 {lat['p50']:.1f} ms, p95 {lat['p95']:.1f} ms, "
        f"max {lat['max']:.1f} ms, {result['bytes']:,} bytes, {result['errors']} errors"
    )
    return result


class CpuMeter(fulfillment_bench.CpuMeter):
    """Also counts PostgreSQL's parallel workers for our backends ("postgres: parallel worker
    for PID n"), which the aggregates of a large table start."""

    def _sample(self) -> dict[int, int]:
        ours = super()._sample()
        for entry in Path("/proc").iterdir():
            try:
                cmdline = (entry / "cmdline").read_bytes()
                leader = re.match(rb"postgres: parallel worker for PID (\d+)", cmdline)
                if leader and int(leader.group(1)) in ours:
                    fields = (entry / "stat").read_bytes().rsplit(b")", 1)[1].split()
                    ours[int(entry.name)] = int(fields[11]) + int(fields[12])
            except (OSError, ValueError):  # not a process, or it ended while we looked
                continue
        return ours


def measure_wrk(server, args) -> dict:
    scenario = Scenario("metrics", METRICS_PATH, headers=AUTH, connections=args.connections)
    harness.run_wrk(
        server.base_url, scenario, duration=2, connections=args.connections, threads=THREADS
    )
    offset = server.log_size()
    with CpuMeter(POSTGRES_DB) as cpu:
        result = harness.run_wrk(
            server.base_url,
            scenario,
            duration=args.duration,
            connections=args.connections,
            threads=THREADS,
        )
    result.update(connections=args.connections, cpu=cpu.result, errors=harness.error_count(result))
    if result["errors"]:
        result["server_log"] = server.log_since(offset)
    log(
        f"wrk: {result['rps']:.0f} scrapes/s, p50 {result['latency_ms']['p50']:.1f} ms, "
        f"p95 {result['latency_ms']['p95']:.1f} ms, {result['errors']} errors"
    )
    return result


def verify(body: bytes, truth: dict) -> dict:
    """The scrape's numbers next to the database's, for a few families."""
    from prometheus_client.parser import text_string_to_metric_families

    samples: dict[str, dict] = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value

    def by(name, label):
        return {dict(labels)[label]: int(v) for labels, v in samples.get(name, {}).items() if v}

    checks = {
        "orders by status": (by("smplat_orders", "status"), truth["orders"]),
        "fulfillment tasks by status": (by("smplat_fulfillment_tasks", "status"), truth["tasks"]),
        "paid invoices by currency": (by("smplat_payments_total", "currency"), truth["payments"]),
        "webhook deliveries": (
            int(sum(samples.get("smplat_webhook_deliveries_total", {}).values())),
            truth["webhooks"],
        ),
    }
    return {
        name: {"scrape": scraped, "database": db, "equal": scraped == db}
        for name, (scraped, db) in checks.items()
    }


# --------------------------------------------------------------------------- run


def run(args, workdir: Path) -> dict:
    if args.reuse:
        url = args.database_url or harness.POSTGRES_APP_URLS["tcp"].replace(
            f"/{harness.POSTGRES_DB}", f"/{POSTGRES_DB}"
        )
    else:
        url = args.database_url or harness.prepare_postgres(name=POSTGRES_DB)
    env = harness.app_env(url)
    multiproc = workdir / "prometheus"
    multiproc.mkdir()
    env["PROMETHEUS_MULTIPROC_DIR"] = str(multiproc)
    written = None
    if not args.reuse:
        harness.run_checked(
            [harness.PYTHON, "manage.py", "migrate", "--noinput"], env=env, what="migrate"
        )
    fulfillment_bench.setup_django(env)
    if not args.reuse:
        started = time.monotonic()
        written = Loader(args.orders).run()
        log(f"data: loaded in {time.monotonic() - started:.0f}s")
        vacuum_analyze()
    from django.db import connection

    from orders.models import Order

    orders = Order.objects.count()
    explained = explain_collector()
    log(
        f"collector: {explained['queries']} queries, {explained['collect_ms']:.1f} ms in process; "
        f"EXPLAIN ANALYZE sum {sum(p['execution_ms'] for p in explained['plans']):.1f} ms"
    )
    truth = database_truth()
    connection.close()
    with harness.Server(env, workdir / "gunicorn.log") as server:
        sequential = measure_sequential(server.base_url, args.scrapes)
        body = sequential.pop("body")
        checks = verify(body, truth)
        loaded = measure_wrk(server, args)
    return {
        "db": "postgres",
        "orders": orders,
        "rows_written": written,
        "collector": explained,
        "sequential": sequential,
        "wrk": loaded,
        "verified": checks,
    }


def check_lines(result: dict) -> list[str]:
    seq, loaded = result["sequential"], result["wrk"]
    p95 = seq["latency_ms"]["p95"]
    ok = p95 < P95_TARGET_MS and seq["errors"] == 0
    lines = [
        f"{'PASS' if ok else 'FAIL'} [postgres] /metrics scrape p95 < {P95_TARGET_MS} ms with "
        f"{result['orders']:,} orders: p95 {p95:.1f} ms over {seq['scrapes']} sequential scrapes "
        f"({seq['errors']} errors; {result['collector']['queries']} SQL queries per scrape)"
    ]
    for name, check in result["verified"].items():
        lines.append(
            f"{'PASS' if check['equal'] else 'FAIL'} [postgres] the scrape's {name} match the "
            "database: "
            + ("equal" if check["equal"] else f"scrape {check['scrape']}, db {check['database']}")
        )
    if loaded["errors"]:
        lines.append(f"FAIL [postgres] /metrics under wrk: {loaded['errors']} errors")
    if loaded["cpu"].get("other_pct", 0) >= NOISY_OTHER_CPU_PCT:
        lines.append(
            f"NOISY [postgres] other processes used {loaded['cpu']['other_pct']}% of a core "
            "during the wrk measurement; rerun on a quiet machine"
        )
    return lines


def table(result: dict) -> str:
    seq, loaded = result["sequential"], result["wrk"]
    s, w = seq["latency_ms"], loaded["latency_ms"]
    queries = result["collector"]["queries"]
    return "\n".join(
        [
            "| db | orders | measure | n | req/s | p50 ms | p95 ms | max ms | bytes | queries | errors |",
            "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
            f"| postgres | {result['orders']:,} | sequential scrapes | {seq['scrapes']} | | "
            f"{s['p50']:.1f} | {s['p95']:.1f} | {s['max']:.1f} | {seq['bytes']:,} | {queries} | "
            f"{seq['errors']} |",
            f"| postgres | {result['orders']:,} | wrk, {loaded['connections']} connections | "
            f"{loaded['requests']} | {loaded['rps']:.0f} | {w['p50']:.1f} | {w['p95']:.1f} | "
            f"{w['max']:.1f} | | {queries} | {loaded['errors']} |",
        ]
    )


def plan_table(result: dict) -> str:
    out = ["| table | EXPLAIN ANALYZE ms | plan |", "|---|---:|---|"]
    for plan in result["collector"]["plans"]:
        out.append(
            f"| {plan['table']} | {plan['execution_ms']:.2f} | {' → '.join(plan['nodes'])} |"
        )
    return "\n".join(out)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000, help="orders to load")
    parser.add_argument("--scrapes", type=int, default=200, help="sequential scrapes measured")
    parser.add_argument("--duration", type=int, default=10, help="seconds under wrk")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections")
    parser.add_argument(
        "--database-url", help=f"a PostgreSQL URL to use (default: recreate {POSTGRES_DB})"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="measure the database as it is: no migrate, no load"
    )
    parser.add_argument("--keep-tmp", action="store_true", help="keep the gunicorn log")
    args = parser.parse_args(argv)
    if min(args.orders, args.scrapes, args.duration, args.connections) < 1:
        parser.error("--orders, --scrapes, --duration, --connections must be positive")
    if args.database_url and not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("--database-url must be a PostgreSQL URL (postgres://…)")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    harness.require_wrk()
    machine = harness.machine_info()
    try:
        with tempfile.TemporaryDirectory(prefix="smplat-metrics-") as tmp_name:
            workdir = Path(tmp_name)
            result = run(args, workdir)
            if args.keep_tmp:
                kept = Path(tempfile.mkdtemp(prefix="smplat-metrics-kept-"))
                (kept / "gunicorn.log").write_bytes((workdir / "gunicorn.log").read_bytes())
                log(f"gunicorn log kept in {kept}")
    except Exception as exc:  # the harness failed: no numbers to report
        log(f"harness error: {exc}")
        if not isinstance(exc, HarnessError):
            traceback.print_exc()
        return 1
    parameters = {
        "orders": args.orders,
        "reuse": args.reuse,
        "scrapes": args.scrapes,
        "duration": args.duration,
        "connections": args.connections,
        "threads": THREADS,
        "gunicorn_workers": 2,
    }
    result = {"machine": machine, "parameters": parameters, **result}
    result["checks"] = check_lines(result)
    path = RESULTS_DIR / "metrics-postgres.json"
    harness.write_json(path, result)
    log(f"results in {path}")
    text, plans = table(result), plan_table(result)
    (RESULTS_DIR / "metrics-table.md").write_text(
        f"Measured {machine['date']} on {machine['nproc']} CPUs, Python {machine['python']}: "
        f"gunicorn -w 2 with PROMETHEUS_MULTIPROC_DIR, production settings, bearer token; "
        f"{args.scrapes} sequential scrapes (each on a new connection) after {WARMUP_SCRAPES} "
        f"warm-up ones, then wrk {THREADS} threads × {args.connections} connections × "
        f"{args.duration} s (bench/README.md).\n\n"
        + text
        + "\n\n"
        + "\n".join(f"- {line}" for line in result["checks"])
        + "\n\nThe collector's queries, EXPLAIN ANALYZE:\n\n"
        + plans
        + "\n"
    )
    print()
    print(text)
    print()
    print(plans)
    print()
    print("\n".join(result["checks"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
