"""Building blocks for the benchmark: databases, the app under gunicorn, and wrk.

bench/run.py strings these together; new scenarios only need a `Scenario` entry.
Everything here runs the app the way production does (production settings,
gunicorn, whitenoise), against a database created fresh for the run.
"""

from __future__ import annotations

import http.client
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = PROJECT_ROOT / "bench"
REPORT_LUA = BENCH_DIR / "report.lua"
PYTHON = sys.executable  # the venv's interpreter: run.py is started with .venv/bin/python

# BENCH_POSTGRES_DB lets two runs share one server without dropping each other's database.
POSTGRES_DB = os.environ.get("BENCH_POSTGRES_DB", "smplat_bench")
# TCP first (what most deployments use); the unix socket when TCP asks for a password.
POSTGRES_ADMIN_DSNS = [
    ("tcp", "host=127.0.0.1 port=5432 user=postgres dbname=postgres"),
    ("socket", "host=/var/run/postgresql user=postgres dbname=postgres"),
]
POSTGRES_APP_URLS = {
    "tcp": f"postgres://postgres@127.0.0.1:5432/{POSTGRES_DB}",
    "socket": f"postgres://postgres@/{POSTGRES_DB}?host=/var/run/postgresql",
}


class HarnessError(RuntimeError):
    """The benchmark itself could not run (as opposed to the app missing a target)."""


@dataclass(frozen=True)
class Scenario:
    """One wrk run against one URL. Method, body and headers reach wrk via report.lua."""

    name: str
    path: str
    method: str = "GET"
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    script: Path = REPORT_LUA  # a custom script can `dofile("bench/report.lua")` for done()
    env: dict[str, str] = field(default_factory=dict)  # extra settings for the script
    connections: int | None = None  # wrk connections; None: the run's --connections


@dataclass(frozen=True)
class Target:
    """A pass/fail goal computed from one database's results, keyed by scenario name.

    Checked only when all of `scenarios` ran, and only on `dbs` (all when empty)."""

    name: str
    check: Callable[[dict[str, dict]], tuple[bool, str]]
    scenarios: tuple[str, ...]
    dbs: tuple[str, ...] = ()

    def applies(self, db: str, results: dict[str, dict]) -> bool:
        return (not self.dbs or db in self.dbs) and all(s in results for s in self.scenarios)


# --------------------------------------------------------------------------- helpers


