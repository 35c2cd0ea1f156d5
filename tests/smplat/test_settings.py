"""Start-up configuration, exercised in fresh processes with a clean environment.

Each case runs `manage.py …` (or a settings import) with only the variables it names, so the
test sees what a server process would see at start-up.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.mail.backends.smtp import EmailBackend

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "smplat.settings.production",
    "DJANGO_SECRET_KEY": "test-" + "k" * 60,
    "DJANGO_ALLOWED_HOSTS": "shop.example.com",
    "CHECKOUT_API_KEY": "test-checkout-key",
    "STRIPE_WEBHOOK_SECRET": "whsec_test",
    "METRICS_TOKEN": "test-metrics-bearer-token",
}
STRIPE_KEY = {"STRIPE_SECRET_KEY": "sk_test_dummy_key_for_the_check"}
DEMO = {"DEMO_SIMULATED_PAYMENTS_NO_MONEY_MOVES": "true"}


def run(*args, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def check_deploy(**env) -> subprocess.CompletedProcess:
    return run("manage.py", "check", "--deploy", "--fail-level", "WARNING", **env)


def setting(name, **env) -> str:
    """The value `name` has in a process started with `env`."""
    done = run("-c", f"from django.conf import settings; print(settings.{name})", **env)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


# Payments fail closed -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key", [None, "", "pk_live_publishable_not_secret"], ids=["unset", "empty", "publishable"]
)
def test_production_without_a_stripe_secret_key_refuses_to_start(key):
    env = {**PRODUCTION, **({} if key is None else {"STRIPE_SECRET_KEY": key})}
    done = check_deploy(**env)
    assert done.returncode != 0
    assert "ImproperlyConfigured: STRIPE_SECRET_KEY is missing" in done.stderr
    assert "DEMO_SIMULATED_PAYMENTS_NO_MONEY_MOVES=true" in done.stderr
    assert "System check identified" not in done.stdout


def test_production_with_a_stripe_key_passes_check_deploy_on_the_stripe_gateway():
    done = check_deploy(**PRODUCTION, **STRIPE_KEY)  # what CI runs
    assert done.returncode == 0, done.stderr
    assert "System check identified no issues" in done.stdout
    assert setting("PAYMENT_GATEWAY", **PRODUCTION, **STRIPE_KEY) == "stripe"


def test_production_refuses_the_simulated_gateway_without_the_demo_opt_in():
    done = check_deploy(**PRODUCTION, **STRIPE_KEY, PAYMENT_GATEWAY="local")
    assert done.returncode != 0
    assert "PAYMENT_GATEWAY=local in production needs DEMO_SIMULATED_PAYMENTS" in done.stderr


def test_a_demo_deployment_opts_in_to_the_simulated_gateway_loudly():
    done = check_deploy(**PRODUCTION, **DEMO)
    assert done.returncode == 0, done.stderr
    assert setting("PAYMENT_GATEWAY", **PRODUCTION, **DEMO) == "local"

    both = check_deploy(**PRODUCTION, **DEMO, **STRIPE_KEY)
    assert both.returncode != 0
    assert "are both set" in both.stderr


def test_development_needs_no_environment_and_uses_the_simulated_gateway():
    """`make run`: manage.py's default (dev) settings with nothing set."""
    done = run("manage.py", "check")
    assert done.returncode == 0, done.stderr
    assert setting("PAYMENT_GATEWAY", DJANGO_SETTINGS_MODULE="smplat.settings.dev") == "local"


def test_a_stray_env_file_is_read_only_when_asked():
    dot_env = ROOT / ".env"
    if dot_env.exists():
        pytest.skip("a real .env is present; not overwriting it")
    dot_env.write_text("DEMO_SIMULATED_PAYMENTS_NO_MONEY_MOVES=true\nEMAIL_TIMEOUT=3\n")
    try:
        ignored = check_deploy(**PRODUCTION)
        read = check_deploy(**PRODUCTION, DJANGO_READ_DOT_ENV_FILE="true")
        timeout = setting("EMAIL_TIMEOUT", **PRODUCTION, DJANGO_READ_DOT_ENV_FILE="true")
    finally:
        dot_env.unlink()
    assert ignored.returncode != 0, "a stray .env switched production to simulated payments"
    assert "STRIPE_SECRET_KEY is missing" in ignored.stderr
    assert read.returncode == 0, read.stderr
    assert timeout == "3.0"


