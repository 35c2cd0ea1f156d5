from django.core.management.base import BaseCommand, CommandError

from backoffice.digests import DigestRun, digests_send, staff_digests_send
from backoffice.digests.clients import DEFAULT_BATCH_SIZE
from core.outbox import emails_retry_failed
from core.weeks import IsoWeek


class Command(BaseCommand):
    help = (
        "Queue each client's weekly digest and the staff merchandising review for an ISO "
        "week (default: the last complete one). Safe to run again or on two machines at "
        "once: each e-mail is queued once per recipient and week."
    )

    def add_arguments(self, parser):
        parser.add_argument("--week", help="ISO week, e.g. 2026-W48 (default: last week)")
        parser.add_argument(
            "--dry-run", action="store_true", help="write nothing; list who would get what"
        )
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
        parser.add_argument(
            "--retry-failed",
            action="store_true",
            help="first give the week's e-mails that failed after every attempt a fresh start",
        )
        only = parser.add_mutually_exclusive_group()
        only.add_argument("--clients-only", action="store_true", help="no staff review")
        only.add_argument("--staff-only", action="store_true", help="no client digests")

    def handle(self, *args, week=None, dry_run=False, batch_size=DEFAULT_BATCH_SIZE, **options):
        week = self._week(week)
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        if options["retry_failed"] and not dry_run:
            for kind in self._kinds(options):
                retried = emails_retry_failed(kind=kind, key_suffix=f":{week}")
                self.stdout.write(f"{week}: {retried} failed {kind} e-mails queued again")
        runs: list[DigestRun] = []
        if not options["staff_only"]:
            runs.append(
                digests_send(
                    week=week, dry_run=dry_run, batch_size=batch_size, progress=self._progress
                )
            )
        if not options["clients_only"]:
            runs.append(staff_digests_send(week=week, dry_run=dry_run, progress=self._progress))
        for run in runs:
            for line in run.planned:
                self.stdout.write(f"would send {line}")
        for run in runs:
            prefix = "dry run, " if dry_run else ""
            self.stdout.write(f"{week}: {prefix}{run.summary()}")

    def _kinds(self, options) -> list[str]:
        wanted = {
            "weekly_digest": not options["staff_only"],
            "staff_digest": not options["clients_only"],
        }
        return [kind for kind, on in wanted.items() if on]

    def _week(self, text: str | None) -> IsoWeek:
        if text is None:
            return IsoWeek.last_complete()
        try:
            week = IsoWeek.parse(text)
        except ValueError as exc:
            raise CommandError(f"--week: {exc}") from None
        if not week.is_over():
            raise CommandError(f"--week: {week} has not ended yet")
        return week

    def _progress(self, run: DigestRun) -> None:
        self.stderr.write(f"{run.kind} {run.progress_line()}")
