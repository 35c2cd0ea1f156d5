"""The billing centre ships behind the `billing_centre` flag: off, its URLs answer 404 and the
dashboard shows no link to it; on for an account (or a group, or staff), both appear."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from core.flags import BILLING_CENTRE, flag_enable
from tests.billing.factories import invoice_for, order_for
from tests.checkout.factories import user

pytestmark = pytest.mark.django_db

BILLING = reverse("dashboard:billing")


def paid_invoice_order(owner):
    return invoice_for(order_for(owner))


def billing_urls(invoice) -> list[str]:
    return [
        BILLING,
        reverse("dashboard:invoice", args=[invoice.number]),
        reverse("dashboard:invoices-csv"),
    ]


def sees_billing(client, account, invoice) -> tuple[set[int], bool]:
    client.force_login(account)
    statuses = {client.get(url).status_code for url in billing_urls(invoice)}
    statuses.add(
        client.post(reverse("dashboard:resume-payment", args=[invoice.order.number])).status_code
    )
    link = f'href="{BILLING}"' in client.get(reverse("dashboard:overview")).text
    return statuses, link


def test_off_the_billing_centre_is_absent_for_clients(client):
    owner = user("alice")
    invoice = paid_invoice_order(owner)
    assert sees_billing(client, owner, invoice) == ({404}, False)


def test_on_for_one_account_only_that_account_sees_it(client):
    alice, bob = user("alice"), user("bob")
    invoice = paid_invoice_order(alice)
    flag_enable(name=BILLING_CENTRE, users=[alice])
    statuses, link = sees_billing(client, alice, invoice)
    assert link and 404 not in statuses
    assert sees_billing(client, bob, paid_invoice_order(bob)) == ({404}, False)


def test_on_for_a_group_its_members_see_it(client):
    member = user("member")
    member.groups.add(Group.objects.create(name="Beta clients"))
    flag_enable(name=BILLING_CENTRE, groups=(member.groups.get(),))
    statuses, link = sees_billing(client, member, paid_invoice_order(member))
    assert link and 404 not in statuses


def test_staff_always_see_it(client):
    staff = user("operator")
    staff.is_staff = True
    staff.save()
    statuses, link = sees_billing(client, staff, paid_invoice_order(staff))
    assert link and 404 not in statuses
