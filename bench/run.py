"""Storefront and payments benchmark: wrk against gunicorn + production settings, per database.

    .venv/bin/python bench/run.py [--db sqlite,postgres] [--suite storefront,payments]
                                  [--duration 10] [--connections 16] [--products 10000]
                                  [--scenario bare,search-varied,...]

Prints a table and PASS/FAIL lines for the targets, and writes
bench/results/catalog-<db>.json (storefront), payments-<db>.json, run.json and
README-table.md (`make bench` runs it as part of bench/all.py). Exits non-zero only when the harness itself fails, never for a missed target.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import harness
import payments
from harness import HarnessError, Scenario, Server, Target, log

RESULTS_DIR = harness.BENCH_DIR / "results"
WARMUP_SECONDS = 2
THREADS = 2

# Add scenarios here. `bare` must stay: it is the ceiling the others are judged against.
SCENARIOS = [
    Scenario("bare", "/healthz"),  # no database, no templates
    Scenario("catalog", "/catalog/"),
    Scenario("search", "/catalog/?q=followers"),
    Scenario("product", "/products/instagram-growth/"),
]
VARIED_LUA = harness.BENCH_DIR / "varied.lua"
# Every request a different page (bench/varied_traffic.py writes the paths per catalog):
# name -> the path files' name in the run's workdir.
VARIED = {"search-varied": "search", "product-varied": "product"}
SCENARIO_NAMES = [s.name for s in SCENARIOS] + list(VARIED)
DEFAULT_PRODUCTS = 10_000
# A large catalog is about the varied rows; the repeated ones there say nothing new.
LARGE_CATALOG = 100_000
LARGE_SCENARIOS = ["bare", *VARIED]


def _catalog_p95(results):
    p95 = results["catalog"]["latency_ms"]["p95"]
    return p95 < 50, f"{p95:.1f} ms"


def _catalog_vs_bare(results):
    ratio = results["catalog"]["rps"] / results["bare"]["rps"]
    return ratio >= 0.5, f"{ratio:.2f} × bare"


def _p95_below(scenario: str, limit_ms: float) -> Target:
    def check(results):
        p95 = results[scenario]["latency_ms"]["p95"]
        return p95 < limit_ms, f"{p95:.1f} ms"

    return Target(f"{scenario} p95 < {limit_ms:g} ms", check, (scenario,))


def _vs_bare(scenario: str, share: float) -> Target:
    def check(results):
        ratio = results[scenario]["rps"] / results["bare"]["rps"]
        return ratio >= share, f"{ratio:.2f} × bare"

    return Target(f"{scenario} req/s >= {share:g} × bare req/s", check, (scenario, "bare"))


TARGETS = [
    Target("catalog p95 < 50 ms", _catalog_p95, ("catalog",)),
    Target("catalog req/s >= 0.5 × bare req/s", _catalog_vs_bare, ("catalog", "bare")),
    _p95_below("search", 50),
    _vs_bare("search", 0.5),
    *payments.TARGETS,
]
# Varied traffic (issue 13): the targets depend on the catalog's size.
VARIED_TARGETS = [
    _vs_bare("search-varied", 0.1),
    _p95_below("search-varied", 50),
    _vs_bare("product-varied", 0.1),
    _p95_below("product-varied", 50),
]
LARGE_VARIED_TARGETS = [_p95_below("search-varied", 100)]
# The same product rows with experiments running (issue 14): each measured by a server of
# its own after bench/start_experiments.py, named "<row>+experiment".
EXPERIMENT_ROWS = ("product", "product-varied")
WITH_EXPERIMENT = "+experiment"


def _no_worse(scenario: str, share: float) -> Target:
    """`scenario` with an experiment running keeps at least 1 - share of its req/s."""
    running = scenario + WITH_EXPERIMENT

    def check(results):
        ratio = results[running]["rps"] / results[scenario]["rps"]
        return ratio >= 1 - share, f"{ratio:.2f} × without"

    return Target(f"{running} req/s >= {1 - share:g} × {scenario}", check, (running, scenario))


EXPERIMENT_TARGETS = [_no_worse(row, 0.1) for row in EXPERIMENT_ROWS]


def targets_for(products: int) -> list[Target]:
    varied = LARGE_VARIED_TARGETS if products >= LARGE_CATALOG else VARIED_TARGETS
    return TARGETS + varied + EXPERIMENT_TARGETS


@dataclass(frozen=True)
class Suite:
    """Scenarios measured against one gunicorn started with the app's environment + `env`."""

    name: str
    results_file: str  # bench/results/<results_file>-<db>.json
    run: Callable[..., dict[str, dict]]  # (server, env, args, workdir) -> results by scenario
    env: dict[str, str] = field(default_factory=dict)
    prepare: Callable[[dict[str, str], Path], None] | None = None  # before its server starts


