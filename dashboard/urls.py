"""The client dashboard (`/dashboard/`): one sub-package per section, each with its own URLs."""

from django.urls import include, path

app_name = "dashboard"

urlpatterns = [
    path("", include("dashboard.overview.urls")),
    path("billing/", include("dashboard.billing.urls")),
    path("staff/", include("dashboard.staff.urls")),
]
