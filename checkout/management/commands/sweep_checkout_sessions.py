from django.core.management.base import BaseCommand

from checkout.services import sessions_sweep


class Command(BaseCommand):
    help = (
        "Expire hosted checkout sessions that passed their expiry without a webhook closing them."
    )

    def handle(self, *args, **options):
        result = sessions_sweep()
        self.stdout.write(self.style.SUCCESS(f"Expired {result['expired']} checkout session(s)."))
