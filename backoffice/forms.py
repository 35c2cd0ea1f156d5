from datetime import datetime, timedelta

from django import forms
from django.utils import timezone

# A stable `code` per parameter for the JSON error of the observability API.
ERROR_CODES = {"since": "since_invalid", "limit": "limit_invalid"}


class SearchInsightsForm(forms.Form):
    """`since`: an ISO date or date-time (a date means its midnight; default a week ago);
    `limit`: rows per list, 1 to 100 (default 20)."""

    since = forms.DateTimeField(required=False)
    limit = forms.IntegerField(required=False, min_value=1, max_value=100)

    def clean_since(self) -> datetime:
        since = self.cleaned_data["since"]
        if since is None:
            return timezone.now() - timedelta(days=7)
        if timezone.is_naive(since):
            since = timezone.make_aware(since)
        return since

    def clean_limit(self) -> int:
        return self.cleaned_data["limit"] or 20
