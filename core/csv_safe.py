"""CSV for spreadsheets: cells that a spreadsheet would run as a formula are neutralised.

OWASP ASVS 5.0 V1.2.10: a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return
is prefixed with a single quote, so Excel, LibreOffice and Google Sheets show it as text.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

FORMULA_STARTS = frozenset("=+-@\t\r")


def csv_cell(value) -> str:
    """`value` as CSV cell text, never a formula."""
    text = value if isinstance(value, str) else "" if value is None else str(value)
    return f"'{text}" if text[:1] in FORMULA_STARTS else text


class _Line:
    """A file-like target for `csv.writer` that hands back what it was given."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Iterable, rows: Iterable[Iterable], *, batch: int = 500) -> Iterator[str]:
    """The header and the rows as CSV text, every cell neutralised, `batch` lines per piece:
    for a streamed response (fewer, larger writes than a line at a time)."""
    writer = csv.writer(_Line())
    lines = [writer.writerow([csv_cell(cell) for cell in header])]
    for row in rows:
        lines.append(writer.writerow([csv_cell(cell) for cell in row]))
        if len(lines) >= batch:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)
