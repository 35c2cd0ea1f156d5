"""`manage.py export_invoices`: every client's invoices since a date, as staff read them."""

import csv
import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from billing.models import Invoice
from tests.billing.factories import invoice_for, order_for
from tests.checkout.factories import user

pytestmark = pytest.mark.django_db


def export(*args) -> tuple[list[dict], str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("export_invoices", *args, stdout=out, stderr=err)
    return list(csv.DictReader(io.StringIO(out.getvalue()))), err.getvalue()


@pytest.fixture
def invoices():
    now = timezone.now()
    ada, bob = user("ada"), user("bob")
    old = invoice_for(order_for(ada), issued_at=now - timedelta(days=40))
    first = invoice_for(
        order_for(ada, total=12_345),
        issued_at=now - timedelta(days=3),
        lines=[("Instagram Growth for @ada", 2, 10_000), ("Priority", 1, 2_345)],
    )
    second = invoice_for(
        order_for(bob, name='=HYPERLINK("http://evil")', total=500),
        issued_at=now - timedelta(days=1),
        refunded_amount=200,
        status=Invoice.Status.PARTIALLY_REFUNDED,
    )
    return old, first, second


def test_every_clients_invoices_since_the_date_oldest_first(invoices):
    old, first, second = invoices
    since = (timezone.now() - timedelta(days=10)).date().isoformat()
    rows, progress = export("--since", since)
    assert [row["Invoice"] for row in rows] == [first.number, second.number]
    assert rows[0]["Buyer e-mail"] == "ada@example.com"
    assert rows[1]["Buyer e-mail"] == "bob@example.com"
    assert rows[0]["Items"] == "Instagram Growth for @ada × 2; Priority × 1"
    assert (rows[0]["Currency"], rows[0]["Total"]) == ("USD", "123.45")
    assert (rows[1]["Total"], rows[1]["Refunded"]) == ("5.00", "2.00")
    assert rows[0]["Kind"] == "Order" and rows[1]["Status"] == "Partially refunded"
    assert progress.strip().splitlines() == ["2 of 2 invoices"]


def test_cells_a_spreadsheet_would_run_are_neutralised(invoices):
    rows, _ = export("--since", (timezone.now() - timedelta(days=2)).isoformat())
    assert rows[0]["Buyer"] == '\'=HYPERLINK("http://evil")'


def test_an_iso_datetime_starts_the_export_at_that_moment(invoices):
    _, first, second = invoices
    moment = (first.issued_at + timedelta(minutes=1)).isoformat()
    rows, _ = export("--since", moment)
    assert [row["Invoice"] for row in rows] == [second.number]


def test_output_file_gets_the_csv_and_stdout_stays_empty(invoices, tmp_path):
    target = tmp_path / "invoices.csv"
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "export_invoices", "--since", "2000-01-01", "--output", str(target), stdout=out, stderr=err
    )
    assert out.getvalue() == ""
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert len(rows) == 3
    assert f"Wrote 3 invoices to {target}" in err.getvalue()
    assert [p.name for p in tmp_path.iterdir()] == ["invoices.csv"]  # no temporary file left


def test_progress_every_thousand_rows_and_at_the_end():
    owner = user("many")
    order = order_for(owner)
    now = timezone.now()
    Invoice.objects.bulk_create(
        Invoice(
            number=f"INV-M-{n:05d}",
            order=order,
            kind=Invoice.Kind.RENEWAL,
            currency="USD",
            subtotal_amount=100,
            total_amount=100,
            issued_at=now - timedelta(minutes=n),
        )
        for n in range(2_500)
    )
    rows, progress = export("--since", "2000-01-01")
    assert len(rows) == 2_500
    assert progress.strip().splitlines() == [
        "1,000 of 2,500 invoices",
        "2,000 of 2,500 invoices",
        "2,500 of 2,500 invoices",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "yesterday"], "'yesterday' is not a date; use YYYY-MM-DD"),
        (["--since", "2026-02-30"], "is not a date"),
        (["--since", "2999-01-01"], "2999-01-01 is in the future"),
        (["--since", "2026-01-01", "--format", "json"], "invalid choice: 'json'"),
        ([], "the following arguments are required: --since"),
        (["--since", "2026-01-01", "--output", "/nonexistent/dir/x.csv"], "Cannot write"),
    ],
)
def test_bad_arguments_are_refused_clearly(args, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(")):
        call_command("export_invoices", *args, stdout=io.StringIO(), stderr=io.StringIO())


def test_output_onto_a_directory_is_refused_and_leaves_nothing(tmp_path):
    with pytest.raises(CommandError, match=f"Cannot write {tmp_path}: "):
        call_command(
            "export_invoices",
            "--since",
            "2026-01-01",
            "--output",
            str(tmp_path),
            stderr=io.StringIO(),
        )
    assert list(tmp_path.iterdir()) == []


def test_reads_in_one_query_plus_the_count(invoices, django_assert_num_queries):
    with django_assert_num_queries(2):
        rows, _ = export("--since", "2000-01-01")
    assert len(rows) == 3
