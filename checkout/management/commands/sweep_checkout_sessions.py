from django.core.management.base import BaseCommand

from checkout.tasks import sweep_checkout_sessions


class Command(BaseCommand):
    help = (
        "Expire hosted checkout sessions that passed their expiry without a webhook closing "
        "them, then queue the recovery e-mails and chat messages now due (what the 5-minute "
        "schedule runs)."
    )

    def handle(self, *args, **options):
        result = sweep_checkout_sessions()
        self.stdout.write(
            self.style.SUCCESS(
                f"Expired {result['expired']} checkout session(s); queued "
                f"{result['recovery_emails']} recovery e-mail(s) and "
                f"{result['chat_abandoned'] + result['chat_webhook_failures']} chat message(s)."
            )
        )
