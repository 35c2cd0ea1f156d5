"""Buffered search telemetry (`core.telemetry`): searches and search-as-you-type
suggestions are written in batches, off the request's path."""

from __future__ import annotations

from core.telemetry import TelemetryBuffer

from .models import SearchEvent, SuggestionEvent


def _write(events: list[SearchEvent | SuggestionEvent]) -> None:
    for model in (SearchEvent, SuggestionEvent):
        if rows := [e for e in events if isinstance(e, model)]:
            model.objects.bulk_create(rows)


search_buffer = TelemetryBuffer("search", _write)
