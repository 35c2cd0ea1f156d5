"""The common reseller-panel API: one URL, form POSTs with `key` and `action`, JSON replies."""

from __future__ import annotations

import requests
from django.conf import settings

from .base import PermanentError, RetryableError, StepContext, StepOutcome, WaitForStaff

# Remote status → finished? Anything else is still under way.
FINISHED = {"completed": True, "partial": True}
UNDER_WAY = {"pending", "in progress", "processing"}
CANCELED = {"canceled", "cancelled"}


class PanelError(RetryableError):
    """The panel answered {"error": …}."""


class UnknownOutcome(RetryableError):
    """The request reached the panel but no answer came back in time."""


# Panel errors that no retry can fix: the configuration or the order itself is wrong.
PERMANENT_ERRORS = (
    "invalid api key",
    "incorrect service",
    "incorrect link",
    "invalid link",
    "incorrect request",
)


class ProviderPanelClient:
    def __init__(self, *, url: str, key: str, timeout: float):
        if not url or not key:
            raise PermanentError("The provider panel is not configured (PROVIDER_PANEL_URL/KEY).")
        self.url, self.key, self.timeout = url, key, timeout

    def call(self, action: str, **params):
        try:
            response = requests.post(
                self.url, data={"key": self.key, "action": action, **params}, timeout=self.timeout
            )
        except (requests.ConnectionError, requests.ConnectTimeout) as exc:
            raise RetryableError(f"provider unreachable: {exc.__class__.__name__}") from exc
        except requests.Timeout as exc:
            raise UnknownOutcome(f"provider unreachable: {exc.__class__.__name__}") from exc
        except requests.RequestException as exc:
            raise RetryableError(f"provider unreachable: {exc.__class__.__name__}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise RetryableError(f"provider answered HTTP {response.status_code}")
        try:
            data = response.json()
        except ValueError as exc:
            raise RetryableError("provider answered something that is not JSON") from exc
        if isinstance(data, dict) and "error" in data:
            message = str(data["error"])
            if message.lower().startswith(PERMANENT_ERRORS):
                raise PermanentError(f"provider: {message}")
            raise PanelError(f"provider: {message}")
        return data

    def services(self) -> list[dict]:
        return self.call("services")

    def add(self, *, service: str, link: str, quantity: int) -> str:
        data = self.call("add", service=service, link=link, quantity=quantity)
        if not isinstance(data, dict) or "order" not in data:
            raise RetryableError("provider did not return an order id")
        return str(data["order"])

    def status(self, order_id: str) -> dict:
        return self.call("status", order=order_id)

    def statuses(self, order_ids: list[str]) -> dict[str, dict]:
        return self.call("status", orders=",".join(order_ids))

    def refill(self, order_id: str) -> dict:
        return self.call("refill", order=order_id)

    def cancel(self, order_ids: list[str]) -> list:
        return self.call("cancel", orders=",".join(order_ids))

    def balance(self) -> dict:
        return self.call("balance")


def _int(value) -> int | None:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


class ProviderPanelAdapter:
    def __init__(self, client: ProviderPanelClient | None = None):
        self._client = client

    @property
    def client(self) -> ProviderPanelClient:
        if self._client is None:
            self._client = ProviderPanelClient(
                url=settings.PROVIDER_PANEL_URL,
                key=settings.PROVIDER_PANEL_KEY,
                timeout=settings.PROVIDER_HTTP_TIMEOUT,
            )
        return self._client

    def run(self, context: StepContext) -> StepOutcome:
        poll = float(context.parameters.get("poll_seconds", 60))
        if not context.remote_id:
            service = context.parameters.get("service")
            if not service:
                raise PermanentError("This plan step has no provider `service` id.")
            quantity = int(context.parameters.get("units", 0)) or context.quantity * int(
                context.parameters.get("units_per_quantity", 1000)
            )
            try:
                remote_id = self.client.add(
                    service=str(service), link=context.target, quantity=quantity
                )
            except UnknownOutcome as exc:
                # Placing it again could buy the delivery twice: a person checks the panel.
                raise WaitForStaff(
                    f"The provider may have placed this order ({exc}). Check the panel, then "
                    "retry the step or force-complete it."
                ) from exc
            return StepOutcome(
                done=False,
                poll_after=poll,
                progress={"remote_id": remote_id, "quantity": quantity, "remains": quantity},
                result={"status": "Pending"},
            )
        data = self.client.status(context.remote_id)
        remote = str(data.get("status", "")).strip().lower()
        if remote in CANCELED:
            raise PermanentError(f"The provider canceled order {context.remote_id}.")
        if remote not in FINISHED and remote not in UNDER_WAY:
            raise RetryableError(f"unknown provider status {data.get('status')!r}")
        progress = {
            "start_count": _int(data.get("start_count")),
            "remains": _int(data.get("remains")),
        }
        # Panels report over-delivery as negative remains.
        progress = {k: max(v, 0) for k, v in progress.items() if v is not None}
        return StepOutcome(
            done=remote in FINISHED,
            poll_after=None if remote in FINISHED else poll,
            progress=progress,
            result={
                "status": data.get("status"),
                "charge": data.get("charge"),
                "currency": data.get("currency"),
            },
        )
