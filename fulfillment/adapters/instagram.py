"""Instagram Graph API: account figures and insights, stored as daily snapshots."""

from __future__ import annotations

import requests
from django.conf import settings

from .base import PermanentError, RetryableError, Snapshot, StepContext, StepOutcome

RATE_LIMIT_CODES = {4, 17, 32, 613}
EXPIRED_TOKEN_CODE = 190


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
        message = (error or {}).get("message", f"HTTP {response.status_code}")
        if code == EXPIRED_TOKEN_CODE:
            raise PermanentError(
                "The Instagram access token expired or was revoked; reconnect the account. "
                f"({message})"
            )
        if code in RATE_LIMIT_CODES or response.status_code == 429:
            retry_after = response.headers.get("Retry-After")
            raise RetryableError(
                f"Instagram rate limit: {message}",
                retry_after=float(retry_after) if retry_after and retry_after.isdigit() else None,
            )
        if response.status_code >= 500:
            raise RetryableError(f"Instagram error: {message}")
        raise PermanentError(f"Instagram refused the request: {message}")

    def run(self, context: StepContext) -> StepOutcome:
        user_id = context.parameters.get("ig_user_id") or settings.INSTAGRAM_USER_ID
        if not user_id:
            raise PermanentError("No Instagram user id for this account (ig_user_id).")
        account = self._get(
            str(user_id), fields="username,followers_count,follows_count,media_count"
        )
        insights = self._get(
            f"{user_id}/insights", metric="reach,impressions,profile_views", period="day"
        )
        values = {}
        for metric in insights.get("data", []):
            points = metric.get("values") or []
            if points:
                values[metric.get("name")] = int(points[-1].get("value") or 0)
        snapshot = Snapshot(
            account=context.target,
            followers=int(account.get("followers_count") or 0),
            follows=int(account.get("follows_count") or 0),
            media_count=int(account.get("media_count") or 0),
            reach=values.get("reach"),
            impressions=values.get("impressions"),
            profile_views=values.get("profile_views"),
        )
        return StepOutcome(
            done=True, snapshot=snapshot, result={"username": account.get("username")}
        )
