"""Concurrent wrong passwords on PostgreSQL: the per-account row lock makes them wait in line,
so the limit holds for a burst from many connections at once, not only one after the other."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client

from .helpers import PASSWORD, account, sign_in, signed_in_id

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]

LIMIT = 10
BURST = 30


def test_thirty_concurrent_wrong_passwords_check_no_more_than_the_limit(throttled):
    account()
    start = threading.Barrier(BURST)

    def attempt(n: int) -> int:
        try:
            client = Client()
            start.wait()
            return sign_in(client, "dana", f"guess {n}").status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=BURST) as pool:
        statuses = list(pool.map(attempt, range(BURST)))

    assert throttled.checks == LIMIT
    assert statuses.count(200) == LIMIT - 1  # the tenth failure already answers the lockout
    assert statuses.count(429) == BURST - LIMIT + 1
    client = Client()
    assert sign_in(client, "dana", PASSWORD).status_code == 429
    assert signed_in_id(client) is None
