"""Reads of invoices: a client's history, one printable invoice, the CSV export, spend."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db.models import BigIntegerField, F, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, TruncDate

from core.money import currency_exponent
from core.paging import Page, page_of

from .models import Invoice

INVOICE_PAGE_SIZE = 20
EXPORT_CHUNK_SIZE = 2000


@dataclass(frozen=True)
class InvoiceFilters:
    """What a client narrows their invoice history to; empty values filter nothing."""

    status: str = ""
    kind: str = ""
    issued_from: date | None = None
    issued_to: date | None = None


@dataclass(frozen=True)
class Seller:
    name: str
    address: list[str]
    email: str
    tax_id: str
    tax_note: str


def seller_details() -> Seller:
    """Who issues the invoices (SELLER_* settings)."""
    return Seller(
        name=settings.SELLER_NAME,
        address=[line.strip() for line in settings.SELLER_ADDRESS.split(";") if line.strip()],
        email=settings.SELLER_EMAIL,
        tax_id=settings.SELLER_TAX_ID,
        tax_note=settings.SELLER_TAX_NOTE,
    )


def invoice_list(*, user, filters: InvoiceFilters = InvoiceFilters()) -> QuerySet[Invoice]:
    """The invoices of `user`'s orders, newest first."""
    invoices = Invoice.objects.filter(order__user=user).select_related("order")
    if filters.status:
        invoices = invoices.filter(status=filters.status)
    if filters.kind:
        invoices = invoices.filter(kind=filters.kind)
    if filters.issued_from:
        invoices = invoices.filter(issued_at__date__gte=filters.issued_from)
    if filters.issued_to:
        invoices = invoices.filter(issued_at__date__lte=filters.issued_to)
    return invoices.order_by("-issued_at", "-id")


def clients_invoices_issued(
    *, user_ids: Iterable[int], since: datetime, until: datetime
) -> dict[int, list[Invoice]]:
    """Each client's invoices issued between `since` and `until`, oldest first, with their
    order: one query."""
    invoices: dict[int, list[Invoice]] = defaultdict(list)
    for invoice in (
        Invoice.objects.filter(
            order__user_id__in=list(user_ids), issued_at__gte=since, issued_at__lt=until
        )
        .select_related("order")
        .order_by("issued_at", "id")
    ):
        invoices[invoice.order.user_id].append(invoice)
    return invoices


def invoice_page(*, user, filters: InvoiceFilters, page: int) -> Page:
    """One page of the history: one query (two for a page past the end)."""
    return page_of(invoice_list(user=user, filters=filters), number=page, size=INVOICE_PAGE_SIZE)


def invoice_get(*, user, number: str) -> Invoice | None:
    """One of `user`'s invoices with its order and lines, or None (also for someone else's)."""
    return (
        Invoice.objects.filter(order__user=user, number=number)
        .select_related("order")
        .prefetch_related("lines")
        .first()
    )


EXPORT_HEADER = (
    "Invoice",
    "Issued",
    "Kind",
    "Status",
    "Order",
    "Buyer",
    "Buyer e-mail",
    "Items",
    "Currency",
    "Subtotal",
    "Discount",
    "Total",
    "Refunded",
)
_EXPORT_FIELDS = (
    "pk",
    "number",
    "issued_on",
    "kind",
    "status",
    "order__number",
    "order__name",
    "order__email",
    "currency",
    "subtotal_amount",
    "discount_amount",
    "total_amount",
    "refunded_amount",
    "lines__description",
    "lines__quantity",
)


def invoice_export_rows(*, user, filters: InvoiceFilters) -> Iterator[tuple]:
    """`EXPORT_HEADER` rows of `user`'s invoices, newest first (their CSV download)."""
    return _export_rows(invoice_list(user=user, filters=filters), "-issued_at", "-id")


def invoices_issued_since(*, since: datetime) -> QuerySet[Invoice]:
    """Every client's invoices issued at or after `since`, oldest first (staff exports)."""
    return Invoice.objects.filter(issued_at__gte=since).order_by("issued_at", "id")


def invoice_export_rows_since(*, since: datetime) -> Iterator[tuple]:
    """`EXPORT_HEADER` rows of every invoice issued since `since`, oldest first."""
    return _export_rows(invoices_issued_since(since=since), "issued_at", "id")


def _export_rows(invoices: QuerySet[Invoice], *ordering: str) -> Iterator[tuple]:
    """One row per invoice, amounts in major units, read in one query.

    The query joins the lines (one row per line, an invoice's rows together) and is read in
    chunks, so memory stays flat however many invoices there are.
    """
    rows = (
        invoices.order_by(*ordering, "lines__position", "lines__id")
        .annotate(issued_on=TruncDate("issued_at"))
        .values_list(*_EXPORT_FIELDS)
        .iterator(chunk_size=EXPORT_CHUNK_SIZE)
    )
    kinds, statuses = dict(Invoice.Kind.choices), dict(Invoice.Status.choices)
    for _, group in itertools.groupby(rows, key=lambda row: row[0]):
        lines = list(group)
        first = lines[0]
        currency = first[8]
        items = "; ".join(
            f"{description} × {quantity}" for *_, description, quantity in lines if description
        )
        yield (
            first[1],
            first[2],
            kinds.get(first[3], first[3]),
            statuses.get(first[4], first[4]),
            first[5],
            first[6],
            first[7],
            items,
            currency,
            *(_major_units(amount, currency) for amount in first[9:13]),
        )


def _major_units(amount: int, currency: str) -> str:
    """1234 USD → "12.34"; as a spreadsheet reads a number."""
    exponent = currency_exponent(currency)
    if not exponent:
        return str(amount)
    whole, minor = divmod(amount, 10**exponent)
    return f"{whole}.{minor:0{exponent}d}"


def order_spend():
    """An annotation for orders: what their invoices charged net of refunds, in minor units
    (0 for an order without invoices)."""
    charged = (
        Invoice.objects.filter(order=OuterRef("pk"))
        .order_by()
        .values("order")
        .annotate(net=Sum(F("total_amount") - F("refunded_amount")))
        .values("net")
    )
    return Coalesce(Subquery(charged), 0, output_field=BigIntegerField())
