from django.core.management.base import BaseCommand

from billing.selectors import EXPORT_HEADER, invoice_export_rows_since, invoices_issued_since
from core.exports import Progress, add_export_arguments, csv_write, output_to


class Command(BaseCommand):
    help = (
        "Every client's invoices issued since a date as CSV (amounts in major units, formulas "
        "neutralised), to stdout or --output; progress on stderr."
    )

    def add_arguments(self, parser):
        add_export_arguments(parser, formats=("csv",))

    def handle(self, *args, since, format, output, **options):
        progress = Progress(
            self.stderr, total=invoices_issued_since(since=since).count(), noun="invoices"
        )
        with output_to(output, self.stdout) as out:
            csv_write(out, EXPORT_HEADER, progress.count(invoice_export_rows_since(since=since)))
        if output:
            self.stderr.write(f"Wrote {progress.done:,} invoices to {output}", style_func=str)
