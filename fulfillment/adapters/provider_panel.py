"""The common reseller-panel API: one URL, form POSTs with `key` and `action`, JSON replies."""

from __future__ import annotations

import requests
from django.conf import settings
from urllib3.exceptions import NewConnectionError

from .base import (
    PermanentError,
    RetryableError,
    StepContext,
    StepOutcome,
    WaitForStaff,
    redacted,
)

# Remote status → finished? Anything else is still under way.
FINISHED = {"completed": True, "partial": True}
UNDER_WAY = {"pending", "in progress", "processing"}
CANCELED = {"canceled", "cancelled"}


class PanelError(RetryableError):
    """The panel answered {"error": …}: it refused the request, so nothing was done."""


class UnknownOutcome(RetryableError):
    """The request may have reached the panel, but what came back is not one of its documented
    answers (a 5xx, no answer in time, a dropped connection, a body that is not its JSON): the
    panel may or may not have acted on it. Repeating a status query is harmless; repeating an
    `add` could buy the delivery twice."""


# Panel errors that no retry can fix: the configuration or the order itself is wrong.
PERMANENT_ERRORS = (
    "invalid api key",
    "incorrect service",
    "incorrect link",
    "invalid link",
    "incorrect request",
)
# 4xx answers that ask to come back later; other 4xx refuse the request outright.
TRY_LATER = (408, 429)


def _never_connected(exc: requests.ConnectionError) -> bool:
    """Refused or unresolvable: the connection failed before any byte of the request left."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError)


class ProviderPanelClient:
    def __init__(self, *, url: str, key: str, timeout: float):
        if not url or not key:
            raise PermanentError("The provider panel is not configured (PROVIDER_PANEL_URL/KEY).")
        self.url, self.key, self.timeout = url, key, timeout

    def call(self, action: str, **params):
        """The panel's JSON answer. Raises RetryableError when the panel clearly did nothing
        (unreachable, a documented error, a 4xx) and UnknownOutcome when it may have."""
        try:
            response = requests.post(
                self.url, data={"key": self.key, "action": action, **params}, timeout=self.timeout
            )
        except requests.ConnectTimeout as exc:
            raise RetryableError(f"provider unreachable: {exc.__class__.__name__}") from exc
        except requests.Timeout as exc:
            raise UnknownOutcome(
                f"provider sent no answer within {self.timeout:g} s ({exc.__class__.__name__})"
            ) from exc
        except requests.ConnectionError as exc:
            if _never_connected(exc):
                raise RetryableError(f"provider unreachable: {exc.__class__.__name__}") from exc
            raise UnknownOutcome(
                f"the connection to the provider broke off ({exc.__class__.__name__})"
            ) from exc
        except requests.RequestException as exc:
            if isinstance(exc, ValueError):  # an invalid URL: raised before sending anything
                raise PermanentError(f"PROVIDER_PANEL_URL is not usable: {exc}") from exc
            raise UnknownOutcome(f"provider answer unreadable ({exc.__class__.__name__})") from exc
        status = response.status_code
        if status >= 500:
            raise UnknownOutcome(f"provider answered HTTP {status}")
        if status in TRY_LATER:
            raise RetryableError(f"provider answered HTTP {status}")
        try:
            data = response.json()
        except ValueError as exc:
            if status >= 400:
                raise RetryableError(f"provider refused the request with HTTP {status}") from exc
            raise UnknownOutcome("provider answered something that is not JSON") from exc
        if isinstance(data, dict) and "error" in data:
            message = redacted(str(data["error"]), self.key)
            if message.lower().startswith(PERMANENT_ERRORS):
                raise PermanentError(f"provider: {message}")
            raise PanelError(f"provider: {message}")
        if status >= 400:
            raise RetryableError(f"provider refused the request with HTTP {status}")
        return data

    def services(self) -> list[dict]:
        return self.call("services")

    def add(self, *, service: str, link: str, quantity: int) -> str:
        """Place an order once: only a clear refusal may be retried, anything else raises
        UnknownOutcome."""
        data = self.call("add", service=service, link=link, quantity=quantity)
        order = data.get("order") if isinstance(data, dict) else None
        # An id is a number or a string; anything else ({"id": …}, true) is not the reply.
        if (
            isinstance(order, bool)
            or not isinstance(order, int | str)
            or not str(order or "").strip()
        ):
            raise UnknownOutcome("provider answered `add` without an order id")
        return str(order).strip()

    def status(self, order_id: str) -> dict:
        data = self.call("status", order=order_id)
        if not isinstance(data, dict):
            raise UnknownOutcome(
                "provider answered `status` with something that is not an order's status"
            )
        return data

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


INTERRUPTED = (
    "The previous run stopped during its call to the provider (its worker stopped or its lease "
    "ran out before the answer was recorded)."
)


def _look_on_the_panel(cause: str, service, quantity: int, context: StepContext) -> str:
    return (
        f"{cause} The panel may have placed this order, so it was not sent again. Look on the "
        f"panel for service {service}, quantity {quantity}, link {context.target}: if it is "
        "there, force-complete this step; if it is not, retry the step."
    )


class ProviderPanelAdapter:
    """Places an order with `add`, then polls its `status`. An `add` whose answer may be lost —
    an unknown outcome, or a previous run lost mid-step (`context.interrupted`) before it stored
    a `remote_id` — waits for staff instead of being sent again."""

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
            # Sending an `add` again could buy the delivery twice: a person looks at the panel.
            if context.interrupted:
                raise WaitForStaff(_look_on_the_panel(INTERRUPTED, service, quantity, context))
            try:
                remote_id = self.client.add(
                    service=str(service), link=context.target, quantity=quantity
                )
            except UnknownOutcome as exc:
                cause = f"Unknown outcome: {exc}."
                raise WaitForStaff(_look_on_the_panel(cause, service, quantity, context)) from exc
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
