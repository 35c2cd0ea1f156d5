"""Wake an idle worker queue from any process, on PostgreSQL through LISTEN/NOTIFY.

Whoever queues work calls `queue_wake(name)`; inside a transaction PostgreSQL delivers the
notification at commit, so a woken queue always finds the work. A worker runs `queues_listen`
in a thread of its own, which sets a queue's event when its channel is notified. On other
databases both do nothing and the queues find work on their next poll.
"""

from __future__ import annotations

import logging
import threading

from django.db import connection

logger = logging.getLogger(__name__)

CHANNEL_PREFIX = "smplat_queue_"


def queue_wake(name: str) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, '')", [CHANNEL_PREFIX + name])


def queues_listen(
    wakes: dict[str, threading.Event], *, stop: threading.Event, timeout: float = 1.0
) -> None:
    """Until `stop` is set: set `wakes[name]` whenever queue `name` is notified. Uses this
    thread's own connection; a lost connection is logged and listened to again after
    `timeout`, the polls carrying on meanwhile. Once listening again it wakes every queue,
    since notifications sent while it was not listening are lost (a database restart)."""
    if connection.vendor != "postgresql":
        return
    lost = False
    while not stop.is_set():
        try:
            _listen(wakes, stop=stop, timeout=timeout, missed=lost)
        except Exception:
            logger.exception("queue wake-ups: listening failed; polling only until it is back")
            lost = True
            stop.wait(timeout)
        finally:
            connection.close()


def _listen(
    wakes: dict[str, threading.Event], *, stop: threading.Event, timeout: float, missed: bool
) -> None:
    with connection.cursor() as cursor:  # autocommit: each LISTEN holds at once
        for name in wakes:
            cursor.execute(f"LISTEN {connection.ops.quote_name(CHANNEL_PREFIX + name)}")
    if missed:
        logger.warning("queue wake-ups: listening again; every queue looks for missed work")
        for wake in wakes.values():
            wake.set()
    while not stop.is_set():
        for notify in connection.connection.notifies(timeout=timeout):
            wake = wakes.get(notify.channel.removeprefix(CHANNEL_PREFIX))
            if wake is not None:
                wake.set()
