"""One report over every benchmark of a `make bench` run (bench/all.py).

Reads the result files the run wrote (a file older than the run is reported as not measured,
never reused), and turns every benchmark's checks into rows: the target, and per database
the figure with PASS/FAIL and its marks. `NOISY`: other processes used a quarter of a core or
more while it was measured. `lower bound`: a request pool or the distinct pages ran out, so
the figure understates the system. The bare view's req/s of the same run heads the table:
the ceiling every storefront ratio is taken against.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"
DBS = ("sqlite", "postgres")
DB_TITLES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
NOISY_OTHER_CPU_PCT = 25  # the storefront harness's threshold, for structured results

# The benchmarks in report order: (title, result file pattern). run.py's files hold
# structured checks; the others hold "PASS [db] target: value" lines plus NOISY/SHORT lines.
BENCHMARKS = [
    ("storefront, 10,000 products", "catalog-{db}.json"),
    ("storefront with experiments", "experiment-{db}.json"),
    ("payments, webhooks queued", "payments-{db}.json"),
    ("payments, webhooks inline", "payments-inline-{db}.json"),
    ("storefront, 100,000 products", "catalog-{db}-100000.json"),
    ("fulfillment", "fulfillment-{db}.json"),
    ("client dashboard", "dashboard-{db}.json"),
    ("weekly digest", "digest-{db}.json"),
    ("metrics scrape", "metrics-{db}.json"),
]
CEILINGS = [
    ("bare Django view, 10,000 products (req/s)", "catalog-{db}.json"),
    ("bare Django view, 100,000 products (req/s)", "catalog-{db}-100000.json"),
]
CHECK_LINE = re.compile(r"^(PASS|FAIL) \[(\w+)\] (.+?): (.*)$")
MARK_LINE = re.compile(r"^(NOISY|SHORT|REPEATED) \[(\w+)\]")
LOWER_BOUND_KINDS = {"SHORT", "REPEATED"}


@dataclass
class Figure:
    passed: bool
    value: str
    marks: list[str] = field(default_factory=list)

    def cell(self) -> str:
        marks = "".join(f" ({mark})" for mark in self.marks)
        return f"{'PASS' if self.passed else '**FAIL**'} {self.value}{marks}"


@dataclass
class Row:
    benchmark: str
    target: str
    figures: dict[str, Figure] = field(default_factory=dict)


def load(pattern: str, db: str, since: str) -> dict | None:
    """The results file, if this run wrote it (its start date is not before `since`)."""
    path = RESULTS_DIR / pattern.format(db=db)
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    return data if data.get("machine", {}).get("date", "") >= since else None


def _structured_marks(data: dict, scenarios: list[str]) -> list[str]:
    marks = []
    for name in scenarios:
        result = data["results"].get(name, {})
        if (
            result.get("cpu", {}).get("other_pct", 0) >= NOISY_OTHER_CPU_PCT
            and "NOISY" not in marks
        ):
            marks.append("NOISY")
        varied = result.get("varied") or {}
        if (result.get("exhausted") or varied.get("wrapped")) and "lower bound" not in marks:
            marks.append("lower bound")
    return marks


def _line_checks(data: dict) -> list[tuple[str, Figure]]:
    lines = data.get("checks", [])
    kinds = {m.group(1) for line in lines if (m := MARK_LINE.match(line))}
    marks = (["NOISY"] if "NOISY" in kinds else []) + (
        ["lower bound"] if kinds & LOWER_BOUND_KINDS else []
    )
    return [
        (m.group(3), Figure(m.group(1) == "PASS", m.group(4), list(marks)))
        for line in lines
        if (m := CHECK_LINE.match(line))
    ]


def checks_of(data: dict) -> list[tuple[str, Figure]]:
    checks = data.get("checks", [])
    if checks and isinstance(checks[0], dict):
        return [
            (
                c["target"],
                Figure(c["passed"], c["value"], _structured_marks(data, c.get("scenarios", ()))),
            )
            for c in checks
        ]
    return _line_checks(data)


def notes_of(data: dict, benchmark: str) -> list[str]:
    """The NOISY/SHORT/REPEATED lines, wherever the benchmark keeps them."""
    lines = [c for c in data.get("checks", []) if isinstance(c, str) and MARK_LINE.match(c)]
    for name, result in data.get("results", {}).items():
        other = result.get("cpu", {}).get("other_pct", 0)
        if other >= NOISY_OTHER_CPU_PCT:
            lines.append(f"NOISY [{data.get('db', '?')}] {name}: other processes used {other}%")
    return [f"{benchmark}: {line}" for line in lines]


def collect(since: str) -> dict:
    rows: list[Row] = []
    ceilings: list[Row] = []
    notes: list[str] = []
    missing: list[str] = []
    for title, pattern in CEILINGS:
        row = Row("ceiling", title)
        for db in DBS:
            data = load(pattern, db, since)
            bare = (data or {}).get("results", {}).get("bare")
            if bare:
                row.figures[db] = Figure(
                    True, f"{bare['rps']:,.0f}", _structured_marks(data, ["bare"])
                )
        ceilings.append(row)
    for title, pattern in BENCHMARKS:
        measured = False
        for db in DBS:
            data = load(pattern, db, since)
            if data is None:
                continue
            measured = True
            notes.extend(notes_of(data, title))
            for target, figure in checks_of(data):
                row = next((r for r in rows if (r.benchmark, r.target) == (title, target)), None)
                if row is None:
                    row = Row(title, target)
                    rows.append(row)
                row.figures[db] = figure
        if not measured:
            missing.append(title)
    return {"ceilings": ceilings, "rows": rows, "notes": notes, "missing": missing}


def _cells(row: Row, *, ceiling: bool = False) -> str:
    def cell(db):
        figure = row.figures.get(db)
        if figure is None:
            return "not measured"
        return figure.value + "".join(f" ({m})" for m in figure.marks) if ceiling else figure.cell()

    return " | ".join(cell(db) for db in DBS)


def markdown(report: dict, machine: dict, started: str, finished: str) -> str:
    rows = report["rows"]
    figures = [f for row in rows for f in row.figures.values()]
    passed = sum(f.passed for f in figures)
    noisy = sum("NOISY" in f.marks for f in figures)
    lines = [
        f"`make bench`, {started} to {finished}, on {machine['nproc']} CPUs "
        f"({machine.get('cpu', 'unknown CPU')}, {machine.get('memory_gb', '?')} GB), "
        f"{machine['platform']}, Python {machine['python']}; load average "
        f"{', '.join(str(x) for x in machine['loadavg_at_start'])} at the start. "
        f"{passed} of {len(figures)} figures meet their target; {noisy} were measured while "
        "other processes used a quarter of a core or more (NOISY: compare them as ratios to the "
        "bare view of the same run). `lower bound`: a pool or the distinct pages ran out.",
        "",
        "| benchmark | target | " + " | ".join(DB_TITLES[db] for db in DBS) + " |",
        "|---|---|" + "---|" * len(DBS),
    ]
    lines += [
        f"| {r.benchmark} | {r.target} | {_cells(r, ceiling=True)} |" for r in report["ceilings"]
    ]
    lines += [f"| {r.benchmark} | {r.target} | {_cells(r)} |" for r in rows]
    if report["missing"]:
        lines += ["", f"Not measured in this run: {', '.join(report['missing'])}."]
    return "\n".join(lines) + "\n"


def as_json(report: dict) -> dict:
    def figures(row: Row) -> dict:
        return {db: vars(f) for db, f in row.figures.items()}

    return {
        "ceilings": [{"target": r.target, "figures": figures(r)} for r in report["ceilings"]],
        "targets": [
            {"benchmark": r.benchmark, "target": r.target, "figures": figures(r)}
            for r in report["rows"]
        ],
        "notes": report["notes"],
        "missing": report["missing"],
    }


BEGIN, END = "<!-- bench-report:begin -->", "<!-- bench-report:end -->"


def embed(readme: Path, table: str) -> None:
    """Replace the README's report block (between the markers) with `table`."""
    text = readme.read_text()
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{BEGIN}\n{table}{END}{tail}")
