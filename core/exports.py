"""What the export commands share: the `--since` and `--output` arguments, progress lines on
stderr (stdout carries only the data) and the CSV and JSON writers."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from datetime import datetime, time
from pathlib import Path
from typing import TextIO

from django.core.management.base import CommandError, OutputWrapper
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from .csv_safe import csv_lines

PROGRESS_EVERY = 1000


def since_type(value: str) -> datetime:
    """`--since`: a date (YYYY-MM-DD, from its midnight) or an ISO datetime, in the site's time
    zone unless it names one; the future is refused."""
    value = value.strip()
    try:
        day = parse_date(value)
        moment = parse_datetime(value) if day is None else datetime.combine(day, time.min)
    except ValueError:  # well formed but impossible, such as 2026-02-30
        moment = None
    if moment is None:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a date; use YYYY-MM-DD or an ISO datetime (2026-11-01T08:00)."
        )
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    if moment > timezone.now():
        raise argparse.ArgumentTypeError(f"{value} is in the future; nothing was recorded yet.")
    return moment


def add_export_arguments(parser, *, formats: tuple[str, ...]) -> None:
    parser.add_argument(
        "--since",
        type=since_type,
        required=True,
        help="from this date (YYYY-MM-DD) or ISO datetime on",
    )
    parser.add_argument("--format", choices=formats, default=formats[0], dest="format")
    parser.add_argument("--output", type=Path, help="write to this file (default: stdout)")


class Progress:
    """'12,000 of 40,000 invoices' on stderr every `every` rows and once at the end."""

    def __init__(
        self, stream: OutputWrapper, *, total: int, noun: str, every: int = PROGRESS_EVERY
    ):
        self.stream, self.total, self.noun, self.every = stream, total, noun, every
        self.done = 0

    def count(self, items: Iterable) -> Iterator:
        for item in items:
            yield item
            self.done += 1
            if self.done % self.every == 0 and self.done < self.total:
                self._line()
        self._line()

    def _line(self) -> None:
        # Plain text even on a terminal (a command's stderr is styled as errors there).
        self.stream.write(f"{self.done:,} of {self.total:,} {self.noun}", style_func=str)
        self.stream.flush()


class _Verbatim:
    """A command's stdout that writes text as given (OutputWrapper adds line endings)."""

    def __init__(self, wrapper: OutputWrapper):
        self.wrapper = wrapper

    def write(self, text: str) -> None:
        self.wrapper.write(text, ending="")


@contextlib.contextmanager
def output_to(path: Path | None, stdout: OutputWrapper) -> Iterator[TextIO]:
    """The file at `path` (written beside it, then moved into place, so a failed export never
    leaves half a file), or the command's `stdout`."""
    if path is None:
        try:
            yield _Verbatim(stdout)
        except BrokenPipeError:  # `| head`: whoever reads stopped early
            raise CommandError("The export's reader closed stdout before the end.") from None
        return
    path = path.expanduser()
    temporary = None
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            yield out
        os.replace(temporary, path)
    except OSError as exc:
        raise CommandError(f"Cannot write {path}: {exc.strerror or exc}.") from exc
    finally:
        if temporary:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)


def csv_write(out: TextIO, header: Iterable, rows: Iterable[Iterable]) -> None:
    for piece in csv_lines(header, rows):
        out.write(piece)


def json_write(out: TextIO, head: dict, key: str, items: Iterable[dict]) -> None:
    """`head` with `key` holding `items`, written item by item (memory stays flat)."""
    out.write("{\n")
    for name, value in head.items():
        out.write(f"  {json.dumps(name)}: {json.dumps(value, default=str)},\n")
    out.write(f"  {json.dumps(key)}: [")
    for index, item in enumerate(items):
        out.write(("," if index else "") + "\n    " + json.dumps(item, default=str))
    out.write("\n  ]\n}\n")
