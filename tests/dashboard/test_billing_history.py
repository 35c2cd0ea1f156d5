"""Invoice history with filters and pages, and the printable invoice."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.models import Invoice
from billing.selectors import INVOICE_PAGE_SIZE
from tests.billing.factories import invoice_for, order_for
from tests.checkout.factories import user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("billing_centre_on")]

URL = "/dashboard/billing/"


@pytest.fixture
def alice(client):
    owner = user("alice")
    client.force_login(owner)
    return owner


def invoice_numbers(response) -> set[str]:
    return {invoice.number for invoice in response.context["invoices"].items}


def test_history_lists_number_date_kind_status_and_totals(client, alice):
    order = order_for(alice, total=12_345)
    invoice = invoice_for(order, refunded_amount=2_000, status=Invoice.Status.PARTIALLY_REFUNDED)
    page = client.get(URL).content.decode()
    assert invoice.number in page
    assert invoice.issued_at.strftime("%-d %b %Y") in page
    assert "Order" in page and "Partially refunded" in page
    assert "$123.45" in page and "$20.00" in page


def test_filters_by_status_kind_and_dates(client, alice):
    now = timezone.now()
    order = order_for(alice)
    old = invoice_for(order, issued_at=now - timedelta(days=40))
    renewal = invoice_for(order, kind=Invoice.Kind.RENEWAL, issued_at=now - timedelta(days=10))
    refunded = invoice_for(
        order_for(alice),
        status=Invoice.Status.REFUNDED,
        refunded_amount=10_000,
        issued_at=now - timedelta(days=1),
    )
    assert invoice_numbers(client.get(URL, {"status": "refunded"})) == {refunded.number}
    assert invoice_numbers(client.get(URL, {"kind": "renewal"})) == {renewal.number}
    since = (now - timedelta(days=20)).date().isoformat()
    until = (now - timedelta(days=5)).date().isoformat()
    assert invoice_numbers(client.get(URL, {"issued_from": since})) == {
        renewal.number,
        refunded.number,
    }
    assert invoice_numbers(client.get(URL, {"issued_to": until})) == {old.number, renewal.number}
    response = client.get(URL, {"issued_from": since, "issued_to": until, "kind": "renewal"})
    assert invoice_numbers(response) == {renewal.number}
    assert f"issued_from={since}" in response.context["filter_query"]


@pytest.mark.parametrize(
    "query, message",
    [
        ({"status": "lost"}, "Select a valid choice"),
        ({"kind": "<script>"}, "Select a valid choice"),
        ({"issued_from": "2026-13-45"}, "Enter a valid date"),
        ({"issued_from": "2026-05-01", "issued_to": "2026-04-01"}, "before the start date"),
        ({"page": "-3"}, None),
        ({"page": "x"}, None),
        ({"page": "99999999999999999999"}, None),
        ({"campaigns_page": "0"}, None),
    ],
)
def test_bad_filters_give_a_message_never_an_error(client, alice, query, message):
    invoice = invoice_for(order_for(alice))
    response = client.get(URL, query)
    assert response.status_code == 200
    page = response.content.decode()
    assert invoice.number in page  # a refused filter filters nothing
    if message:
        assert "Please correct the highlighted fields" in page and message in page
    assert "<script>" not in page


def test_pages_of_invoices(client, alice):
    order = order_for(alice)
    now = timezone.now()
    made = [
        invoice_for(order, kind="renewal", issued_at=now - timedelta(days=n))
        for n in range(INVOICE_PAGE_SIZE + 3)
    ]
    first = client.get(URL)
    assert invoice_numbers(first) == {i.number for i in made[:INVOICE_PAGE_SIZE]}
    assert "Page 1 of 2" in first.content.decode()
    second = client.get(URL, {"page": 2, "kind": "renewal"})
    assert invoice_numbers(second) == {i.number for i in made[INVOICE_PAGE_SIZE:]}
    assert 'href="?kind=renewal&amp;page=1' in second.content.decode()
    past_the_end = client.get(URL, {"page": 40})
    assert invoice_numbers(past_the_end) == invoice_numbers(second)


def test_printable_invoice_has_seller_buyer_lines_totals_and_a_print_stylesheet(
    client, alice, settings
):
    settings.SELLER_NAME = "Growth Agency Ltd"
    settings.SELLER_ADDRESS = "5 High Street; London"
    settings.SELLER_TAX_ID = "GB123456789"
    order = order_for(alice, name="Ada Lovelace", total=15_000, discount_amount=1_000)
    invoice = invoice_for(
        order,
        subtotal_amount=16_000,
        discount_amount=1_000,
        lines=[("Instagram Growth for @ada", 2, 10_000), ("Reels Pack for @ada", 1, 5_000)],
    )
    response = client.get(reverse("dashboard:invoice", args=[invoice.number]))
    page = response.content.decode()
    for text in (
        f"Invoice {invoice.number}",
        "Growth Agency Ltd",
        "5 High Street",
        "London",
        "GB123456789",
        "Ada Lovelace",
        alice.email,
        "Instagram Growth for @ada",
        "Reels Pack for @ada",
        "$160.00",  # subtotal
        "−$10.00",  # discount
        "$150.00",  # total
        "Tax-free",
        order.number,
        invoice.issued_at.strftime("%-d %B %Y"),
    ):
        assert text in page, text
    assert 'href="/static/css/print.css" media="print"' in page
    printed = (settings.BASE_DIR / "static" / "css" / "print.css").read_text()
    hidden = printed.split("{ display: none !important; }")[0]
    for chrome in (".site-header", ".site-footer", ".dashboard-nav", ".no-print"):
        assert chrome in hidden  # paper shows the invoice, not the site's navigation


def test_an_unknown_invoice_number_is_404(client, alice):
    assert client.get(reverse("dashboard:invoice", args=["INV-NOPE"])).status_code == 404
