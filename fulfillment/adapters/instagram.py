"""Instagram Graph API: account figures and insights, stored as daily snapshots.

Insights are asked for as `total_value` metrics (`views` replaced `impressions`, which Meta
removed from every Graph API version on 2025-04-21). Graph refuses a whole insights request
when it refuses one of its metrics, so a refused request is asked again one metric at a time:
a metric Graph will not give is left empty, and the others still reach the snapshot.
"""

from __future__ import annotations

import requests
from django.conf import settings

from .base import (
    PermanentError,
    RetryableError,
    Snapshot,
    StepContext,
    StepOutcome,
    redacted,
)

RATE_LIMIT_CODES = {4, 17, 32, 613}
EXPIRED_TOKEN_CODE = 190
INSIGHT_METRICS = ("reach", "views", "profile_views")


class Refused(PermanentError):
    """Graph refused this request (an unknown metric or field, a missing permission)."""


class InstagramAdapter:
    def __init__(self, *, base_url: str | None = None, token: str | None = None):
        self.base_url = (base_url or settings.INSTAGRAM_GRAPH_URL).rstrip("/")
        self.token = token if token is not None else settings.INSTAGRAM_ACCESS_TOKEN

    def _get(self, path: str, **params) -> dict:
        if not self.token:
            raise PermanentError(
                "No Instagram access token is configured (INSTAGRAM_ACCESS_TOKEN)."
            )
        try:
            response = requests.get(
                f"{self.base_url}/{path}",
                params={**params, "access_token": self.token},
                timeout=settings.PROVIDER_HTTP_TIMEOUT,
            )
        except requests.RequestException as exc:
            raise RetryableError(f"Instagram unreachable: {exc.__class__.__name__}") from exc
        try:
            data = response.json()
        except ValueError:
            data = {}
        error = data.get("error") if isinstance(data, dict) else None
        if response.status_code == 200 and not error:
            return data
        code = (error or {}).get("code")
        message = redacted(
            str((error or {}).get("message", f"HTTP {response.status_code}")), self.token
        )
        if code == EXPIRED_TOKEN_CODE:
            raise PermanentError(
                "The Instagram access token expired or was revoked; reconnect the account. "
                f"({message})"
            )
        if code in RATE_LIMIT_CODES or response.status_code == 429:
            retry_after = response.headers.get("Retry-After")
            raise RetryableError(
                f"Instagram rate limit: {message}",
                retry_after=(
                    float(retry_after)
                    if retry_after and retry_after.isascii() and retry_after.isdigit()
                    else None
                ),
            )
        if response.status_code >= 500:
            raise RetryableError(f"Instagram error: {message}")
        raise Refused(f"Instagram refused the request: {message}")

    def run(self, context: StepContext) -> StepOutcome:
        user_id = context.parameters.get("ig_user_id") or settings.INSTAGRAM_USER_ID
        if not user_id:
            raise PermanentError("No Instagram user id for this account (ig_user_id).")
        account = self._get(
            str(user_id), fields="username,followers_count,follows_count,media_count"
        )
        # Without the count there is no measurement: zero would read as every follower lost.
        if account.get("followers_count") is None:
            raise RetryableError("Instagram answered without followers_count")
        values, refused = self._insights(str(user_id))
        snapshot = Snapshot(
            account=context.target,
            followers=int(account["followers_count"]),
            follows=int(account.get("follows_count") or 0),
            media_count=int(account.get("media_count") or 0),
            reach=values.get("reach"),
            views=values.get("views"),
            profile_views=values.get("profile_views"),
        )
        result = {"username": account.get("username")}
        if refused:
            result["refused_metrics"] = refused
        return StepOutcome(done=True, snapshot=snapshot, result=result)

    def _insights(self, user_id: str) -> tuple[dict[str, int], list[str]]:
        """({metric: today's value}, metrics Graph refused)."""
        try:
            return _values(self._ask_insights(user_id, INSIGHT_METRICS)), []
        except Refused:
            pass
        values, refused = {}, []
        for metric in INSIGHT_METRICS:
            try:
                values.update(_values(self._ask_insights(user_id, (metric,))))
            except Refused:
                refused.append(metric)
        return values, refused

    def _ask_insights(self, user_id: str, metrics: tuple[str, ...]) -> dict:
        return self._get(
            f"{user_id}/insights",
            metric=",".join(metrics),
            metric_type="total_value",
            period="day",
        )


def _values(insights: dict) -> dict[str, int]:
    """Each metric's figure: its `total_value`, or the last point of a time series."""
    values = {}
    for metric in insights.get("data", []):
        total = metric.get("total_value")
        points = metric.get("values") or []
        if isinstance(total, dict) and total.get("value") is not None:
            values[metric.get("name")] = int(total["value"])
        elif points:
            values[metric.get("name")] = int(points[-1].get("value") or 0)
    return values
