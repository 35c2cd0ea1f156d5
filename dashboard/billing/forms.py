from urllib.parse import urlencode

from django import forms

from billing.models import Invoice
from billing.selectors import InvoiceFilters


class InvoiceFilterForm(forms.Form):
    """The invoice history's filters, from the query string; a bad value is refused alone."""

    status = forms.ChoiceField(
        required=False, choices=[("", "Any status"), *Invoice.Status.choices]
    )
    kind = forms.ChoiceField(required=False, choices=[("", "Any kind"), *Invoice.Kind.choices])
    issued_from = forms.DateField(
        required=False,
        label="Issued from",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="YYYY-MM-DD",
    )
    issued_to = forms.DateField(
        required=False,
        label="Issued to",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="YYYY-MM-DD",
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("issued_from"), cleaned.get("issued_to")
        if start and end and start > end:
            self.add_error("issued_to", "The end date is before the start date.")
        return cleaned

    def filters(self) -> InvoiceFilters:
        """The valid filters (call after `is_valid()`): a refused field is not in
        `cleaned_data`, so it filters nothing."""
        return InvoiceFilters(**{name: value for name, value in self.cleaned_data.items() if value})

    def query(self) -> str:
        """The valid filters as a query string, for pagination and the CSV link."""
        filters = self.filters()
        pairs = {
            "status": filters.status,
            "kind": filters.kind,
            "issued_from": filters.issued_from.isoformat() if filters.issued_from else "",
            "issued_to": filters.issued_to.isoformat() if filters.issued_to else "",
        }
        return urlencode({key: value for key, value in pairs.items() if value})


MAX_PAGE = 100_000


def page_number(value) -> int:
    """A `?page=` value; anything but a positive whole number is page 1, and a page past the
    end is the last one (the selectors clamp it)."""
    try:
        return min(max(int(value), 1), MAX_PAGE)
    except (TypeError, ValueError):
        return 1
