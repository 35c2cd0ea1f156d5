"""An order's Instagram analytics as the dashboard shows them: per account, sparklines of
followers, reach and views, a larger followers chart, and the figures as a table."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.safestring import SafeString

from fulfillment.selectors import AccountAnalytics

from .charts import Point, line_chart, sparkline

METRICS = (("followers", "Followers"), ("reach", "Reach"), ("views", "Views"))


@dataclass(frozen=True)
class Metric:
    label: str
    baseline: int | None
    latest: int | None
    change: int | None
    svg: SafeString | None  # None: never measured for this account


@dataclass(frozen=True)
class AccountPanel:
    account: str
    baseline_on: object
    latest_on: object
    metrics: list[Metric]
    chart: SafeString
    rows: list  # SnapshotPoint, oldest first


def account_panels(analytics: list[AccountAnalytics]) -> list[AccountPanel]:
    return [_panel(index, item) for index, item in enumerate(analytics, start=1)]


def _panel(index: int, item: AccountAnalytics) -> AccountPanel:
    metrics = []
    for name, label in METRICS:
        points = [Point(p.on, getattr(p, name)) for p in item.points]
        baseline = getattr(item.baseline, name)
        latest = getattr(item.latest, name)
        measured = any(p.value is not None for p in points)
        metrics.append(
            Metric(
                label=label,
                baseline=baseline,
                latest=latest,
                change=item.change(name),
                svg=sparkline(
                    chart_id=f"spark-{index}-{name}",
                    title=f"{label} of {item.account}",
                    desc=_describe(label, item, name),
                    points=points,
                    baseline=baseline,
                )
                if measured
                else None,
            )
        )
    chart = line_chart(
        chart_id=f"chart-{index}-followers",
        title=f"Followers of {item.account} since purchase",
        desc=_describe("Followers", item, "followers"),
        points=[Point(p.on, p.followers) for p in item.points],
        baseline=Point(item.baseline.on, item.baseline.followers),
    )
    return AccountPanel(
        account=item.account,
        baseline_on=item.baseline.on,
        latest_on=item.latest.on,
        metrics=metrics,
        chart=chart,
        rows=item.points,
    )


def _describe(label: str, item: AccountAnalytics, name: str) -> str:
    first, last = item.points[0].on, item.latest.on
    text = f"{label} of {item.account}, {first:%d %b %Y} to {last:%d %b %Y}"
    baseline, latest, change = getattr(item.baseline, name), getattr(item.latest, name), None
    if baseline is not None:
        text += f": {baseline:,} at purchase ({item.baseline.on:%d %b %Y})"
    if latest is not None:
        text += f", {latest:,} on {last:%d %b %Y}"
        change = item.change(name)
    if change is not None:
        text += f", {change:+,} since purchase"
    return text + "."
