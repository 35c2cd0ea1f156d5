"""The monitoring files in docs/operations/: Prometheus rules and their unit tests, the
Alertmanager routing, the Grafana dashboard and the runbook agree with each other and with the
metric names SMPLAT exposes."""

import json
import re
import shutil
import string
import subprocess
from pathlib import Path

import pytest

OPS = Path(__file__).resolve().parents[2] / "docs" / "operations"
RULES = OPS / "prometheus" / "alerts.yml"
RULE_TESTS = OPS / "prometheus" / "alerts_test.yml"
ALERTMANAGER = OPS / "alertmanager.yml.tmpl"
DASHBOARD = OPS / "grafana" / "smplat.json"
RUNBOOK = OPS / "runbook.md"

# The business metric families of /metrics (gauges without, counters with `_total`).
KNOWN_METRICS = {
    "smplat_orders",
    "smplat_checkout_sessions",
    "smplat_checkout_sessions_created_total",
    "smplat_checkout_sessions_completed_total",
    "smplat_payments_total",
    "smplat_payments_amount_total",
    "smplat_refunds_total",
    "smplat_refunds_amount_total",
    "smplat_webhook_deliveries_total",
    "smplat_fulfillment_tasks",
    "smplat_fulfillment_oldest_due_task_age_seconds",
    "smplat_fulfillment_dead_letters",
    "smplat_processor_loop_errors_total",
    "smplat_email_outbox",
    "smplat_email_outbox_oldest_due_age_seconds",
    "smplat_chat_messages",
    "smplat_catalog_searches_total",
    "smplat_catalog_zero_result_searches_total",
}
METRIC_NAME = re.compile(r"\bsmplat_[a-z0-9_]+")

ALERTMANAGER_ENV = {
    "SMPLAT_ALERT_PAGER_WEBHOOK_URL": "https://pager.example.com/hook",
    "SMPLAT_ALERT_CHAT_WEBHOOK_URL": "https://chat.example.com/hook",
    "SMPLAT_ALERT_EMAIL_TO": "ops@example.com",
    "SMPLAT_ALERT_EMAIL_FROM": "alerts@example.com",
    "SMPLAT_ALERT_SMTP_SMARTHOST": "smtp.example.com:587",
    "SMPLAT_ALERT_SMTP_USERNAME": "alerts",
    "SMPLAT_ALERT_SMTP_PASSWORD": "not-a-real-password",
}


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(
            f"{name} is not installed (.ci/run installs Debian's prometheus and "
            "prometheus-alertmanager packages)"
        )
    return path


def run(*args, cwd=None) -> subprocess.CompletedProcess:
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def alerts() -> list[dict]:
    """Each alert rule's name, severity and runbook_url, read from the rule file's text."""
    found = []
    for chunk in RULES.read_text().split("- alert: ")[1:]:
        annotations = re.search(r"annotations:\n((?: {10,}.*(?:\n|$))+)", chunk).group(1)
        found.append(
            {
                "name": chunk.split("\n", 1)[0].strip(),
                "severity": re.search(r"severity: (\w+)", chunk).group(1),
                "annotations": set(re.findall(r"^ {10}(\w+):", annotations, re.MULTILINE)),
                "runbook_url": re.search(r"runbook_url: (\S+)", chunk).group(1),
            }
        )
    return found


def dashboard_exprs() -> list[str]:
    board = json.loads(DASHBOARD.read_text())
    return [t["expr"] for p in board["panels"] for t in p.get("targets", [])]


def slug(heading: str) -> str:
    return re.sub(r"[^a-z0-9 -]", "", heading.strip().lower()).replace(" ", "-")


def test_promtool_accepts_the_rules_and_their_unit_tests_pass():
    promtool = tool("promtool")
    run(promtool, "check", "rules", str(RULES))
    result = run(promtool, "test", "rules", RULE_TESTS.name, cwd=RULE_TESTS.parent)
    assert "SUCCESS" in result.stdout


