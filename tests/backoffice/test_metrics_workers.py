"""`/metrics` from two gunicorn workers started with gunicorn.conf.py: whichever worker answers,
the business families are the database's numbers and the HTTP counters are both workers'
together (prometheus_client multiprocess mode)."""

import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from prometheus_client.parser import text_string_to_metric_families

from tests.gunicorn_server import two_workers

from .test_metrics import samples, shop_day, value

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs a database shared between processes"
    ),
]


@pytest.fixture
def server(tmp_path):
    """(base url, access log) of gunicorn.conf.py's server with two workers."""
    multiproc = tmp_path / "prometheus"
    multiproc.mkdir()
    (multiproc / "counter_99999.db").write_bytes(b"left over from an earlier run")
    env = {"PROMETHEUS_MULTIPROC_DIR": str(multiproc), "WEB_CONCURRENCY": "2"}
    with two_workers(tmp_path, env=env, args=["-c", "gunicorn.conf.py"]) as served:
        yield served


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

    # Four scrapes at once, so one busy worker leaves the next to the other; on a loaded
    # machine the second worker may still be booting, so keep going for up to a minute.
    scrapes: list[str] = []
    deadline = time.monotonic() + 60
    with ThreadPoolExecutor(max_workers=4) as pool:
        while time.monotonic() < deadline:
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
