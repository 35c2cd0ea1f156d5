"""The site's URLs plus one page that refuses everyone, to show the 403 page."""

from django.core.exceptions import PermissionDenied
from django.urls import path

from smplat.urls import urlpatterns as site_urlpatterns


def forbidden(request):
    raise PermissionDenied("Staff only.")


urlpatterns = [path("forbidden/", forbidden), *site_urlpatterns]