def test_every_alert_has_a_severity_the_annotations_and_a_runbook_entry():
    headings = {
        slug(line[3:]) for line in RUNBOOK.read_text().splitlines() if line.startswith("## ")
    }
    names = set()
    for alert in alerts():
        names.add(alert["name"])
        assert alert["severity"] in {"critical", "warning"}, alert
        assert alert["annotations"] == {"summary", "description", "runbook_url"}, alert
        assert alert["runbook_url"].endswith(f"docs/operations/runbook.md#{alert['name'].lower()}")
        assert alert["name"].lower() in headings, f"no runbook entry for {alert['name']}"
    assert headings == {name.lower() for name in names}, "a runbook entry without its alert"
    assert "(operations/runbook.md)" in (OPS.parent / "operations.md").read_text()
    assert len(names) >= 9


def test_every_alert_is_unit_tested_firing_and_silent():
    tests = RULE_TESTS.read_text()
    for name in {a["name"] for a in alerts()}:
        checks = re.findall(rf"alertname: {name}\b(.*?)(?=\n\s*- |\Z)", tests, re.DOTALL)
        assert any("exp_alerts" in c for c in checks), f"{name} is never shown firing"
        assert any("exp_alerts" not in c for c in checks), f"{name} is never shown silent"


def test_rules_use_only_our_metrics_combined_with_max_across_instances():
    text = RULES.read_text()
    assert set(METRIC_NAME.findall(text)) <= KNOWN_METRICS
    assert not re.search(r"\bsum\s*(by\s*\([^)]*\)\s*)?\(", text), "sum across instances"


def test_alertmanager_routes_critical_to_the_pager_and_warnings_to_chat_and_email(tmp_path):
    amtool = tool("amtool")
    template = ALERTMANAGER.read_text()
    assert set(re.findall(r"\$\{(\w+)\}", template)) == set(ALERTMANAGER_ENV)
    config = tmp_path / "alertmanager.yml"
    config.write_text(string.Template(template).substitute(ALERTMANAGER_ENV))
    run(amtool, "check-config", str(config))

    def receiver(*labels):
        return run(
            amtool, "config", "routes", "test", f"--config.file={config}", *labels
        ).stdout.strip()

    assert receiver("alertname=SmplatDown", "severity=critical") == "pager"
    assert receiver("alertname=SmplatEmailOutboxBacklog", "severity=warning") == "chat-and-email"
    rendered = config.read_text()
    for value in ALERTMANAGER_ENV.values():
        assert value in rendered


def test_the_dashboard_is_importable_and_uses_only_our_metrics_with_max(tmp_path):
    board = json.loads(DASHBOARD.read_text())
    assert [i["name"] for i in board["__inputs"]] == ["DS_PROMETHEUS"]
    assert board["uid"] and board["id"] is None
    for panel in board["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == "${DS_PROMETHEUS}", panel["title"]
            assert panel["targets"], panel["title"]
    exprs = dashboard_exprs()
    used = set()
    for expr in exprs:
        names = set(METRIC_NAME.findall(expr))
        assert names <= KNOWN_METRICS, (expr, names - KNOWN_METRICS)
        assert "max" in expr or expr.startswith("count(up"), expr
        assert not re.search(r"\bsum\b", expr), expr
        used |= names
    # Every business family has a panel.
    assert used >= KNOWN_METRICS


def test_promtool_parses_every_dashboard_query(tmp_path):
    promtool = tool("promtool")
    rules = tmp_path / "dashboard_rules.json"
    exprs = [e.replace("$__rate_interval", "5m") for e in dashboard_exprs()]
    # A rule file is YAML, and JSON is YAML: promtool checks each query's syntax.
    rules.write_text(
        json.dumps(
            {
                "groups": [
                    {
                        "name": "dashboard",
                        "rules": [
                            {"record": f"smplat:dashboard_query_{n}", "expr": e}
                            for n, e in enumerate(exprs)
                        ],
                    }
                ]
            }
        )
    )
    run(promtool, "check", "rules", str(rules))


@pytest.mark.django_db
def test_every_metric_the_rules_and_dashboard_use_is_served_on_metrics(client):
    exposition = client.get("/metrics").content.decode()
    served = {
        line.split()[2] for line in exposition.splitlines() if line.startswith("# TYPE smplat_")
    }
    # A counter family `x_total` is announced as `# TYPE x counter`.
    served |= {f"{name}_total" for name in served}
    used = set(METRIC_NAME.findall(RULES.read_text())) | {
        name for expr in dashboard_exprs() for name in METRIC_NAME.findall(expr)
    }
    assert used and used - served == set()  # recording rules' names (smplat:…) are not matched
