"""Each client's weekly digest: their orders and how far along they are, the week's figures
(the dashboard's), the invoices of the week and, for clients who asked for offers, what is on
offer.

A digest is empty, and not sent, when the client has no order under way (paid, not over),
no order changed status during the week, no step finished, no account has a figure in the
week and no invoice was issued: nothing happened and nothing is happening.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from math import ceil

from django.utils import timezone

from billing.models import Invoice
from billing.selectors import clients_invoices_issued
from catalog.pricing import BundleRule, CampaignRule
from catalog.selectors import bundle_rules, campaign_rules
from core.outbox import emails_queued
from core.weeks import IsoWeek
from fulfillment.selectors import WeekFigures, clients_week_figures, orders_progress
from orders.models import NotificationTopic, Order
from orders.selectors import (
    clients_after,
    clients_count,
    clients_week_orders,
    notification_recipients,
)

from .run import Digest, DigestRun, Progress, digest_render, digests_queue, site_url

KIND = "weekly_digest"
TEMPLATE = "emails/weekly_digest"
ORDERS_SHOWN = 10  # a client with more sees the newest ones and a count of the rest
DEFAULT_BATCH_SIZE = 500


@dataclass(frozen=True)
class Offers:
    """The marketing block: what is on offer now. Only for clients who chose offers."""

    campaigns: list[CampaignRule]
    bundles: list[BundleRule]


@dataclass(frozen=True)
class ClientDigest:
    orders: list[dict]  # progress of the orders shown, with their links
    more_orders: int
    figures: WeekFigures
    invoices: list[Invoice]

    @property
    def is_empty(self) -> bool:
        figures = self.figures
        return not (
            self.orders
            or self.invoices
            or figures.orders_moved
            or figures.steps_finished
            or figures.accounts
        )


def digest_key(user_id: int, week: IsoWeek) -> str:
    return f"{KIND}:{user_id}:{week}"


def digests_send(
    *,
    week: IsoWeek,
    dry_run: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
    after: int = 0,
    seconds: float | None = None,
) -> DigestRun:
    """Queue `week`'s digest for every client who wants it and has something to read, in
    account order, `batch_size` clients at a time. Each batch reads at most ten queries
    whatever its clients' numbers of orders, and queues its digests in one short transaction.

    `after` starts after that account id; with `seconds`, no batch starts once they are up
    and `run.resume_after` says where to go on (None: every client was looked at)."""
    started = time.monotonic()
    run = DigestRun(kind=KIND, week=week, dry_run=dry_run, total=clients_count())
    run.batches = ceil(run.total / batch_size)
    offers = _offers()
    links = {
        "catalog_url": site_url("catalog:catalog-list"),
        "dashboard_url": site_url("dashboard:overview"),
        "preferences_url": site_url("dashboard:preferences"),
    }
    while clients := clients_after(after=after, limit=batch_size):
        after = clients[-1].pk
        run.batch += 1
        _send_batch(run, clients, offers, links)
        if progress:
            progress(run)
        if seconds is not None and time.monotonic() - started >= seconds:
            run.resume_after = after
            break
    return run


def _offers() -> Offers | None:
    now = timezone.now()
    campaigns = [rule for rule in campaign_rules(at=now) if rule.starts_at <= now]
    bundles = bundle_rules()
    return Offers(campaigns, bundles) if campaigns or bundles else None


def _send_batch(run: DigestRun, clients: list, offers: Offers | None, links: dict) -> None:
    week = run.week
    run.seen += len(clients)
    wanted = notification_recipients(
        user_ids=[c.pk for c in clients], topic=NotificationTopic.WEEKLY_DIGEST
    )
    run.opted_out += len(clients) - len(wanted)
    clients = [c for c in clients if c.pk in wanted]
    run.no_address += sum(1 for c in clients if not c.email)
    clients = [c for c in clients if c.email]
    sent = emails_queued(keys=[digest_key(c.pk, week) for c in clients])
    run.already_sent += len(sent)
    clients = [c for c in clients if digest_key(c.pk, week) not in sent]
    if not clients:
        return
    ids = [c.pk for c in clients]
    marketing = notification_recipients(user_ids=ids, topic=NotificationTopic.MARKETING)
    figures = clients_week_figures(user_ids=ids, week_ending=week.sunday)
    orders = clients_week_orders(user_ids=ids, since=week.since, until=week.until)
    shown = {pk: orders.get(pk, [])[:ORDERS_SHOWN] for pk in ids}
    progress = orders_progress(
        orders=[order for listed in shown.values() for order in listed], for_client=True
    )
    invoices = clients_invoices_issued(user_ids=ids, since=week.since, until=week.until)
    digests: list[Digest] = []
    for client in clients:
        digest = ClientDigest(
            orders=[_order_row(order, progress[order.pk]) for order in shown[client.pk]],
            more_orders=len(orders.get(client.pk, [])) - len(shown[client.pk]),
            figures=figures[client.pk],
            invoices=invoices.get(client.pk, []),
        )
        if digest.is_empty:
            run.empty += 1
            continue
        with_offers = offers if client.pk in marketing else None
        digests.append(
            digest_render(
                key=digest_key(client.pk, week),
                kind=KIND,
                to=client.email,
                subject=f"Your week at SMPLAT: {week.label()}",
                template=TEMPLATE,
                context={
                    "name": client.first_name or client.get_username(),
                    "week": week,
                    "week_label": week.label(),
                    "digest": digest,
                    "offers": with_offers,
                    **links,
                },
                summary=f"{len(digest.orders) + digest.more_orders} orders, "
                f"{len(digest.invoices)} invoices, {'with' if with_offers else 'no'} offers",
            )
        )
    digests_queue(run, digests)


def _order_row(order: Order, progress: dict) -> dict:
    return {
        "number": order.number,
        "status": progress["status_display"],
        "percent": progress["percent_complete"],
        "next_action": progress["next_action"],
        "ordered": progress["delivery"]["ordered"],
        "delivered": progress["delivery"]["delivered"],
        "url": site_url("checkout:order-status", number=order.number),
    }
