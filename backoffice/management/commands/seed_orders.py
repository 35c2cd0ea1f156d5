from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from backoffice.demo_clients import CLIENTS, demo_clients_seed


class Command(BaseCommand):
    help = (
        "Give the demo clients their orders in every state, with invoices, payment sessions "
        "and analytics history, through the real checkout, webhooks and processor."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--username",
            choices=[client.username for client in CLIENTS],
            help="only this demo client (default: all)",
        )

    def handle(self, *args, username=None, **options):
        staff = get_user_model().objects.filter(is_staff=True).order_by("pk").first()
        if staff is None:
            raise CommandError("No staff user; run seed_demo first.")
        demo_clients_seed(staff=staff, log=self.stdout.write, only=username)
        self.stdout.write(self.style.SUCCESS("Demo orders ready."))
