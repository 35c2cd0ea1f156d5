"""Client B never reaches client A's invoices, printable invoices, CSV rows or orders."""

import pytest
from django.urls import reverse

from tests.billing.factories import invoice_for, order_for
from tests.checkout.factories import user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("billing_centre_on")]


@pytest.fixture
def a_and_b():
    alice, bob = user("alice"), user("bob")
    a_paid = order_for(alice)
    a_invoice = invoice_for(a_paid)
    a_unpaid = order_for(alice, status="pending", paid=False)
    b_invoice = invoice_for(order_for(bob))
    return alice, bob, a_paid, a_invoice, a_unpaid, b_invoice


def test_anonymous_visitors_are_sent_to_sign_in(client, a_and_b):
    _, _, _, a_invoice, a_unpaid, _ = a_and_b
    urls = [
        reverse("dashboard:billing"),
        reverse("dashboard:invoice", args=[a_invoice.number]),
        reverse("dashboard:invoices-csv"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/?next=")
    response = client.post(reverse("dashboard:resume-payment", args=[a_unpaid.number]))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_client_b_gets_404_for_a_s_invoice_and_printable_invoice(client, a_and_b):
    _, bob, _, a_invoice, _, b_invoice = a_and_b
    client.force_login(bob)
    assert client.get(reverse("dashboard:invoice", args=[a_invoice.number])).status_code == 404
    assert client.get(reverse("dashboard:invoice", args=[b_invoice.number])).status_code == 200


def test_client_b_cannot_resume_a_s_order(client, a_and_b):
    _, bob, _, _, a_unpaid, _ = a_and_b
    client.force_login(bob)
    response = client.post(reverse("dashboard:resume-payment", args=[a_unpaid.number]))
    assert response.status_code == 404
    assert not a_unpaid.checkout_sessions.exists()


def test_b_s_pages_and_csv_show_none_of_a_s_numbers(client, a_and_b):
    _, bob, a_paid, a_invoice, a_unpaid, b_invoice = a_and_b
    client.force_login(bob)
    page = client.get(reverse("dashboard:billing")).content.decode()
    csv = b"".join(client.get(reverse("dashboard:invoices-csv")).streaming_content).decode()
    printable = client.get(reverse("dashboard:invoice", args=[b_invoice.number])).content.decode()
    assert b_invoice.number in page and b_invoice.number in csv
    for text in (page, csv, printable):
        for number in (a_paid.number, a_invoice.number, a_unpaid.number):
            assert number not in text


def test_the_billing_link_is_in_the_dashboard_navigation(client, a_and_b):
    alice = a_and_b[0]
    client.force_login(alice)
    page = client.get(reverse("dashboard:billing")).content.decode()
    assert f'href="{reverse("dashboard:billing")}" aria-current="page"' in page