def _varied(name: str, workdir: Path) -> tuple[Scenario, Scenario]:
    """(scenario, its warm-up) reading disjoint path files, so the measured requests find
    nothing the warm-up cached."""

    def scenario(file_name: str) -> Scenario:
        paths = workdir / f"{file_name}.txt"
        first = paths.read_text().split("\n", 1)[0]
        env = {"BENCH_PATHS_FILE": str(paths), "BENCH_THREADS": str(THREADS)}
        return Scenario(name, first, script=VARIED_LUA, env=env)

    return scenario(VARIED[name]), scenario(f"{VARIED[name]}-warmup")


def _storefront(server, env, args, workdir, *, names=None, suffix=""):
    results = {}
    for name in names or args.scenario:
        if name in VARIED:
            scenario, warmup = _varied(name, workdir)
            results[name + suffix] = measure(server, scenario, args, probe=warmup, warmup=warmup)
        else:
            scenario = next(s for s in SCENARIOS if s.name == name)
            results[name + suffix] = measure(server, scenario, args)
    return results


def _with_experiments(server, env, args, workdir):
    rows = [name for name in EXPERIMENT_ROWS if name in args.scenario]
    return _storefront(server, env, args, workdir, names=rows, suffix=WITH_EXPERIMENT)


def _start_experiments(env: dict[str, str], workdir: Path) -> None:
    out = harness.run_checked(
        [
            harness.PYTHON,
            str(harness.BENCH_DIR / "start_experiments.py"),
            "--paths",
            str(workdir / "product.txt"),
        ],
        env=env,
        what="start_experiments",
    )
    log(out.strip().splitlines()[-1])


def _replaying(*specs):
    def run_suite(server, env, args, workdir):
        run = {"warmup": WARMUP_SECONDS, "threads": THREADS}
        return payments.run_specs(list(specs), server, env, args, workdir, measure, run)

    return run_suite