# E-mail -----------------------------------------------------------------------------------------


def test_smtp_gives_up_after_ten_seconds_by_default():
    assert settings.EMAIL_TIMEOUT == 10
    assert EmailBackend().timeout == 10


def test_the_email_timeout_comes_from_the_environment():
    dev = {"DJANGO_SETTINGS_MODULE": "smplat.settings.dev"}
    assert setting("EMAIL_TIMEOUT", **dev) == "10.0"
    assert setting("EMAIL_TIMEOUT", **dev, EMAIL_TIMEOUT="2.5") == "2.5"
    assert setting("EMAIL_TIMEOUT", **PRODUCTION, **STRIPE_KEY, EMAIL_TIMEOUT="30") == "30.0"


@pytest.mark.parametrize("key", ["", "short-key"], ids=["empty", "short"])
def test_production_refuses_an_empty_or_short_operator_api_key(key):
    done = check_deploy(**{**PRODUCTION, "CHECKOUT_API_KEY": key})
    assert done.returncode != 0
    assert "CHECKOUT_API_KEY must be a secret of at least 16 characters" in done.stderr


@pytest.mark.parametrize(
    "secret", ["", "whsec_local_simulated_gateway"], ids=["empty", "development-default"]
)
def test_production_refuses_a_webhook_secret_anyone_could_sign_with(secret):
    """Either would let anyone sign an event that marks an order paid, demo or not."""
    for payments in (STRIPE_KEY, DEMO):
        done = check_deploy(**{**PRODUCTION, **payments, "STRIPE_WEBHOOK_SECRET": secret})
        assert done.returncode != 0
        assert "STRIPE_WEBHOOK_SECRET must be the endpoint's signing secret" in done.stderr


# /metrics is never open by default in production --------------------------------------------


@pytest.mark.parametrize("token", [None, "", "short"], ids=["unset", "empty", "short"])
def test_production_refuses_to_start_without_a_metrics_token(token):
    env = {k: v for k, v in PRODUCTION.items() if k != "METRICS_TOKEN"}
    done = check_deploy(**env, **STRIPE_KEY, **({} if token is None else {"METRICS_TOKEN": token}))
    assert done.returncode != 0
    assert "ImproperlyConfigured: METRICS_TOKEN must be a secret" in done.stderr


def test_production_serves_open_metrics_only_when_declared_internal():
    env = {k: v for k, v in PRODUCTION.items() if k != "METRICS_TOKEN"}
    done = check_deploy(**env, **STRIPE_KEY, METRICS_PUBLIC="true")
    assert done.returncode == 0, done.stderr
    assert setting("METRICS_TOKEN", **env, **STRIPE_KEY, METRICS_PUBLIC="true") == ""


# The operators' chat webhook is optional, and HTTPS when set ---------------------------------


def test_production_refuses_a_chat_webhook_that_is_not_https():
    done = check_deploy(
        **PRODUCTION, **STRIPE_KEY, OPS_CHAT_WEBHOOK_URL="http://chat.example.com/h"
    )
    assert done.returncode != 0
    assert "OPS_CHAT_WEBHOOK_URL must be an https:// address" in done.stderr


def test_production_starts_without_a_chat_webhook_or_with_an_https_one():
    assert check_deploy(**PRODUCTION, **STRIPE_KEY).returncode == 0
    url = "https://hooks.slack.com/services/T0/B0/x"
    done = check_deploy(**PRODUCTION, **STRIPE_KEY, OPS_CHAT_WEBHOOK_URL=url)
    assert done.returncode == 0, done.stderr
    assert (
        setting("OPS_CHAT_WEBHOOK_URL", **PRODUCTION, **STRIPE_KEY, OPS_CHAT_WEBHOOK_URL=url) == url
    )
