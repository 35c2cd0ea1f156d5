"""Exposures are buffered like search telemetry (`core.telemetry`): a page view costs no
write; each process writes its batch with one INSERT that keeps a unit's first variant."""

from __future__ import annotations

from core.telemetry import TelemetryBuffer

from .services import exposures_record

exposure_buffer = TelemetryBuffer("exposure", exposures_record)
