"""Staged rollout: flags per account, per group, per percentage (stable per account in every
process), staff always; the view decorator and the template check agree."""

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from django.db import connection
from django.http import Http404, HttpResponse
from django.template import Context, Template
from django.test import RequestFactory
from waffle.testutils import override_flag

from core.flags import BILLING_CENTRE, flag_active, flag_enable, flag_required
from core.models import Flag, rollout_bucket
from tests.checkout.factories import user

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = Template(
    '{% load flags %}{% flag_active "billing_centre" as on %}'
    '{% if on %}<a href="/dashboard/billing/">Billing</a>{% endif %}'
)


@flag_required(BILLING_CENTRE)
def billing_page(request):
    return HttpResponse("Invoices")


def request_as(account):
    request = RequestFactory().get("/dashboard/billing/")
    request.user = account
    return request


def page_for(account) -> tuple[int, bool]:
    """(status of the flagged page, whether a page shows its link) for this account."""
    try:
        status = billing_page(request_as(account)).status_code
    except Http404:
        status = 404
    link = "/dashboard/billing/" in TEMPLATE.render(Context({"request": request_as(account)}))
    return status, link


def test_a_flag_that_is_off_or_missing_hides_the_page_and_its_link():
    client = user("client")
    assert page_for(client) == (404, False)  # no flag row at all
    with override_flag(BILLING_CENTRE, active=False):
        assert page_for(client) == (404, False)
        assert page_for(AnonymousUser()) == (404, False)


def test_on_for_everyone_shows_the_page_and_its_link():
    with override_flag(BILLING_CENTRE, active=True):
        assert page_for(user("client")) == (200, True)


def test_on_for_one_account_only():
    alice, bob = user("alice"), user("bob")
    flag_enable(name=BILLING_CENTRE, users=[alice])
    assert page_for(alice) == (200, True)
    assert page_for(bob) == (404, False)


def test_on_for_a_group():
    beta = Group.objects.create(name="Beta clients")
    member, other = user("member"), user("other")
    member.groups.add(beta)
    flag_enable(name=BILLING_CENTRE, groups=(beta,))
    assert page_for(member) == (200, True)
    assert page_for(other) == (404, False)


def test_staff_always_see_flagged_sections_whatever_the_flag_says():
    staff = user("ops", is_staff=True)
    assert page_for(staff) == (200, True)  # no flag row
    with override_flag(BILLING_CENTRE, active=False):
        assert page_for(staff) == (200, True)


def test_a_percentage_picks_accounts_by_account_not_by_request_or_cookie():
    flag_enable(name=BILLING_CENTRE, percent=Decimal("30.0"))
    accounts = [user(f"client{i}") for i in range(200)]
    first = [page_for(account)[0] == 200 for account in accounts]
    # Another "device": a fresh request with its own cookies gets the same answer.
    again = []
    for account in accounts:
        request = request_as(account)
        request.COOKIES["dwf_billing_centre"] = "True"  # waffle's cookie is never read
        again.append(flag_active(request, BILLING_CENTRE))
    assert first == again
    assert 40 <= sum(first) <= 80  # about 30 % of 200
    assert page_for(AnonymousUser()) == (404, False)  # visitors are in no percentage


def test_raising_the_percentage_keeps_everyone_already_in():
    accounts = [user(f"client{i}") for i in range(100)]
    flag_enable(name=BILLING_CENTRE, percent=Decimal("20.0"))
    at_20 = {a.pk for a in accounts if flag_active(request_as(a), BILLING_CENTRE)}
    flag_enable(name=BILLING_CENTRE, percent=Decimal("60.0"))
    at_60 = {a.pk for a in accounts if flag_active(request_as(a), BILLING_CENTRE)}
    assert at_20 < at_60


def test_a_flag_edit_applies_at_the_next_request():
    client = user("client")
    flag_enable(name=BILLING_CENTRE, users=[client])
    assert page_for(client) == (200, True)
    Flag.objects.get(name=BILLING_CENTRE).users.remove(client)
    assert page_for(client) == (404, False)


def test_staff_switch_flags_in_the_admin(client):
    admin = user("admin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    alice = user("alice")
    response = client.post(
        "/admin/core/flag/add/",
        {
            "name": BILLING_CENTRE,
            "users": str(alice.pk),
            "superusers": "on",
            "note": "Billing centre",
            "created_0": "2026-12-01",
            "created_1": "10:00:00",
            "modified_0": "2026-12-01",
            "modified_1": "10:00:00",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    assert page_for(alice) == (200, True)
    assert client.get("/admin/core/flag/").status_code == 200


def _answers_in_a_new_process(ids, *, hash_seed: str, db_url: str = "") -> list[bool]:
    """Each account's answer for the flag, computed by a separate `manage.py shell`."""
    code = (
        "from django.contrib.auth import get_user_model;"
        "from django.test import RequestFactory;"
        "from core.flags import flag_active;"
        "r = lambda u: (setattr(rq := RequestFactory().get('/'), 'user', u), rq)[1];"
        f"users = get_user_model().objects.in_bulk({list(ids)!r});"
        f"print(''.join('1' if flag_active(r(users[i]), 'billing_centre') else '0' for i in {list(ids)!r}))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "smplat.settings.test",
        "PYTHONHASHSEED": hash_seed,
        "DATABASE_URL": db_url,
    }
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout.strip()
    return [c == "1" for c in out.splitlines()[-1]]


def test_the_percentage_bucket_is_the_same_in_processes_with_other_hash_seeds():
    """What a percentage reads of an account (`rollout_bucket`) never depends on the process."""
    pairs = [("billing_centre", pk) for pk in range(1, 40)]
    here = [rollout_bucket(name, pk) for name, pk in pairs]
    code = f"from core.models import rollout_bucket; print([rollout_bucket(n, p) for n, p in {pairs!r}])"
    for seed in ("0", "4242"):
        out = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", code],
            cwd=ROOT,
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "smplat.settings.test",
                "PYTHONHASHSEED": seed,
            },
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout.strip()
        assert out.splitlines()[-1] == str(here)


def _database_url() -> str:
    db = connection.settings_dict
    login = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{login}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs a database shared between processes"
)
def test_the_same_account_gets_the_same_answer_in_other_processes_and_edits_show_at_once():
    accounts = [user(f"client{i}") for i in range(60)]
    ids = [account.pk for account in accounts]
    flag_enable(name=BILLING_CENTRE, percent=Decimal("50.0"))
    here = [flag_active(request_as(account), BILLING_CENTRE) for account in accounts]
    assert any(here) and not all(here)
    url = _database_url()
    assert _answers_in_a_new_process(ids, hash_seed="1", db_url=url) == here
    assert _answers_in_a_new_process(ids, hash_seed="987", db_url=url) == here

    # An edit made here is what the next process reads at once, and the other way round.
    flag = Flag.objects.get(name=BILLING_CENTRE)
    flag.percent = None
    flag.save()
    flag.users.add(accounts[0])
    assert _answers_in_a_new_process(ids[:2], hash_seed="2", db_url=url) == [True, False]
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from core.models import Flag; f = Flag.objects.get(name='billing_centre');"
            "f.everyone = True; f.save()",
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "smplat.settings.test", "DATABASE_URL": url},
        check=True,
        timeout=120,
    )
    assert flag_active(request_as(accounts[1]), BILLING_CENTRE)
