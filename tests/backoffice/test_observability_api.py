"""The operator observability API: the Prometheus exposition and catalog search insights,
both only for the operator API key."""

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.models import SearchEvent

from .test_metrics import samples, shop_day, value

pytestmark = pytest.mark.django_db

KEY = {"HTTP_X_API_KEY": "dev-checkout-key"}
ENDPOINTS = ["/api/v1/observability/prometheus", "/api/v1/observability/catalog-search"]


@pytest.mark.parametrize("url", ENDPOINTS)
def test_no_data_without_the_right_key(client, url):
    shop_day()
    missing = client.get(url)
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "api_key_missing"
    wrong = client.get(url, HTTP_X_API_KEY="not-the-key")
    assert wrong.status_code == 403
    assert wrong.json()["error"]["code"] == "api_key_invalid"
    for refused in (missing, wrong):
        assert b"smplat_" not in refused.content and b"followers" not in refused.content
    assert client.get(url, **KEY).status_code == 200


def test_the_prometheus_endpoint_serves_the_metrics_exposition(client, settings):
    settings.METRICS_TOKEN = "metrics-token-0123456789"  # the API key is its own lock
    shop_day()
    response = client.get("/api/v1/observability/prometheus", **KEY)
    assert response["Content-Type"].startswith("text/plain")
    found = samples(response.content.decode())
    assert value(found, "smplat_orders", status="pending") == 2
    assert value(found, "smplat_catalog_zero_result_searches_total") == 1


def searches():
    now = timezone.now()
    old = now - timedelta(days=30)
    SearchEvent.objects.bulk_create(
        [
            SearchEvent(query="followers", category="instagram", sort="price", result_count=5),
            SearchEvent(query="followers", category="instagram", sort="", result_count=5),
            SearchEvent(query="followers", category="", sort="", result_count=5),
            SearchEvent(query="likes", category="tiktok", sort="", result_count=2),
            SearchEvent(query="tiktok saves", category="tiktok", sort="", result_count=0),
            SearchEvent(query="tiktok saves", category="", sort="", result_count=0),
            SearchEvent(query="ancient", category="", sort="", result_count=0, created_at=old),
        ]
    )


def test_search_insights_count_by_query_category_and_sort(client, django_assert_max_num_queries):
    searches()
    with django_assert_max_num_queries(6):
        data = client.get("/api/v1/observability/catalog-search", **KEY).json()
    # The default window is the last week: the month-old search is not in it.
    assert data["searches"] == 6 and data["zero_results"] == 2 and data["limit"] == 20
    assert data["by_query"] == [
        {"query": "followers", "searches": 3, "zero_results": 0},
        {"query": "tiktok saves", "searches": 2, "zero_results": 2},
        {"query": "likes", "searches": 1, "zero_results": 0},
    ]
    assert data["by_category"] == [  # no category: searched from the whole catalog
        {"category": "", "searches": 2, "zero_results": 1},
        {"category": "instagram", "searches": 2, "zero_results": 0},
        {"category": "tiktok", "searches": 2, "zero_results": 1},
    ]
    assert data["by_sort"] == [
        {"sort": "", "searches": 5, "zero_results": 2},
        {"sort": "price", "searches": 1, "zero_results": 0},
    ]
    assert data["trending"] == [
        {"query": "followers", "searches": 3},
        {"query": "likes", "searches": 1},
    ]
    assert data["zero_result_queries"] == [
        {"query": "tiktok saves", "searches": 2, "suggested": ""}
    ]


def test_since_and_limit_narrow_the_report(client):
    searches()
    since = (timezone.now() - timedelta(days=60)).date().isoformat()
    data = client.get(
        "/api/v1/observability/catalog-search", {"since": since, "limit": 1}, **KEY
    ).json()
    assert data["searches"] == 7 and data["since"].startswith(since)
    assert data["by_query"] == [{"query": "followers", "searches": 3, "zero_results": 0}]
    assert data["zero_result_queries"] == [
        {"query": "tiktok saves", "searches": 2, "suggested": ""}
    ]

    later = (timezone.now() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    data = client.get("/api/v1/observability/catalog-search", {"since": later}, **KEY).json()
    assert data["searches"] == 0 and data["by_query"] == []


@pytest.mark.parametrize(
    "params, code",
    [
        ({"since": "last tuesday"}, "since_invalid"),
        ({"since": "2026-02-30"}, "since_invalid"),
        ({"limit": "0"}, "limit_invalid"),
        ({"limit": "101"}, "limit_invalid"),
        ({"limit": "ten"}, "limit_invalid"),
    ],
)
def test_bad_parameters_are_refused_with_a_stable_code(client, params, code):
    response = client.get("/api/v1/observability/catalog-search", params, **KEY)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
