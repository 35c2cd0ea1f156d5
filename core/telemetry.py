"""Buffered telemetry: events the storefront records on a page view (searches, suggestions,
experiment exposures) are written in batches, off the request's path.

Each process keeps its own small buffer per kind (nothing shared between processes) and a
daemon thread writes it every TELEMETRY_FLUSH_SECONDS, or at once when it holds
TELEMETRY_BATCH events. A crash loses at most that window of telemetry, never a page. With
the interval set to 0 (tests), every event is written immediately.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from django.conf import settings
from django.db import DatabaseError, connection

Event = TypeVar("Event")

logger = logging.getLogger(__name__)


class TelemetryBuffer(Generic[Event]):
    """Events of one kind, handed to `write` (one or a few multi-row statements) in batches."""

    def __init__(self, name: str, write: Callable[[list[Event]], None]):
        self.name = name
        self._write_events = write
        self._lock = threading.Lock()
        self._events: list[Event] = []
        self._thread: threading.Thread | None = None
        atexit.register(self.flush)

    def add(self, event: Event) -> None:
        interval = settings.TELEMETRY_FLUSH_SECONDS
        if interval <= 0:
            self._write([event])
            return
        with self._lock:
            self._events.append(event)
            full = len(self._events) >= settings.TELEMETRY_BATCH
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)
                self._thread.start()
        if full:
            self.flush()

    def flush(self) -> int:
        with self._lock:
            events, self._events = self._events, []
        if events:
            self._write(events)
        return len(events)

    def _run(self, interval: float) -> None:
        """Flush every `interval` seconds; stop once idle (the next event starts a new one)."""
        while True:
            time.sleep(interval)
            with self._lock:
                if not self._events:
                    self._thread = None
                    return
            self.flush()
            connection.close()  # this thread's own connection

    def _write(self, events: list[Event]) -> None:
        try:
            self._write_events(events)
        except DatabaseError:
            logger.warning(
                "%s telemetry write failed; %d event(s) dropped",
                self.name,
                len(events),
                exc_info=True,
            )
