"""`make bench`: every benchmark in one go on SQLite and PostgreSQL, then one report.

    .venv/bin/python bench/all.py [--skip large,metrics,...]

Runs each benchmark in its own process, in the order of STEPS, then writes
bench/results/latest.json (every target's figure per database, the bare-view ceilings, the
NOISY and lower-bound notes, each step's time) and bench/results/report.md, and embeds the
table in README.md. A benchmark whose harness fails is reported as not measured; the others
still are. Exits non-zero only when a harness failed, never for a missed target.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from dataclasses import dataclass

import harness
import report

# (name, script and its arguments). fulfillment measures PostgreSQL only: its workers claim
# tasks with SKIP LOCKED, which SQLite's single writer cannot share out.
STEPS = [
    ("storefront", ["run.py"]),
    ("large", ["run.py", "--products", "100000"]),
    ("fulfillment", ["fulfillment_bench.py"]),
    ("dashboard", ["dashboard_bench.py"]),
    ("digest", ["digest_bench.py"]),
    ("metrics", ["metrics_bench.py"]),
]
STEP_NAMES = [name for name, _ in STEPS]


@dataclass
class StepRun:
    name: str
    argv: list[str]
    returncode: int
    seconds: float


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Run every benchmark and write one report.")
    parser.add_argument(
        "--skip",
        type=lambda value: [v for v in value.split(",") if v],
        default=[],
        help=f"comma-separated steps to leave out: {','.join(STEP_NAMES)}",
    )
    args = parser.parse_args(argv)
    unknown = set(args.skip) - set(STEP_NAMES)
    if unknown:
        parser.error(f"unknown steps: {', '.join(sorted(unknown))}")
    return args


def run_steps(skip: list[str]) -> list[StepRun]:
    runs = []
    chosen = [(name, argv) for name, argv in STEPS if name not in skip]
    for number, (name, argv) in enumerate(chosen, 1):
        harness.log(f"##### step {number}/{len(chosen)}: {name} ({' '.join(argv)})")
        started = time.monotonic()
        proc = subprocess.run([harness.PYTHON, str(harness.BENCH_DIR / argv[0]), *argv[1:]])
        runs.append(StepRun(name, argv, proc.returncode, round(time.monotonic() - started, 1)))
        harness.log(f"##### {name}: exit {proc.returncode} after {runs[-1].seconds:.0f} s")
    return runs


def main(argv=None) -> int:
    args = parse_args(argv)
    machine = harness.machine_info()
    steps = run_steps(args.skip)
    finished = harness.machine_info()["date"]
    collected = report.collect(since=machine["date"])
    table = report.markdown(collected, machine, machine["date"], finished)
    harness.write_json(
        report.RESULTS_DIR / "latest.json",
        {
            "machine": machine,
            "finished": finished,
            "steps": [vars(step) for step in steps],
            **report.as_json(collected),
        },
    )
    (report.RESULTS_DIR / "report.md").write_text(table)
    report.embed(harness.PROJECT_ROOT / "README.md", table)
    print()
    print(table)
    print("\n".join(collected["notes"]))
    failed = [step.name for step in steps if step.returncode]
    if failed:
        print(f"Harness failed for: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