def log(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", flush=True)


def run_checked(args: list[str], *, env: dict[str, str], what: str, timeout: int = 900) -> str:
    """Run a command in the project root; on failure raise with the tail of its output."""
    started = time.monotonic()
    proc = subprocess.run(
        args, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    output = proc.stdout + proc.stderr
    if proc.returncode != 0:
        tail = "\n".join(output.strip().splitlines()[-30:])
        raise HarnessError(f"{what} failed (exit {proc.returncode}):\n{tail}")
    log(f"{what}: ok in {time.monotonic() - started:.1f}s")
    return output


def write_json(path: Path, data) -> None:
    """Write atomically (the .tmp name is gitignored) so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    tmp.replace(path)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def machine_info() -> dict:
    """Call before any work, so the load average reflects what ran before the benchmark."""
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "wrk": _first_line(["wrk", "-v"]),
    }


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            return next(
                (
                    line.split(":", 1)[1].strip()
                    for line in cpuinfo
                    if line.startswith("model name")
                ),
                platform.processor(),
            )
    except OSError:
        return platform.processor()


def _first_line(args: list[str]) -> str:
    try:
        out = subprocess.run(args, capture_output=True, text=True, timeout=10)
    except OSError:
        return "unavailable"
    return (out.stdout + out.stderr).strip().splitlines()[0] if (out.stdout + out.stderr) else ""


# --------------------------------------------------------------------------- databases


def prepare_sqlite(workdir: Path) -> str:
    """A new file in the run's temp dir: nothing to drop, nothing shared."""
    return f"sqlite:///{workdir / 'bench.sqlite3'}"


def prepare_postgres(workdir: Path | None = None, *, name: str = POSTGRES_DB) -> str:
    """(Re)create database `name` and return a URL the app can log in with."""
    import psycopg

    failures = []
    for kind, dsn in POSTGRES_ADMIN_DSNS:
        try:
            conn = psycopg.connect(dsn, autocommit=True, connect_timeout=5)
        except psycopg.OperationalError as exc:
            failures.append(f"{kind}: {str(exc).strip()}")
            continue
        with conn:
            # FORCE: a gunicorn left over from an aborted run must not block the drop.
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {name}")
            version = conn.execute("SHOW server_version").fetchone()[0]
        log(f"postgres {version}: created {name} via {kind}")
        return POSTGRES_APP_URLS[kind].replace(f"/{POSTGRES_DB}", f"/{name}")
    raise HarnessError("cannot log in to PostgreSQL as postgres:\n  " + "\n  ".join(failures))


DATABASES = {"sqlite": prepare_sqlite, "postgres": prepare_postgres}


# Throwaway values for every secret production.py demands (it has no defaults on
# purpose). Scenarios that sign requests (checkout API, Stripe webhooks) use these.
BENCH_SECRETS = {
    "DJANGO_SECRET_KEY": "bench-secret",
    "CHECKOUT_API_KEY": "bench-operator-api-key",
    "STRIPE_WEBHOOK_SECRET": "whsec_bench",
    "METRICS_TOKEN": "bench-metrics-bearer-token",
}


def app_env(database_url: str) -> dict[str, str]:
    """Production settings with throwaway secrets, plain HTTP, persistent DB connections.

    Payments go through the local gateway (no Stripe key), declared as a demo in which no money
    moves, the only way production settings accept it; webhooks are verified the same way with
    either gateway.
    """
    env = {k: v for k, v in os.environ.items() if k != "STRIPE_SECRET_KEY"}
    env.update(
        BENCH_SECRETS,
        DJANGO_SETTINGS_MODULE="smplat.settings.production",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DATABASE_CONN_MAX_AGE="600",
        DATABASE_URL=database_url,
        PAYMENT_GATEWAY="local",
        DEMO_SIMULATED_PAYMENTS_NO_MONEY_MOVES="true",
        PYTHONUNBUFFERED="1",
    )
    return env


def prepare_app(env: dict[str, str], products: int, workdir: Path | None = None) -> None:
    """Schema, demo data, bulk products and static files, as a deploy would; with `workdir`,
    also the varied-traffic requests for this catalog there (bench/varied_traffic.py)."""
    run_checked([PYTHON, "manage.py", "migrate", "--noinput"], env=env, what="migrate")
    run_checked([PYTHON, "manage.py", "seed_demo"], env=env, what="seed_demo")
    out = run_checked(
        [PYTHON, str(BENCH_DIR / "load_products.py"), "--total", str(products)],
        env=env,
        what="load_products",
    )
    log(out.strip().splitlines()[-1])
    if workdir is not None:
        out = run_checked(
            [PYTHON, str(BENCH_DIR / "varied_traffic.py"), "--out", str(workdir)],
            env=env,
            what="varied_traffic",
        )
        log("; ".join(out.strip().splitlines()[-2:]))
    # Production serves static files through whitenoise's manifest storage, which
    # fails on any page referencing a file missing from the manifest.
    run_checked([PYTHON, "manage.py", "collectstatic", "--noinput"], env=env, what="collectstatic")


# --------------------------------------------------------------------------- gunicorn


class Server:
    """gunicorn serving the app on a free port; a context manager that always stops it.

    Its stdout and stderr (gunicorn's log plus Django's, which logs 500s with their
    tracebacks) go to one file, so errors seen under load can be quoted afterwards.
    """

    def __init__(self, env: dict[str, str], log_path: Path, workers: int = 2):
        self.env = env
        self.log_path = log_path
        self.workers = workers
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        args = [
            PYTHON,
            "-m",
            "gunicorn",
            "smplat.wsgi:application",
            "-w",
            str(self.workers),
            "-b",
            f"127.0.0.1:{self.port}",
        ]
        with open(self.log_path, "ab") as log_file:
            # Own session: a Ctrl-C in the terminal reaches us, and we stop gunicorn
            # in order, instead of the signal racing into its master and workers.
            self.proc = subprocess.Popen(
                args,
                cwd=PROJECT_ROOT,
                env=self.env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            self._wait_healthy()
        except BaseException:
            self.stop()
            raise
        log(f"gunicorn pid {self.proc.pid} ({self.workers} workers) on {self.base_url}")
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise HarnessError(
                    f"gunicorn exited with {self.proc.returncode}:\n{self.log_tail()}"
                )
            status, _ = request(self.base_url, Scenario("healthz", "/healthz"))
            if status == 200:
                return
            time.sleep(0.25)
        raise HarnessError(f"/healthz did not answer 200 within {timeout}s:\n{self.log_tail()}")

    def stop(self) -> None:
        """SIGTERM to the master we started (it stops its workers); SIGKILL if it hangs."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            log(f"gunicorn pid {self.proc.pid} ignored SIGTERM for 30s; killing it")
            self.proc.kill()
            self.proc.wait(timeout=10)

    def log_size(self) -> int:
        return self.log_path.stat().st_size

    def log_since(self, offset: int, max_lines: int = 40) -> list[str]:
        """The first log lines written after `offset`, repeats folded into "(×N)", without
        the app's INFO lines (django-q logs every task it enqueues)."""
        with open(self.log_path, "rb") as f:
            f.seek(offset)
            text = f.read().decode(errors="replace")
        lines = [line for line in text.splitlines() if not _APP_INFO.match(line)]
        return fold_repeats(lines)[:max_lines]

    def log_tail(self, lines: int = 30) -> str:
        text = self.log_path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])


# The app's log format (settings LOGGING): "2026-01-01 12:00:00,123 INFO name message".
_APP_INFO = re.compile(r"^\d{4}-\d\d-\d\d [\d:,]+ INFO ")
# Django's "2026-01-01 12:00:00,123 " and gunicorn's "[2026-01-01 12:00:00 +0000] ".
_TIMESTAMP = re.compile(r"^\[?\d{4}-\d\d-\d\d[ T][\d:.,]+(?: [+-]\d{4}\])?\s*")


def fold_repeats(lines: list[str]) -> list[str]:
    """Under load the same warning repeats thousands of times; keep one of each run."""
    folded: list[str] = []
    previous, count = None, 0
    for line in [*lines, None]:
        key = None if line is None else _TIMESTAMP.sub("", line)
        if key == previous and line is not None:
            count += 1
            continue
        if count > 1:
            folded[-1] += f"  (×{count})"
        if line is not None:
            folded.append(line)
        previous, count = key, 1
    return folded


def request(base_url: str, scenario: Scenario, timeout: float = 10) -> tuple[int, bytes]:
    """One request, no redirect following: (status, body), or (0, error text) if refused."""
    host, port = base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.request(scenario.method, scenario.path, body=scenario.body, headers=scenario.headers)
        response = conn.getresponse()
        return response.status, response.read()
    except OSError as exc:
        return 0, str(exc).encode()
    finally:
        conn.close()


# --------------------------------------------------------------------------- CPU noise

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _machine_busy_ticks() -> int:
    """CPU time spent running processes, all cores together, from /proc/stat.

    user + nice + system + steal. Interrupt time is left out: it is mostly the
    loopback traffic between wrk and gunicorn, which no process is charged for.
    """
    with open("/proc/stat") as f:
        user, nice, system, _idle, _iowait, _irq, _softirq, steal = (
            int(v) for v in f.readline().split()[1:9]
        )
    return user + nice + system + steal


def postgres_reaped_ticks() -> int:
    """CPU time of PostgreSQL processes that have ended, which the server's postmaster was
    charged with when it reaped them. The parallel workers a large query starts live only for
    that query, so no sampling of running processes sees them; while a benchmark runs, its own
    backends are the ones starting them, so this counts as the benchmark's."""
    comms, parents, reaped = {}, {}, {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                head, tail = f.read().rsplit(b")", 1)
        except OSError:  # the process ended while we looked
            continue
        fields = tail.split()
        pid = int(entry.name)
        comms[pid], parents[pid] = head.split(b"(", 1)[1], int(fields[1])
        reaped[pid] = int(fields[13]) + int(fields[14])  # cutime + cstime
    return sum(
        ticks
        for pid, ticks in reaped.items()
        if comms[pid] == b"postgres" and comms.get(parents[pid]) != b"postgres"
    )


def _is_ours(pid: int, ppid: int, cmdline: bytes, server_pid: int) -> bool:
    """gunicorn's master and workers, and PostgreSQL backends serving the bench database."""
    if pid == server_pid or ppid == server_pid:
        return True
    return cmdline.startswith(b"postgres: ") and f" {POSTGRES_DB} ".encode() in cmdline


def _ours_ticks(server_pid: int) -> int:
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                # The command name may contain spaces: fields start after its ')'.
                fields = f.read().rsplit(b")", 1)[1].split()
            with open(f"/proc/{entry.name}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ")
        except OSError:  # the process ended while we looked
            continue
        if _is_ours(int(entry.name), int(fields[1]), cmdline, server_pid):
            total += int(fields[11]) + int(fields[12])  # utime + stime
    return total


class CpuMeter:
    """How much CPU the machine spent on anything but this benchmark during a block.

    wrk and gunicorn compete with every other process for the same cores, so a
    test suite running alongside quietly halves the numbers. Measuring that
    foreign load tells a slow result from a noisy one. Needs Linux's /proc.
    """

    def __init__(self, server_pid: int):
        self.server_pid = server_pid
        self.result: dict = {}

    def __enter__(self) -> CpuMeter:
        self._start = (
            time.monotonic(),
            _machine_busy_ticks(),
            _ours_ticks(self.server_pid),
            _children_ticks(),
            postgres_reaped_ticks(),
        )
        return self

    def __exit__(self, *exc_info) -> None:
        now = (
            time.monotonic(),
            _machine_busy_ticks(),
            _ours_ticks(self.server_pid),
            _children_ticks(),
            postgres_reaped_ticks(),
        )
        elapsed, busy, server, children, reaped = (
            b - a for a, b in zip(self._start, now, strict=True)
        )
        # wrk is a waited-for child, so its CPU shows in our children's rusage.
        ours = server + children + reaped

        def pct(ticks):
            return round(100 * ticks / CLOCK_TICKS / elapsed, 1)

        self.result = {"bench_pct": pct(ours), "other_pct": max(0.0, pct(busy - ours))}


def _children_ticks() -> int:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return round((usage.ru_utime + usage.ru_stime) * CLOCK_TICKS)


# --------------------------------------------------------------------------- wrk


def require_wrk() -> None:
    if shutil.which("wrk") is None:
        raise HarnessError("wrk is not installed: apt-get install -y wrk")


def run_wrk(
    base_url: str, scenario: Scenario, *, duration: int, connections: int, threads: int = 2
) -> dict:
    """Drive one scenario; return report.lua's summary (latencies in ms)."""
    env = dict(os.environ, **scenario.env, BENCH_METHOD=scenario.method)
    env["BENCH_HEADERS"] = "\n".join(f"{k}: {v}" for k, v in scenario.headers.items())
    body_file = None
    if scenario.body is not None:
        body_file = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-body-{os.getpid()}"
        body_file.write_bytes(scenario.body)
        env["BENCH_BODY_FILE"] = str(body_file)
    args = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        "--latency",
        "-s",
        str(scenario.script),
        base_url + scenario.path,
    ]
    try:
        proc = subprocess.run(
            args, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=duration + 60
        )
    finally:
        if body_file is not None:
            body_file.unlink(missing_ok=True)
    summary = replay = None
    summary_extra: dict = {}
    for line in proc.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            summary = json.loads(line.removeprefix("BENCH_JSON "))
        elif line.startswith("BENCH_REPLAY "):  # replay.lua: what each thread sent
            replay = json.loads(line.removeprefix("BENCH_REPLAY "))
        elif line.startswith("BENCH_VARIED "):  # varied.lua: how many distinct paths
            summary_extra["varied"] = json.loads(line.removeprefix("BENCH_VARIED "))
    if summary is None:
        raise HarnessError(
            f"wrk gave no summary for {scenario.name} (exit {proc.returncode}):\n"
            f"{proc.stdout}\n{proc.stderr}"
        )
    summary.update(summary_extra)
    if replay is not None:
        summary["replay"] = replay
        summary["unexpected"] = sum(thread["unexpected"] for thread in replay)
    return summary


def error_count(result: dict) -> int:
    """Responses outside 2xx/3xx (or not the expected answer, for replayed requests) plus
    connections wrk could not complete."""
    return (
        result["non_2xx_3xx"] + result.get("unexpected", 0) + sum(result["socket_errors"].values())
    )


def run_per_database(script: str, name: str, dbs, argv, report) -> int:
    """Run `script` once per database (`--db <one>`, its other arguments kept), each writing
    bench/results/<name>-<db>.json; then `report(runs)` over all of them. Non-zero when a run
    failed."""
    passed, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--db":
            skip = True
        elif not arg.startswith("--db="):
            passed.append(arg)
    runs, failed = [], []
    for db in dbs:
        proc = subprocess.run([PYTHON, script, *passed, "--db", db], check=False)
        path = BENCH_DIR / "results" / f"{name}-{db}.json"
        if proc.returncode or not path.exists():
            failed.append(db)
        else:
            runs.append(json.loads(path.read_text()))
    if runs:
        report(runs)
    if failed:
        print(f"Harness failed for: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0
