"""`manage.py export_catalog_insights`: what was searched, per query, for merchandisers."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from catalog.models import SearchEvent

pytestmark = pytest.mark.django_db


def search(query, *, results=3, category="", sort="relevance", days_ago=1.0):
    SearchEvent.objects.create(
        query=query,
        category=category,
        sort=sort,
        result_count=results,
        created_at=timezone.now() - timedelta(days=days_ago),
    )


@pytest.fixture
def searches():
    for _ in range(3):
        search("instagram growth", category="instagram")
    search("instagram growth", results=0, category="tiktok", sort="price_asc", days_ago=0.5)
    search("instagram growth", days_ago=2)
    search("reels", results=0)
    search("=cmd|' /C calc'!A0", results=0, days_ago=0.1)
    search("old query", days_ago=30)
    search("", days_ago=0.2)  # a filter without a query is no search for a term


def export(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("export_catalog_insights", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def since(days=7) -> str:
    return (timezone.now() - timedelta(days=days)).date().isoformat()


def test_csv_has_one_row_per_query_most_searched_first(searches):
    text, progress = export("--since", since())
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["Query"] for row in rows][:1] == ["instagram growth"]
    assert {row["Query"] for row in rows} == {"instagram growth", "reels", "'=cmd|' /C calc'!A0"}
    top = rows[0]
    assert (top["Searches"], top["Zero-result searches"]) == ("5", "1")
    assert top["Categories"] == "instagram 3; (all) 1; tiktok 1 (1 without results)"
    assert top["Sorts"] == "relevance 4; price_asc 1 (1 without results)"
    assert top["First searched"] < top["Last searched"]
    assert progress.strip().splitlines() == ["3 of 3 queries"]


def test_a_query_that_looks_like_a_formula_is_text_in_the_csv(searches):
    text, _ = export("--since", since(), "--format", "csv")
    assert "'=cmd|' /C calc'!A0" in text
    assert ",=cmd" not in text and "\n=cmd" not in text


def test_json_is_nested_per_query_with_totals(searches):
    text, _ = export("--since", since(), "--format", "json")
    body = json.loads(text)
    assert body["queries"] == 3 and body["since"].startswith(since())
    top = body["results"][0]
    assert top["query"] == "instagram growth" and top["searches"] == 5
    assert top["by_category"][0] == {"category": "instagram", "searches": 3, "zero_results": 0}
    assert top["by_sort"][1] == {"sort": "price_asc", "searches": 1, "zero_results": 1}
    reels = next(r for r in body["results"] if r["query"] == "reels")
    assert reels["zero_results"] == 1 and reels["last_searched"].endswith("+00:00")


def test_older_searches_are_left_out_and_an_empty_period_is_valid_json():
    search("old query", days_ago=30)
    body = json.loads(export("--since", since(), "--format", "json")[0])
    assert body["results"] == [] and body["queries"] == 0


def test_output_file(searches, tmp_path):
    target = tmp_path / "insights.json"
    out, err = export("--since", since(), "--format", "json", "--output", str(target))
    assert out == "" and json.loads(target.read_text())["queries"] == 3
    assert f"Wrote 3 queries to {target}" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "last week"], "'last week' is not a date"),
        (["--since", "2999-12-31T10:00"], "is in the future"),
        (["--since", "2026-01-01", "--format", "xml"], "invalid choice: 'xml'"),
        (["--format", "csv"], "the following arguments are required: --since"),
    ],
)
def test_bad_arguments_are_refused_clearly(args, message):
    with pytest.raises(CommandError, match=message):
        export(*args)


def test_reads_in_one_query_plus_the_count(searches, django_assert_num_queries):
    with django_assert_num_queries(2):
        export("--since", since())
