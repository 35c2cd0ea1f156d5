"""The CSV export: streamed, filtered like the page, amounts in major units, no formulas."""

import csv
import io
from datetime import timedelta

import pytest
from django.http import StreamingHttpResponse
from django.utils import timezone

from billing.models import Invoice
from core.csv_safe import csv_cell
from tests.billing.factories import client_history, invoice_for, order_for
from tests.checkout.factories import user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("billing_centre_on")]

URL = "/dashboard/billing/invoices.csv"


@pytest.fixture
def alice(client):
    owner = user("alice")
    client.force_login(owner)
    return owner


def rows(response) -> list[dict]:
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize(
    "value, cell",
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTAB", "'\tTAB"),
        ("\rCR", "'\rCR"),
        ("Ada = buyer", "Ada = buyer"),
        ("12.50", "12.50"),
        (None, ""),
        ("", ""),
    ],
)
def test_cells_that_start_a_formula_are_prefixed(value, cell):
    assert csv_cell(value) == cell


def test_export_streams_every_invoice_with_amounts_in_major_units(client, alice):
    order = order_for(alice, name="Ada Buyer", total=12_345)
    invoice = invoice_for(
        order,
        refunded_amount=345,
        status=Invoice.Status.PARTIALLY_REFUNDED,
        lines=[("Instagram Growth for @ada", 2, 10_000), ("Reels Pack for @ada", 1, 2_345)],
    )
    response = client.get(URL)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="invoices-')
    [row] = rows(response)
    assert row == {
        "Invoice": invoice.number,
        "Issued": invoice.issued_at.date().isoformat(),
        "Kind": "Order",
        "Status": "Partially refunded",
        "Order": order.number,
        "Buyer": "Ada Buyer",
        "Buyer e-mail": alice.email,
        "Items": "Instagram Growth for @ada × 2; Reels Pack for @ada × 1",
        "Currency": "USD",
        "Subtotal": "123.45",
        "Discount": "0.00",
        "Total": "123.45",
        "Refunded": "3.45",
    }


def test_a_buyer_name_or_line_starting_a_formula_is_neutralised(client, alice):
    invoice_for(order_for(alice, name="=cmd|' /C calc'!A0"), lines=[("@SUM(1+1)", 1, 10_000)])
    invoice_for(order_for(alice, name="+Plus"), lines=[("-minus", 1, 10_000)])
    exported = rows(client.get(URL))
    assert {row["Buyer"] for row in exported} == {"'=cmd|' /C calc'!A0", "'+Plus"}
    assert {row["Items"] for row in exported} == {"'@SUM(1+1) × 1", "'-minus × 1"}
    for row in exported:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_export_honours_the_page_s_filters(client, alice):
    now = timezone.now()
    order = order_for(alice)
    invoice_for(order, issued_at=now - timedelta(days=30))
    renewal = invoice_for(order, kind=Invoice.Kind.RENEWAL, issued_at=now - timedelta(days=2))
    refunded = invoice_for(
        order_for(alice), status="refunded", refunded_amount=10_000, issued_at=now
    )
    assert [r["Invoice"] for r in rows(client.get(URL, {"kind": "renewal"}))] == [renewal.number]
    assert [r["Invoice"] for r in rows(client.get(URL, {"status": "refunded"}))] == [
        refunded.number
    ]
    since = (now - timedelta(days=7)).date().isoformat()
    assert [r["Invoice"] for r in rows(client.get(URL, {"issued_from": since}))] == [
        refunded.number,
        renewal.number,
    ]
    page = client.get("/dashboard/billing/", {"kind": "renewal"}).content.decode()
    assert f'href="{URL}?kind=renewal"' in page


def test_bad_filters_get_a_json_error(client, alice):
    response = client.get(URL, {"issued_from": "yesterday"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_filters"


def test_an_invoice_without_lines_still_has_its_row(client, alice):
    invoice = invoice_for(order_for(alice), lines=[])
    [row] = rows(client.get(URL))
    assert row["Invoice"] == invoice.number and row["Items"] == ""


def test_export_reads_in_one_query_however_many_invoices(
    client, alice, django_assert_max_num_queries
):
    client_history(alice, orders=300, snapshots_per_order=0)
    response = client.get(URL)  # the rows are read while the response streams
    with django_assert_max_num_queries(1):
        exported = rows(response)
    assert len(exported) == 300
    assert exported[0]["Invoice"].startswith("INV-B-")