SUITES = {
    "storefront": Suite("storefront", "catalog", _storefront),
    "payments": Suite(
        "payments",
        "payments",
        _replaying(payments.WEBHOOK, payments.CHECKOUT),
        env={"STRIPE_WEBHOOK_MODE": "queued"},
    ),
    "payments-inline": Suite(
        "payments-inline",
        "payments-inline",
        _replaying(payments.WEBHOOK_INLINE),
        env={"STRIPE_WEBHOOK_MODE": "inline"},
    ),
    # Last: the experiments it starts stay running in this database.
    "experiment": Suite("experiment", "experiment", _with_experiments, prepare=_start_experiments),
}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark the storefront under gunicorn + wrk.")
    parser.add_argument(
        "--db",
        default="sqlite,postgres",
        help="comma-separated backends: " + ",".join(harness.DATABASES),
    )
    parser.add_argument(
        "--suite",
        default="",
        help="comma-separated suites (default all; with --products >= "
        f"{LARGE_CATALOG:,}: storefront, as the others do not depend on the catalog's size): "
        + ",".join(SUITES),
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per scenario")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--products", type=int, default=DEFAULT_PRODUCTS, help="catalog size")
    parser.add_argument(
        "--scenario",
        default="",
        help="comma-separated storefront scenarios (default all; with --products >= "
        f"{LARGE_CATALOG:,}: {','.join(LARGE_SCENARIOS)}): " + ",".join(SCENARIO_NAMES),
    )
    parser.add_argument(
        "--keep-tmp",
        action="store_true",
        help="keep the temp dir (SQLite file, gunicorn log) for inspection",
    )
    args = parser.parse_args(argv)
    # Some databases, suites or scenarios only: results of their own (write_results).
    args.partial = bool(args.scenario.strip()) or any(
        getattr(args, name) != parser.get_default(name) for name in ("suite", "db")
    )
    args.db = [name.strip() for name in args.db.split(",") if name.strip()]
    unknown = [name for name in args.db if name not in harness.DATABASES]
    if unknown:
        parser.error(
            f"unknown --db {', '.join(unknown)}; choose from {', '.join(harness.DATABASES)}"
        )
    if args.products < 1:
        parser.error("--products must be at least 1")
    default = LARGE_SCENARIOS if args.products >= LARGE_CATALOG else SCENARIO_NAMES
    args.scenario = [n.strip() for n in args.scenario.split(",") if n.strip()] or default
    unknown = [name for name in args.scenario if name not in SCENARIO_NAMES]
    if unknown:
        parser.error(
            f"unknown --scenario {', '.join(unknown)}; choose from {', '.join(SCENARIO_NAMES)}"
        )
    if "bare" not in args.scenario:
        args.scenario.insert(0, "bare")  # every ratio is to the bare view of the same run
    default = ["storefront"] if args.products >= LARGE_CATALOG else list(SUITES)
    args.suite = [name.strip() for name in args.suite.split(",") if name.strip()] or default
    unknown = [name for name in args.suite if name not in SUITES]
    if unknown:
        parser.error(f"unknown --suite {', '.join(unknown)}; choose from {', '.join(SUITES)}")
    args.suite.sort(key=list(SUITES).index)  # the experiment suite leaves experiments running
    return args


def measure(
    server: Server,
    scenario: Scenario,
    args,
    *,
    probe: Scenario | None = None,
    warmup: Scenario | None = None,
) -> dict:
    """Probe, warm up, then measure one scenario; quote the server log if anything failed.

    Scenarios whose requests must not repeat (bench/payments.py) bring their own probe
    request and warm-up requests."""
    status, body = harness.request(server.base_url, probe or scenario)
    log(f"{scenario.name}: {scenario.method} {scenario.path} -> {status}")
    # The warm-up fills each worker's caches and connection pool, so the
    # measurement sees steady state rather than the first request's costs.
    warm = harness.run_wrk(
        server.base_url,
        warmup or scenario,
        duration=WARMUP_SECONDS,
        connections=scenario.connections or args.connections,
        threads=THREADS,
    )
    offset = server.log_size()
    with harness.CpuMeter(server.proc.pid) as cpu:
        result = harness.run_wrk(
            server.base_url,
            scenario,
            duration=args.duration,
            connections=scenario.connections or args.connections,
            threads=THREADS,
        )
        result["connections"] = scenario.connections or args.connections
        result["ended_at"] = time.time()  # wall clock, to tell work done during the run
    result["probe_status"] = status
    result["warmup"] = {k: warm[k] for k in ("requests", "replay") if k in warm}
    # CPU in % of one core: what gunicorn + wrk (+ PostgreSQL) used, and what else ran.
    result["cpu"] = cpu.result
    if harness.error_count(result) or not 200 <= status < 400:
        result["server_log"] = (
            server.log_since(offset) or body.decode(errors="replace")[:2000].splitlines()
        )
    log(
        f"{scenario.name}: {result['rps']:.0f} req/s, p95 {result['latency_ms']['p95']:.1f} ms, "
        f"{harness.error_count(result)} errors, CPU bench {cpu.result['bench_pct']}% "
        f"other {cpu.result['other_pct']}%"
    )
    return result


