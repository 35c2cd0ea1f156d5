"""`/metrics` from two gunicorn workers started with gunicorn.conf.py: whichever worker answers,
the business families are the database's numbers and the HTTP counters are both workers'
together (prometheus_client multiprocess mode)."""

import contextlib
import os
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connection
from prometheus_client.parser import text_string_to_metric_families

from tests.catalog.test_price_edits_across_processes import free_port

from .test_metrics import samples, shop_day, value

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs a database shared between processes"
    ),
]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def server(tmp_path):
    """(base url, access log) of gunicorn.conf.py's server with two workers."""
    db = connection.settings_dict
    login = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    port = free_port()
    multiproc = tmp_path / "prometheus"
    multiproc.mkdir()
    (multiproc / "counter_99999.db").write_bytes(b"left over from an earlier run")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "smplat.settings.test",
        "DATABASE_URL": f"postgres://{login}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "PROMETHEUS_MULTIPROC_DIR": str(multiproc),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
    }
    access_log = tmp_path / "access.log"
    with (tmp_path / "gunicorn.log").open("w") as errors:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "gunicorn.conf.py",
                "smplat.wsgi:application",
                f"--access-logfile={access_log}",
                "--access-logformat=%(p)s %(U)s",
            ],
            cwd=ROOT,
            env=env,
            stdout=errors,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError):
                if urllib.request.urlopen(f"{base}/healthz", timeout=5).status == 200:
                    break
            assert process.poll() is None, (tmp_path / "gunicorn.log").read_text()
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        yield base, access_log
    finally:
        process.terminate()
        process.wait(timeout=30)


def healthz_requests(text: str) -> float:
    for family in text_string_to_metric_families(text):
        if family.name == "django_http_requests_total_by_view_transport_method":
            return sum(s.value for s in family.samples if s.labels.get("view") == "healthz")
    return 0.0


def test_every_worker_reports_the_same_business_numbers_and_all_requests(server):
    base, access_log = server
    shop_day()
    for _ in range(10):
        urllib.request.urlopen(f"{base}/healthz", timeout=10).read()

    def scrape(_) -> str:
        with urllib.request.urlopen(f"{base}/metrics", timeout=30) as response:
            return response.read().decode()

    def answering_pids() -> set[str]:
        lines = access_log.read_text().splitlines()
        return {line.split()[0] for line in lines if "/metrics" in line}

    # Four scrapes at once, so one busy worker leaves the next to the other; a few rounds at
    # most, since an idle worker may still win every accept.
    scrapes: list[str] = []
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(10):
            scrapes += pool.map(scrape, range(4))
            if len(answering_pids()) == 2:
                break
    assert len(answering_pids()) == 2, "both workers should have answered a scrape"

    business = [
        {k: v for k, v in samples(text).items() if "age_seconds" not in k[0]} for text in scrapes
    ]
    assert all(found == business[0] for found in business)
    assert value(business[0], "smplat_orders", status="pending") == 2
    assert value(business[0], "smplat_fulfillment_dead_letters") == 1
    # The readiness probes plus our ten, whichever worker served them: merged, and nothing
    # from the stale file of an earlier run.
    assert all(healthz_requests(text) >= 10 for text in scrapes)
    assert healthz_requests(scrapes[-1]) == healthz_requests(scrapes[0])
