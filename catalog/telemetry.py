"""Buffered search telemetry: searches and search-as-you-type suggestions are written in
batches, off the request's path.

Each process keeps its own small buffer (nothing shared between processes) and a daemon
thread writes it with one multi-row INSERT every SEARCH_TELEMETRY_FLUSH_SECONDS, or at once
when it holds SEARCH_TELEMETRY_BATCH events. A crash loses at most that window of telemetry,
never a page. With the interval set to 0 (tests), every search is written immediately.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time

from django.conf import settings
from django.db import DatabaseError, connection

from .models import SearchEvent, SuggestionEvent

Event = SearchEvent | SuggestionEvent

logger = logging.getLogger(__name__)


class SearchBuffer:
    def __init__(self):
        self._lock = threading.Lock()
        self._events: list[Event] = []
        self._thread: threading.Thread | None = None

    def add(self, event: Event) -> None:
        interval = settings.SEARCH_TELEMETRY_FLUSH_SECONDS
        if interval <= 0:
            self._write([event])
            return
        with self._lock:
            self._events.append(event)
            full = len(self._events) >= settings.SEARCH_TELEMETRY_BATCH
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
        """Flush every `interval` seconds; stop once idle (the next search starts a new one)."""
        while True:
            time.sleep(interval)
            with self._lock:
                if not self._events:
                    self._thread = None
                    return
            self.flush()
            connection.close()  # this thread's own connection

    @staticmethod
    def _write(events: list[Event]) -> None:
        try:
            for model in (SearchEvent, SuggestionEvent):
                if rows := [e for e in events if isinstance(e, model)]:
                    model.objects.bulk_create(rows)
        except DatabaseError:
            logger.warning(
                "search telemetry write failed; %d event(s) dropped", len(events), exc_info=True
            )


search_buffer = SearchBuffer()
atexit.register(search_buffer.flush)