def bench_database(db: str, args) -> dict:
    """Fresh database, app prepared, then per suite: its gunicorn up, its scenarios measured."""
    with tempfile.TemporaryDirectory(prefix=f"smplat-bench-{db}-") as tmp_name:
        workdir = Path(tmp_name)
        log(f"=== {db} (workdir {workdir})")
        database_url = harness.DATABASES[db](workdir)
        env = harness.app_env(database_url)
        harness.prepare_app(env, args.products, workdir)
        results = {}
        for suite in (SUITES[name] for name in args.suite):
            suite_env = {**env, **suite.env}
            if suite.prepare is not None:
                suite.prepare(suite_env, workdir)
            with Server(suite_env, workdir / f"gunicorn-{suite.name}.log") as server:
                for name, result in suite.run(server, suite_env, args, workdir).items():
                    results[name] = {"suite": suite.name, **result}
        if args.keep_tmp:
            kept = Path(tempfile.mkdtemp(prefix=f"smplat-bench-{db}-kept-"))
            for path in workdir.glob("gunicorn-*.log"):
                (kept / path.name).write_bytes(path.read_bytes())
            log(f"gunicorn logs kept in {kept}")
    checks = [
        {
            "target": t.name,
            "suite": results[t.scenarios[0]]["suite"],
            "passed": ok,
            "value": value,
            "scenarios": list(t.scenarios),
        }
        for t in targets_for(args.products)
        if t.applies(db, results)
        for ok, value in [t.check(results)]
    ]
    return {"db": db, "database_url": database_url, "results": results, "checks": checks}


