"""`smoke_checkout` and `smoke_fulfillment`: in process they buy, pay and fulfil a service of
their own and keep nothing; against a deployment they fail with a one-line reason when it is
broken."""

import io
import os
import subprocess
import sys

import pytest
from django.apps import apps
from django.conf import settings
from django.core import mail
from django.core.cache import caches
from django.core.management import CommandError, call_command
from django.db import connection

from backoffice.smoke import SMOKE_EMAIL
from checkout.models import CheckoutSession
from fulfillment.processor import process_due
from orders.models import Order
from tests.catalog.factories import configurable_product
from tests.gunicorn_server import ROOT, free_port, two_workers

from .fake_site import FakeSite

KEY = "operator-key-for-smoke-tests"


def run(command: str, *args: str) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def everything_stored() -> dict:
    """Rows per table, keys per in-memory cache and files under MEDIA_ROOT."""
    tables = {
        model._meta.db_table: model._base_manager.count()
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy
    }
    cached = {alias: sorted(getattr(caches[alias], "_cache", {})) for alias in settings.CACHES}
    media = (
        sorted(str(p) for p in settings.MEDIA_ROOT.rglob("*"))
        if settings.MEDIA_ROOT.exists()
        else []
    )
    return {"tables": tables, "caches": cached, "media": media}


IN_PROCESS_STEPS = {
    "smoke_checkout": ["pay (signed webhook)", "the order is paid", "payment observability"],
    "smoke_fulfillment": [
        "pay (signed webhook)",
        "processor runs the tasks to completion",
        "fulfillment health",
        "order progress",
    ],
}


@pytest.mark.django_db(transaction=True)  # the command's transaction is the outermost one
@pytest.mark.parametrize("command", IN_PROCESS_STEPS)
def test_in_process_passes_and_keeps_nothing(command):
    caches["default"].set("someone-else", 1)
    before = everything_stored()
    output = run(command, "--in-process")
    assert f"{command} passed" in output
    for step in IN_PROCESS_STEPS[command]:
        assert f"  ok   {step} (" in output
    assert everything_stored() == before
    assert mail.outbox == []


BROKEN = {
    "everything answers 500": (
        {"/healthz": (500, "<h1>Server Error</h1>")},
        "health check: GET /healthz answered 500, body starts '<h1>Server Error</h1>'",
    ),
    "operator endpoint answers garbage": (
        {"/healthz": (200, "ok"), "/api/v1/payments/observability": (200, "<html>login</html>")},
        "answered 200 with something that is not JSON: '<html>login</html>'",
    ),
    "wrong key": (
        {
            "/healthz": (200, "ok"),
            "/api/v1/payments/observability": (
                403,
                '{"error": {"code": "api_key_invalid", "message": "The API key is not valid."}}',
            ),
        },
        "the API key was refused (api_key_invalid: The API key is not valid.)",
    ),
}


@pytest.mark.parametrize("case", BROKEN, ids=list(BROKEN))
def test_a_broken_deployment_fails_with_the_reason(case):
    routes, reason = BROKEN[case]
    with FakeSite(routes) as site, pytest.raises(CommandError) as failed:
        run("smoke_checkout", "--base-url", site.url, "--api-key", KEY)
    assert str(failed.value).startswith("smoke_checkout failed: ")
    assert reason in str(failed.value)
    assert "\n" not in str(failed.value)


def test_an_unhealthy_processor_is_named():
    health = '{"status": "unhealthy", "reasons": ["the processor has never run"], "metrics": {}}'
    routes = {"/healthz": (200, "ok"), "/api/v1/fulfillment/health": (503, health)}
    with FakeSite(routes) as site, pytest.raises(CommandError, match="the processor has never run"):
        run("smoke_fulfillment", "--base-url", site.url, "--api-key", KEY)


def test_a_deployment_that_does_not_answer_in_time():
    late = FakeSite({"/healthz": (200, "ok")}, delay=2)
    with late as site, pytest.raises(CommandError, match=r"GET /healthz: no answer within 0.3 s"):
        run("smoke_fulfillment", "--base-url", site.url, "--api-key", KEY, "--timeout", "0.3")


def test_nothing_listening():
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(CommandError, match="Connection refused"):
        run("smoke_checkout", "--base-url", url, "--api-key", KEY)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "one of the arguments --in-process --base-url is required"),
        (["--in-process", "--base-url", "http://x"], "not allowed with argument"),
        (["--base-url", "ftp://files.example"], "'ftp://files.example' is not an http(s) URL"),
        (["--base-url", "http://127.0.0.1:9", "--api-key", KEY, "--timeout", "0"], "--timeout"),
    ],
)
def test_bad_arguments_are_refused_clearly(args, message, monkeypatch):
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run("smoke_checkout", *args, *([] if "--api-key" in args else ["--api-key", KEY]))


def test_a_missing_key_is_refused(monkeypatch):
    monkeypatch.delenv("SMPLAT_API_KEY", raising=False)
    with pytest.raises(CommandError, match="--base-url needs --api-key"):
        call_command("smoke_checkout", "--base-url", "http://127.0.0.1:9", "--api-key", "")


def test_the_command_line_exits_non_zero_with_one_line():
    with FakeSite({"/healthz": (502, "Bad Gateway")}) as site:
        done = subprocess.run(
            [sys.executable, "manage.py", "smoke_fulfillment", "--base-url", site.url],
            cwd=ROOT,
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "smplat.settings.test",
                "SMPLAT_API_KEY": KEY,
            },
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "CommandError: smoke_fulfillment failed: health check: GET /healthz answered 502, "
        "body starts 'Bad Gateway'"
    ]
    assert "  FAIL health check (" in done.stdout


@pytest.fixture
def deployment(tmp_path):
    """A real gunicorn on the test database with a product to buy."""
    configurable_product(
        slug="insta", title="Insta Boost", base_amount=10_000, platform="instagram"
    )
    with two_workers(tmp_path, env={"CHECKOUT_API_KEY": KEY}, args=["-w", "2"]) as (base, _):
        yield base


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs a database shared with gunicorn"
)
def test_against_a_running_gunicorn(deployment):
    output = run("smoke_checkout", "--base-url", deployment, "--api-key", KEY)
    assert "smoke_checkout passed" in output and "  ok   hosted payment page (" in output
    session = CheckoutSession.objects.get()
    assert session.status == "expired"  # nothing left open
    assert Order.objects.get().status == "pending" and Order.objects.get().email == SMOKE_EMAIL

    with pytest.raises(CommandError, match="the processor has never run"):
        run("smoke_fulfillment", "--base-url", deployment, "--api-key", KEY)
    process_due(worker="test")
    output = run("smoke_fulfillment", "--base-url", deployment, "--api-key", KEY)
    assert "  ok   order progress endpoint (" in output
    output = run(
        "smoke_fulfillment",
        "--base-url",
        deployment,
        "--api-key",
        KEY,
        "--order",
        Order.objects.get().number,
    )
    assert "  ok   order progress (" in output

    with pytest.raises(CommandError, match="the API key was refused"):
        run("smoke_checkout", "--base-url", deployment, "--api-key", "not-the-key")
    assert Order.objects.count() == 1  # refused before anything was bought
