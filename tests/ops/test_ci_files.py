"""The CI scripts and the hosted CI files run commands that exist, and the post-deploy jobs
run both smoke checks against the deployment with the key from the CI's secret store."""

import re
from pathlib import Path

import pytest
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parents[2]
GITHUB = ROOT / ".github/workflows/ci.yml"
GITLAB = ROOT / ".gitlab-ci.yml"
SCRIPTS = [ROOT / ".ci/run", ROOT / ".ci/smoke", GITHUB, GITLAB]
SMOKE_CHECKS = ("smoke_checkout", "smoke_fulfillment")


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_every_management_command_named_exists(path):
    named = set(re.findall(r"manage\.py\s+([a-z_]+)", path.read_text()))
    assert named, f"{path.name} runs no management command"
    assert named <= set(get_commands()), named - set(get_commands())


def test_ci_runs_the_smoke_checks_in_process_and_against_gunicorn():
    assert "bash .ci/smoke" in (ROOT / ".ci/run").read_text()
    smoke = (ROOT / ".ci/smoke").read_text()
    for command in SMOKE_CHECKS:
        assert f"manage.py {command} --in-process" in smoke
        assert f'manage.py {command} --base-url "$base" --api-key' in smoke
    assert "gunicorn" in smoke and "seed_demo" in smoke


@pytest.mark.parametrize("path", [GITHUB, GITLAB], ids=lambda p: p.name)
def test_hosted_ci_runs_ci_run_and_smoke_checks_the_deployment(path):
    text = path.read_text()
    assert "\t" not in text  # YAML forbids tabs for indentation
    assert "bash .ci/run" in text
    for command in SMOKE_CHECKS:
        assert f'manage.py {command} --base-url "$SMPLAT_URL"' in text


def test_github_takes_the_url_and_key_from_the_environment():
    text = GITHUB.read_text()
    assert "SMPLAT_API_KEY: ${{ secrets.SMPLAT_API_KEY }}" in text
    assert "vars.SMPLAT_URL" in text
    assert "workflow_dispatch:" in text and "deployment_status:" in text


def test_the_files_parse_as_yaml_with_the_jobs_described_in_docs():
    yaml = pytest.importorskip("yaml")
    github = yaml.safe_load(GITHUB.read_text())
    assert set(github["jobs"]) == {"test", "post-deploy"}
    gitlab = yaml.safe_load(GITLAB.read_text())
    assert gitlab["stages"] == ["test", "post-deploy"]
    assert {"test", "post-deploy-smoke"} <= set(gitlab)
