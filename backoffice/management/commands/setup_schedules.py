from django.core.management.base import BaseCommand
from django.db import transaction
from django_q.models import Schedule

# name → (func, kwargs, every N minutes). The command owns these rows: it creates them,
# sets them back to this if they were changed, and is safe to run on every deploy.
SCHEDULES = {
    "Sweep expired checkout sessions": ("checkout.tasks.sweep_checkout_sessions", "", 5),
    "Run the worker queues": ("backoffice.tasks.run_worker_queues", "{'seconds': 50}", 1),
}
# Created by data migrations before this command existed; their work is in the queues now.
RETIRED = ("Process due fulfillment tasks", "Retry order e-mails")


class Command(BaseCommand):
    help = "Create or update the django-q2 schedules (idempotent; run after every migrate)."

    @transaction.atomic
    def handle(self, *args, **options):
        removed, _ = Schedule.objects.filter(name__in=RETIRED).delete()
        for name, (func, kwargs, minutes) in SCHEDULES.items():
            # Another row calling the same function would run it twice as often.
            removed += Schedule.objects.filter(func=func).exclude(name=name).delete()[0]
            _, created = Schedule.objects.update_or_create(
                name=name,
                defaults={
                    "func": func,
                    "args": "",
                    "kwargs": kwargs,
                    "schedule_type": Schedule.MINUTES,
                    "minutes": minutes,
                    "repeats": -1,
                },
            )
            self.stdout.write(f"  {'created' if created else 'updated'}: {name}")
        if removed:
            self.stdout.write(f"  removed {removed} retired schedule(s)")
        self.stdout.write(self.style.SUCCESS(f"{len(SCHEDULES)} schedules in place"))
