"""Weekly digest benchmark: `send_weekly_digest`'s service for 10,000 clients.

    .venv/bin/python bench/digest_bench.py [--db sqlite,postgres] [--clients 10000]
                                           [--batch-size 500]

Per database: a fresh database (`smplat_bench_digest` on PostgreSQL, a temp file on SQLite),
`migrate`, then `--clients` clients created in bulk, each with one to three orders and what
a week of them leaves: status changes, a finished step and a delivery under way, daily
follower figures and an invoice. One in ten clients opted out of the digest, one in ten had
a quiet week (an order completed months ago: an empty digest), one in three chose offers (a
running campaign and a bundle). Then, in this process with production settings:

1. `digests_send` for last week, `--batch-size` clients a batch, every query captured: seconds,
   clients/s, e-mails queued, and per batch its reads (SELECTs) and its writes (the batch's
   e-mails are inserted together).
2. The same again: nothing is queued twice (every digest "already sent").
3. `staff_digests_send` for the same week.

Targets: the first run under 60 s, and the same number of reads and of writes in every full
batch. Prints
a table and PASS/FAIL lines, writes bench/results/digest-<db>.json and
bench/results/digest-table.md. Exits non-zero only when the harness itself fails.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import traceback
from collections import deque
from datetime import timedelta
from pathlib import Path

import fulfillment_bench
import harness
from harness import HarnessError, log

RESULTS_DIR = harness.BENCH_DIR / "results"
POSTGRES_DB = "smplat_bench_digest"  # its own, so it can run beside the other benchmarks
TARGET_S = 60.0
CHUNK = 2_000  # rows per bulk insert


# --------------------------------------------------------------------------- data


def create_data(clients: int, week) -> dict:
    """The clients and their week, in bulk; returns what the checks expect."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import connection
    from django.utils import timezone

    from billing.models import Invoice
    from catalog.models import Bundle, BundleItem, Campaign, Category, Product
    from fulfillment.models import AnalyticsSnapshot, FulfillmentTask
    from orders.models import (
        NotificationPreference,
        Order,
        OrderLine,
        OrderStatus,
        OrderStatusChange,
    )

    started = time.monotonic()
    category = Category.objects.create(slug="bench-digest", name="Bench digest")
    products = [
        Product.objects.create(
            slug=f"bench-digest-{n}",
            title=f"Instagram Growth {n}",
            summary="Follower growth (benchmark).",
            category=category,
            platform="instagram",
            base_amount=4_900,
        )
        for n in range(2)
    ]
    now = timezone.now()
    campaign = Campaign.objects.create(
        name="Winter sale",
        badge="Winter sale",
        kind=Campaign.Kind.PERCENT,
        percent=10,
        starts_at=now - timedelta(days=3),
        ends_at=now + timedelta(days=10),
    )
    campaign.products.set(products)
    bundle = Bundle.objects.create(headline="Grow together", discount_percent=15)
    BundleItem.objects.bulk_create(BundleItem(bundle=bundle, product=p) for p in products)

    password = make_password(None)
    User = get_user_model()
    User.objects.create(username="bench-staff", email="staff@example.com", is_staff=True)
    users = User.objects.bulk_create(
        (
            User(username=f"bench-{n}", email=f"bench-{n}@example.com", password=password)
            for n in range(clients)
        ),
        batch_size=CHUNK,
    )
    NotificationPreference.objects.bulk_create(
        (
            NotificationPreference(user=u, weekly_digest=n % 10 != 0, marketing=n % 3 == 0)
            for n, u in enumerate(users)
            if n % 10 == 0 or n % 3 == 0
        ),
        batch_size=CHUNK,
    )
    log(f"data: {clients:,} clients ({time.monotonic() - started:.1f}s)")

    moment = week.since + timedelta(days=2, hours=10)
    long_ago = week.since - timedelta(days=90)
    orders = []
    for n, owner in enumerate(users):
        quiet = n % 10 == 1
        for k in range(1 if quiet else 1 + n % 3):
            orders.append(
                Order(
                    number=f"BD-{n}-{k}",
                    user=owner,
                    email=owner.email,
                    name="Bench Buyer",
                    status=OrderStatus.COMPLETED if quiet else OrderStatus.ACTIVE,
                    currency="USD",
                    subtotal_amount=4_900,
                    total_amount=4_900,
                    paid_at=long_ago if quiet else moment,
                )
            )
    orders = Order.objects.bulk_create(orders, batch_size=CHUNK)
    busy = [o for o in orders if o.status == OrderStatus.ACTIVE]
    OrderLine.objects.bulk_create(
        (
            OrderLine(
                order=order,
                product=products[i % 2],
                title=products[i % 2].title,
                configuration={},
                breakdown={
                    "bundle": {"name": "Grow together" if i % 4 == 0 else "", "discount": 0}
                },
                quantity=1_000,
                billing="one_off",
                target="@bench.brand",
                targets=["@bench.brand"],
                currency="USD",
                gross_amount=4_900,
                discount_amount=0,
                total_amount=4_900,
            )
            for i, order in enumerate(orders)
        ),
        batch_size=CHUNK,
    )
    changes = OrderStatusChange.objects.bulk_create(
        (
            OrderStatusChange(order=order, from_status=before, to_status=after, source="bench")
            for order in busy
            for before, after in (("pending", "processing"), ("processing", "active"))
        ),
        batch_size=CHUNK,
    )
    with connection.cursor() as cursor:  # history written during the week
        cursor.execute(
            f"UPDATE {OrderStatusChange._meta.db_table} SET created_at = %s WHERE id >= %s",
            [moment, min(c.pk for c in changes)],
        )
    log(f"data: {len(orders):,} orders, lines and history ({time.monotonic() - started:.1f}s)")
    FulfillmentTask.objects.bulk_create(
        (
            FulfillmentTask(
                order=order,
                name=name,
                kind=kind,
                adapter="sandbox",
                status=status,
                position=position,
                due_at=moment,
                started_at=moment,
                finished_at=moment if status == "succeeded" else None,
                quantity=1_000 if kind == "delivery" else None,
                delivered=400 if kind == "delivery" else None,
                remains=600 if kind == "delivery" else None,
            )
            for order in busy
            for position, (name, kind, status) in enumerate(
                (
                    ("Check the account", "review", "succeeded"),
                    ("Deliver followers", "delivery", "running"),
                )
            )
        ),
        batch_size=CHUNK,
    )
    AnalyticsSnapshot.objects.bulk_create(
        (
            AnalyticsSnapshot(
                order=order,
                account=f"@{order.number}",
                captured_on=week.monday + timedelta(days=day),
                followers=10_000 + 40 * (day + 1),
                source="sandbox",
            )
            for order in busy
            for day in range(-1, 7)
        ),
        batch_size=CHUNK,
    )
    Invoice.objects.bulk_create(
        (
            Invoice(
                number=f"INV-BD-{order.number[3:]}",
                order=order,
                kind=Invoice.Kind.ORDER,
                currency="USD",
                subtotal_amount=4_900,
                total_amount=4_900,
                issued_at=order.paid_at,
            )
            for order in orders
        ),
        batch_size=CHUNK,
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # what autovacuum would do within a minute
    log(f"data: tasks, snapshots and invoices ({time.monotonic() - started:.1f}s)")
    opted_out = sum(1 for n in range(clients) if n % 10 == 0)
    empty = sum(1 for n in range(clients) if n % 10 == 1)
    return {
        "clients": clients,
        "orders": len(orders),
        "expected_queued": clients - opted_out - empty,
        "expected_opted_out": opted_out,
        "expected_empty": empty,
    }


# --------------------------------------------------------------------------- measuring


def measure(week, batch_size: int) -> dict:
    """One run of the client digests with every query captured, split per batch."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from backoffice.digests import digests_send

    ends: list[tuple[int, int]] = []  # (queries so far, queued so far) after each batch
    connection.queries_log = deque()  # Django keeps only the last 9,000 by default

    with CaptureQueriesContext(connection) as captured:

        def progress(run) -> None:
            ends.append((len(captured), run.queued + run.already_sent))
            if run.batch % 5 == 0 or run.batch == run.batches:
                log(f"  {run.progress_line()}")

        started = time.perf_counter()
        run = digests_send(week=week, batch_size=batch_size, progress=progress)
        seconds = time.perf_counter() - started
    queries = [q["sql"] for q in captured.captured_queries]
    batches, start, sent_before = [], 0, 0
    for end, sent in ends:
        sql = queries[start:end]
        reads = sum(1 for q in sql if _is_read(q))
        batches.append(
            {
                "queries": len(sql),
                "reads": reads,
                "writes": len(sql) - reads,
                "e_mails": sent - sent_before,
            }
        )
        start, sent_before = end, sent
    return {
        "seconds": round(seconds, 2),
        "clients_per_s": round(run.seen / seconds, 1),
        "queued": run.queued,
        "already_sent": run.already_sent,
        "empty": run.empty,
        "opted_out": run.opted_out,
        "seen": run.seen,
        "queries": len(queries),
        "batches": batches,
    }


def _is_read(sql: str) -> bool:
    """A SELECT (a UNION starts with a parenthesis on PostgreSQL) other than a wake-up."""
    return sql.lstrip("(").startswith("SELECT") and "pg_notify" not in sql


def bench_database(db: str, args) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"smplat-digest-{db}-") as tmp_name:
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
        fulfillment_bench.setup_django(env)
        from backoffice.digests import staff_digests_send
        from core.models import OutgoingEmail
        from core.weeks import IsoWeek

        week = IsoWeek.last_complete()
        data = create_data(args.clients, week)
        log(f"first run: {week}, batches of {args.batch_size}")
        first = measure(week, args.batch_size)
        log(f"first run: {first['seconds']} s, {first['queued']:,} queued")
        log("second run (the same week again)")
        second = measure(week, args.batch_size)
        started = time.perf_counter()
        staff = staff_digests_send(week=week)
        staff_s = time.perf_counter() - started
        outbox = OutgoingEmail.objects.filter(kind="weekly_digest").count()
    return {
        "db": db,
        "week": str(week),
        "data": data,
        "first": first,
        "second": second,
        "staff": {"queued": staff.queued, "seconds": round(staff_s, 3)},
        "outbox_rows": outbox,
    }


def _full(run: dict, batch_size: int) -> list[dict]:
    """Batches of `batch_size` clients after the first (which also carries the run's own
    reads: the client count and the offers), and before a short last one."""
    return run["batches"][1:-1] if run["seen"] % batch_size else run["batches"][1:]


def _reads(run: dict, batch_size: int) -> str:
    reads = sorted({b["reads"] for b in _full(run, batch_size)})
    return "/".join(map(str, reads)) + f" (first batch {run['batches'][0]['reads']})"


def _writes(run: dict, batch_size: int) -> str:
    return "/".join(map(str, sorted({b["writes"] for b in _full(run, batch_size)})))


def check_lines(run: dict, batch_size: int) -> list[str]:
    db, data, first, second = run["db"], run["data"], run["first"], run["second"]
    lines = []
    counts_ok = (
        first["queued"] == data["expected_queued"] == run["outbox_rows"]
        and first["empty"] == data["expected_empty"]
        and first["opted_out"] == data["expected_opted_out"]
    )
    lines.append(
        f"{'PASS' if first['seconds'] < TARGET_S and counts_ok else 'FAIL'} [{db}] the digest "
        f"for {data['clients']:,} clients < {TARGET_S:g} s: {first['seconds']} s, "
        f"{first['clients_per_s']:,.0f} clients/s, {first['queued']:,} queued "
        f"(expected {data['expected_queued']:,}), {first['empty']:,} empty, "
        f"{first['opted_out']:,} opted out"
    )
    full = _full(first, batch_size)
    constant = len({b["reads"] for b in full}) == 1 and len({b["writes"] for b in full}) == 1
    lines.append(
        f"{'PASS' if constant else 'FAIL'} [{db}] queries per batch constant: "
        f"{_reads(first, batch_size)} reads in every full batch of {batch_size}, "
        f"{_writes(first, batch_size)} writes"
    )
    again = second["queued"] == 0 and second["already_sent"] == first["queued"]
    lines.append(
        f"{'PASS' if again else 'FAIL'} [{db}] a second run queues nothing: "
        f"{second['queued']} queued, {second['already_sent']:,} already sent "
        f"in {second['seconds']} s"
    )
    return lines


def table(runs: list[dict], batch_size: int) -> str:
    out = [
        "| db | clients | orders | batch | s | clients/s | queued | reads/batch | writes/batch"
        " | second run s | staff review s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        first = run["first"]
        out.append(
            f"| {run['db']} | {run['data']['clients']:,} | {run['data']['orders']:,} | "
            f"{batch_size} | {first['seconds']} | {first['clients_per_s']:,.0f} | "
            f"{first['queued']:,} | {_reads(first, batch_size)} | {_writes(first, batch_size)} | "
            f"{run['second']['seconds']} | "
            f"{run['staff']['seconds']} |"
        )
    return "\n".join(out)


# --------------------------------------------------------------------------- main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--db", default="sqlite,postgres", help="comma-separated: " + ",".join(harness.DATABASES)
    )
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args(argv)
    args.db = [name.strip() for name in args.db.split(",") if name.strip()]
    unknown = [name for name in args.db if name not in harness.DATABASES]
    if unknown:
        parser.error(
            f"unknown --db {', '.join(unknown)}; choose from {', '.join(harness.DATABASES)}"
        )
    if min(args.clients, args.batch_size) < 1:
        parser.error("--clients and --batch-size must be positive")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if len(args.db) > 1:
        # Django is set up once per process, for one database: each runs in a child process.
        return harness.run_per_database(
            __file__,
            "digest",
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
    run = {
        "machine": machine,
        "parameters": {"clients": args.clients, "batch_size": args.batch_size},
        **run,
        "checks": check_lines(run, args.batch_size),
    }
    path = RESULTS_DIR / f"digest-{run['db']}.json"
    harness.write_json(path, run)
    log(f"results in {path}")
    report([run], args)
    return 0


def report(runs: list[dict], args) -> None:
    text = table(runs, args.batch_size)
    lines = [line for run in runs for line in run["checks"]]
    machine = runs[0]["machine"]
    (RESULTS_DIR / "digest-table.md").write_text(
        f"Measured {machine['date']} on {machine['nproc']} CPUs (load average "
        f"{machine['loadavg_at_start'][0]} at the start), Python {machine['python']}: "
        f"`digests_send` in one process with production settings, every query captured "
        f"(bench/README.md).\n\n" + text + "\n\n" + "\n".join(f"- {line}" for line in lines) + "\n"
    )
    print()
    print(text)
    print()
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
