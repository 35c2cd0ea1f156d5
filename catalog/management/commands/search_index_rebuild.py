from django.core.management.base import BaseCommand, CommandError

from catalog.search.index import search_index_rebuild


class Command(BaseCommand):
    help = (
        "Rewrite every product's search document (after products were loaded in bulk, "
        "without signals); edits in the admin and Wagtail keep the index current by themselves."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=1000, help="products per transaction")

    def handle(self, *args, batch: int, **options):
        if batch < 1:
            raise CommandError("--batch must be at least 1.")

        def progress(done: int, total: int) -> None:
            self.stderr.write(f"  indexed {done:,}/{total:,} products")

        total = search_index_rebuild(batch=batch, progress=progress)
        self.stdout.write(self.style.SUCCESS(f"Search index rebuilt: {total:,} products."))
