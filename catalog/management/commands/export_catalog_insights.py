from django.core.management.base import BaseCommand
from django.utils import timezone

from catalog.selectors import search_query_count, search_query_insights
from core.exports import Progress, add_export_arguments, csv_write, json_write, output_to

CSV_HEADER = (
    "Query",
    "Searches",
    "Zero-result searches",
    "First searched",
    "Last searched",
    "Categories",
    "Sorts",
)
ALL = "(all)"  # a search with no category chosen


class Command(BaseCommand):
    help = (
        "Catalog searches since a date, per query: searches, zero-result searches, first and "
        "last search, categories and sorts used. CSV (one row per query) or JSON (nested), to "
        "stdout or --output; progress on stderr."
    )

    def add_arguments(self, parser):
        add_export_arguments(parser, formats=("csv", "json"))

    def handle(self, *args, since, format, output, **options):
        progress = Progress(self.stderr, total=search_query_count(since=since), noun="queries")
        queries = progress.count(search_query_insights(since=since))
        with output_to(output, self.stdout) as out:
            if format == "json":
                head = {
                    "since": since.isoformat(),
                    "generated_at": timezone.now().isoformat(timespec="seconds"),
                    "queries": progress.total,
                }
                json_write(out, head, "results", (_json(query) for query in queries))
            else:
                csv_write(out, CSV_HEADER, (_csv_row(query) for query in queries))
        if output:
            self.stderr.write(f"Wrote {progress.done:,} queries to {output}", style_func=str)


def _json(query: dict) -> dict:
    return {
        **query,
        "first_searched": query["first_searched"].isoformat(),
        "last_searched": query["last_searched"].isoformat(),
    }


def _counts(breakdown: list[dict], field: str) -> str:
    """ "instagram 12 (2 without results); (all) 5"."""
    return "; ".join(
        f"{row[field] or ALL} {row['searches']}"
        + (f" ({row['zero_results']} without results)" if row["zero_results"] else "")
        for row in breakdown
    )


def _csv_row(query: dict) -> tuple:
    return (
        query["query"],
        query["searches"],
        query["zero_results"],
        query["first_searched"].isoformat(timespec="seconds"),
        query["last_searched"].isoformat(timespec="seconds"),
        _counts(query["by_category"], "category"),
        _counts(query["by_sort"], "sort"),
    )
