from django.conf import settings
from django.core.management.base import BaseCommand

from experiments.proposals import proposals_refresh


class Command(BaseCommand):
    help = (
        "Mine the paid orders of the last BUNDLE_PROPOSAL_DAYS days for services bought "
        "together and draft bundle proposals for staff (what the weekly schedule runs). Safe "
        "to run again: a pair is proposed once, and only proposals still new are refreshed."
    )

    def handle(self, *args, **options):
        self.stderr.write(
            f"Mining paid orders of the last {settings.BUNDLE_PROPOSAL_DAYS} days (pairs in "
            f"{settings.BUNDLE_PROPOSAL_MIN_ORDERS}+ orders, lift above "
            f"{settings.BUNDLE_PROPOSAL_MIN_LIFT})…"
        )
        run = proposals_refresh()
        self.stdout.write(
            self.style.SUCCESS(
                f"{run.orders:,} paid order(s), {run.pairs} pair(s) worth a bundle: "
                f"{run.created} new proposal(s), {run.updated} refreshed."
            )
        )
