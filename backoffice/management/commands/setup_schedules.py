from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django_q.models import Schedule


@dataclass(frozen=True)
class Weekly:
    """Once a week on `weekday` (0 is Monday) at `hour`:00 in TIME_ZONE."""

    weekday: int
    hour: int

    def next_run(self, now: datetime) -> datetime:
        local = timezone.localtime(now)
        run = local.replace(hour=self.hour, minute=0, second=0, microsecond=0)
        run += timedelta(days=(self.weekday - local.weekday()) % 7)
        return run if run > local else run + timedelta(days=7)


# name → (func, kwargs, every N minutes or Weekly). The command owns these rows: it creates
# them, sets them back to this if they were changed, and is safe to run on every deploy.
SCHEDULES = {
    "Sweep expired checkout sessions": ("checkout.tasks.sweep_checkout_sessions", "", 5),
    "Run the worker queues": ("backoffice.tasks.run_worker_queues", "{'seconds': 50}", 1),
    "Send the weekly digests": ("backoffice.tasks.send_weekly_digests", "", Weekly(0, 7)),
    # Sunday night, so the week's review (sent on Monday) lists what it proposed.
    "Propose bundles": ("experiments.tasks.propose_bundles", "", Weekly(6, 22)),
}
# Created by data migrations before this command existed; their work is in the queues now.
RETIRED = ("Process due fulfillment tasks", "Retry order e-mails")


class Command(BaseCommand):
    help = "Create or update the django-q2 schedules (idempotent; run after every migrate)."

    @transaction.atomic
    def handle(self, *args, **options):
        removed, _ = Schedule.objects.filter(name__in=RETIRED).delete()
        for name, (func, kwargs, every) in SCHEDULES.items():
            # Another row calling the same function would run it twice as often.
            removed += Schedule.objects.filter(func=func).exclude(name=name).delete()[0]
            _, created = Schedule.objects.update_or_create(
                name=name,
                defaults={
                    "func": func,
                    "args": "",
                    "kwargs": kwargs,
                    "repeats": -1,
                    **_timing(every),
                },
            )
            self.stdout.write(f"  {'created' if created else 'updated'}: {name}")
        if removed:
            self.stdout.write(f"  removed {removed} retired schedule(s)")
        self.stdout.write(self.style.SUCCESS(f"{len(SCHEDULES)} schedules in place"))


def _timing(every: int | Weekly) -> dict:
    if isinstance(every, Weekly):
        return {
            "schedule_type": Schedule.WEEKLY,
            "minutes": None,
            "next_run": every.next_run(timezone.now()),
        }
    return {"schedule_type": Schedule.MINUTES, "minutes": every}