def markdown_table(runs: list[dict]) -> str:
    lines = [
        "| db | scenario | conns | req/s | p50 ms | p95 ms | p99 ms | errors "
        "| verified in the database, or distinct pages asked for |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for run in runs:
        for name, r in run["results"].items():
            lat = r["latency_ms"]
            verified = r["verified"]["text"] if "verified" in r else ""
            if "varied" in r:
                verified = f"{r['varied']['distinct']:,} distinct pages"
            lines.append(
                f"| {run['db']} | {name} | {r['connections']} | {r['rps']:,.0f} | "
                f"{lat['p50']:.1f} | "
                f"{lat['p95']:.1f} | {lat['p99']:.1f} | {harness.error_count(r)} | {verified} |"
            )
    return "\n".join(lines)


def check_lines(runs: list[dict]) -> list[str]:
    return [
        f"{'PASS' if c['passed'] else 'FAIL'} [{run['db']}] {c['target']}: {c['value']}"
        for run in runs
        for c in run["checks"]
    ]


NOISY_OTHER_CPU_PCT = 25  # other processes using a quarter of a core or more


def max_other_cpu(runs: list[dict]) -> float:
    return max(r["cpu"]["other_pct"] for run in runs for r in run["results"].values())


def noise_lines(runs: list[dict]) -> list[str]:
    lines = []
    for run in runs:
        for name, r in run["results"].items():
            if r["cpu"]["other_pct"] >= NOISY_OTHER_CPU_PCT:
                lines.append(
                    f"NOISY [{run['db']}] {name}: other processes used {r['cpu']['other_pct']}% "
                    "of a core during the measurement; rerun on a quiet machine"
                )
            varied = r.get("varied")
            if varied and varied["wrapped"]:
                lines.append(
                    f"REPEATED [{run['db']}] {name}: {varied['sent']:,} requests for "
                    f"{varied['distinct']:,} distinct pages; later ones could be cached "
                    "(raise --searches in bench/varied_traffic.py or load more products)"
                )
            if r.get("exhausted"):
                lines.append(
                    f"SHORT [{run['db']}] {name}: the request pool ran out before the end; "
                    "the rate is a lower bound (raise pool_rate in bench/payments.py)"
                )
    return lines


def error_reports(runs: list[dict]) -> list[str]:
    lines = []
    for run in runs:
        for name, r in run["results"].items():
            if "server_log" in r:
                kinds = {
                    "non-2xx/3xx": r["non_2xx_3xx"],
                    "unexpected": r.get("unexpected", 0),
                    **{f"socket {k}": n for k, n in r["socket_errors"].items()},
                }
                lines.append(
                    f"--- [{run['db']}] {name}: {harness.error_count(r)} errors "
                    f"({', '.join(f'{k} {n}' for k, n in kinds.items() if n) or 'none'}; "
                    f"probe status {r['probe_status']}); server log:"
                )
                samples = [t["sample"] for t in r.get("replay", []) if t["sample"]]
                if samples:
                    lines.append(f"    first wrong answer: {samples[0]}")
                lines.extend(f"    {line}" for line in r["server_log"][:20])
    return lines


def write_results(runs: list[dict], meta: dict, *, partial: bool) -> None:
    """Results files; another catalog size than the default gets its own (`-<products>`),
    and a run of some suites or scenarios only its own (`-partial`), so that neither
    replaces the files of a complete run."""
    products = meta["parameters"]["products"]
    tag = ("" if products == DEFAULT_PRODUCTS else f"-{products}") + ("-partial" if partial else "")
    for run in runs:
        for suite in SUITES.values():
            results = {n: r for n, r in run["results"].items() if r["suite"] == suite.name}
            if results:
                checks = [c for c in run["checks"] if c["suite"] == suite.name]
                harness.write_json(
                    RESULTS_DIR / f"{suite.results_file}-{run['db']}{tag}.json",
                    {**meta, **run, "results": results, "checks": checks},
                )
    harness.write_json(RESULTS_DIR / f"run{tag}.json", {**meta, "runs": runs})
    params = meta["parameters"]
    machine = meta["machine"]
    text = "\n".join(
        [
            f"Measured {machine['date']} on {machine['nproc']} CPUs, Python {machine['python']}: "
            f"gunicorn -w 2, wrk {THREADS} threads × {params['connections']} connections (unless the "
            "table says otherwise) × "
            f"{params['duration']} s, {params['products']:,} products; payments on the local "
            "gateway, each webhook/checkout request distinct (bench/README.md); other processes "
            f"used at most {max_other_cpu(runs)}% of a core while measuring.",
            "",
            markdown_table(runs),
            "",
            *(f"- {line}" for line in check_lines(runs) + noise_lines(runs)),
            "",
        ]
    )
    (RESULTS_DIR / f"README-table{tag}.md").write_text(text)


def main(argv=None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    machine = harness.machine_info()
    try:
        harness.require_wrk()
    except HarnessError as exc:
        print(exc, file=sys.stderr)
        return 2
    runs, failed = [], []
    for db in args.db:
        try:
            runs.append(bench_database(db, args))
        except Exception as exc:  # one backend failing must not hide the other's numbers
            failed.append(db)
            log(f"{db}: harness error: {exc}")
            if not isinstance(exc, HarnessError):
                traceback.print_exc()
    if runs:
        meta = {
            "machine": machine,
            "parameters": {
                "duration": args.duration,
                "connections": args.connections,
                "threads": THREADS,
                "warmup": WARMUP_SECONDS,
                "products": args.products,
                "gunicorn_workers": 2,
                "suites": args.suite,
                "scenarios": [(s.name, s.method, s.path) for s in SCENARIOS]
                + [(name, "GET", f"varied: {VARIED[name]}.txt") for name in VARIED]
                + [(s.name, "POST", s.path) for s in payments.SPECS],
            },
        }
        write_results(runs, meta, partial=args.partial)
        print()
        print(markdown_table(runs))
        print()
        print("\n".join(check_lines(runs) + noise_lines(runs)))
        reports = error_reports(runs)
        if reports:
            print("\nErrors under load:")
            print("\n".join(reports))
        print(f"\nResults in {RESULTS_DIR} ({time.monotonic() - started:.0f}s in all)")
    if failed:
        print(f"Harness failed for: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
