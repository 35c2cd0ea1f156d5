"""Small fakes of the outside services fulfillment talks to, served on 127.0.0.1.

`FakePanel` speaks the common reseller-panel API (one URL, form POSTs with `key` and
`action`, JSON answers with numbers as strings); `FakeGraph` answers the two Instagram Graph
API reads the Instagram adapter makes, with Graph's own error bodies. Both record every
request and can be told to misbehave, so the real `requests`-based client code runs in tests.
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: Message  # case-insensitive
    params: dict[str, str]  # the form body of a POST, the query string of a GET


@dataclass(frozen=True)
class Reply:
    status: int
    body: object  # JSON-encoded unless it is already a str
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False  # hold the answer back until the client gives up (or the fake stops)


class _FakeServer:
    """A ThreadingHTTPServer on a free port in a background thread; subclasses implement
    `respond(recorded) -> Reply` (called under a lock, from the server's threads)."""

    def __init__(self):
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._release = threading.Event()  # ends every held-back answer
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.origin = f"http://127.0.0.1:{self._server.server_port}"

    def start(self):
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def handle(self, recorded: Recorded) -> Reply:
        with self._lock:
            self.requests.append(recorded)
            return self.respond(recorded)

    def respond(self, recorded: Recorded) -> Reply:  # pragma: no cover - abstract
        raise NotImplementedError


def _handler_for(fake: _FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            path, _, query = self.path.partition("?")
            params = dict(parse_qsl(body or query, keep_blank_values=True))
            reply = fake.handle(Recorded(self.command, path, self.headers, params))
            if reply.hang:
                fake._release.wait(30)
            data = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
            data = data.encode()
            try:
                self.send_response(reply.status)
                content_type = "text/html" if isinstance(reply.body, str) else "application/json"
                self.send_header("Content-Type", f"{content_type}; charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client timed out and went away, as it should

        do_POST = do_GET

        def log_message(self, format, *args):  # keep test output quiet
            pass

    return Handler


# The reseller panel ------------------------------------------------------------------------

PANEL_PATH = "/api/v2"
PANEL_SERVICES = [
    {
        "service": 1,
        "name": "Instagram Followers [Real, 30 days refill]",
        "type": "Default",
        "category": "Instagram Followers",
        "rate": "0.90",
        "min": "50",
        "max": "10000",
        "refill": True,
        "cancel": True,
    },
    {
        "service": 2,
        "name": "Instagram Likes",
        "type": "Default",
        "category": "Instagram Likes",
        "rate": "0.12",
        "min": "10",
        "max": "50000",
        "refill": False,
        "cancel": False,
    },
]


def panel_step(status: str, start_count: int | None, remains: int | None) -> dict:
    """One answer to `action=status` for an order, numbers as strings like real panels send."""
    return {"status": status, "start_count": start_count, "remains": remains}


@dataclass
class PanelOrder:
    id: int
    service: int
    link: str
    quantity: int
    charge: str
    script: list[dict]
    polls: int = 0
    refills: int = 0

    def report(self) -> dict:
        """The next answer of its script (the last one repeats)."""
        step = self.script[min(self.polls, len(self.script) - 1)]
        self.polls += 1
        return {
            "charge": self.charge,
            "start_count": _str(step["start_count"]),
            "status": step["status"],
            "remains": _str(step["remains"]),
            "currency": "USD",
        }


def _str(value) -> str | None:
    return None if value is None else str(value)


class FakePanel(_FakeServer):
    """The common reseller-panel API (`/api/v2`).

    Every order follows a status script, one step per `status` call: by default
    Pending → In progress (half delivered) → Completed; `script()` sets the script of the
    next order placed. `fail_next()` answers HTTP errors, `hang_next()` holds answers back.
    """

    def __init__(self, *, key: str = "panel-test-key", balance: str = "100.00"):
        super().__init__()
        self.key = key
        self.url = f"{self.origin}{PANEL_PATH}"
        self.balance = float(balance)
        self.orders: dict[int, PanelOrder] = {}
        self._next_order = 23_501
        self._scripts: list[list[dict]] = []
        self._failures: list[tuple[Reply, bool]] = []  # (answer, was the request processed?)
        self._hangs: list[bool] = []  # one per request to hold back: was it processed?

    # Scripting ---------------------------------------------------------------------------

    def script(self, *steps: tuple[str, int | None, int | None]) -> None:
        """The next order placed reports these (status, start_count, remains), in turn."""
        self._scripts.append([panel_step(*s) for s in steps])

    def fail_next(
        self, count: int = 1, *, status: int = 500, body: object = None, processed: bool = False
    ) -> None:
        """Answer the next requests with `status` and `body`; `processed`: the panel did the
        work (placed the order) before it answered so."""
        body = (
            "<html><body><h1>500 Internal Server Error</h1></body></html>" if body is None else body
        )
        self._failures.extend([(Reply(status, body), processed)] * count)

    def hang_next(self, count: int = 1, *, processed: bool = False) -> None:
        """Hold back the next answers until the client times out; `processed`: the panel did
        the work (placed the order) before its answer got lost."""
        self._hangs.extend([processed] * count)

    def calls(self, action: str | None = None) -> list[dict[str, str]]:
        return [r.params for r in self.requests if action in (None, r.params.get("action"))]

    # Answers -------------------------------------------------------------------------------

    def respond(self, recorded: Recorded) -> Reply:
        if self._hangs:
            if not self._hangs.pop(0):
                return Reply(504, "<html>timeout</html>", hang=True)
            reply = self._answer(recorded)
            return Reply(reply.status, reply.body, reply.headers, hang=True)
        if self._failures:
            reply, processed = self._failures.pop(0)
            if processed:
                self._answer(recorded)
            return reply
        return self._answer(recorded)

    def _answer(self, recorded: Recorded) -> Reply:
        if recorded.path != PANEL_PATH:
            return Reply(404, "<html><body><h1>Not Found</h1></body></html>")
        form = recorded.params
        if form.get("key") != self.key:
            return Reply(200, {"error": "Invalid API key"})
        action = form.get("action")
        handler = {
            "services": self._services,
            "add": self._add,
            "status": self._status,
            "refill": self._refill,
            "cancel": self._cancel,
            "balance": self._balance,
        }.get(action)
        if handler is None:
            return Reply(200, {"error": "Incorrect request"})
        return Reply(200, handler(form))

    def _services(self, form):
        return PANEL_SERVICES

    def _add(self, form):
        service = next(
            (s for s in PANEL_SERVICES if str(s["service"]) == form.get("service")), None
        )
        if service is None:
            return {"error": "Incorrect service ID"}
        if not form.get("link"):
            return {"error": "Bad link"}
        try:
            quantity = int(form.get("quantity", ""))
        except ValueError:
            return {"error": "Incorrect quantity"}
        if quantity < int(service["min"]):
            return {"error": f"Quantity less than minimal {service['min']}"}
        if quantity > int(service["max"]):
            return {"error": f"Quantity more than maximum {service['max']}"}
        charge = float(service["rate"]) * quantity / 1000
        if charge > self.balance:
            return {"error": "Not enough funds on balance"}
        self.balance -= charge
        order_id, self._next_order = self._next_order, self._next_order + 1
        script = self._scripts.pop(0) if self._scripts else None
        self.orders[order_id] = PanelOrder(
            id=order_id,
            service=service["service"],
            link=form["link"],
            quantity=quantity,
            charge=f"{charge:.5f}",
            script=script
            or [
                panel_step("Pending", 0, quantity),
                panel_step("In progress", 1_000, quantity // 2),
                panel_step("Completed", 1_000, 0),
            ],
        )
        return {"order": order_id}

    def _order(self, order_id: str) -> PanelOrder | None:
        return self.orders.get(int(order_id)) if order_id.strip().isdigit() else None

    def _status(self, form):
        if "orders" in form:
            answers = {}
            for order_id in form["orders"].split(","):
                order = self._order(order_id)
                answers[order_id] = order.report() if order else {"error": "Incorrect order ID"}
            return answers
        order = self._order(form.get("order", ""))
        return order.report() if order else {"error": "Incorrect order ID"}

    def _refill(self, form):
        order = self._order(form.get("order", ""))
        if order is None:
            return {"error": "Incorrect order ID"}
        order.refills += 1
        return {"refill": str(order.id * 10 + order.refills)}

    def _cancel(self, form):
        answers = []
        for order_id in form.get("orders", "").split(","):
            order = self._order(order_id)
            if order is None:
                answers.append({"order": int(order_id), "cancel": {"error": "Incorrect order ID"}})
            else:
                order.script = [panel_step("Canceled", 0, order.quantity)]
                answers.append({"order": order.id, "cancel": 1})
        return answers

    def _balance(self, form):
        return {"balance": f"{self.balance:.5f}", "currency": "USD"}


# The Instagram Graph API -------------------------------------------------------------------

GRAPH_VERSION = "v21.0"
USER_FIELDS = {
    "id",
    "username",
    "name",
    "biography",
    "followers_count",
    "follows_count",
    "media_count",
    "profile_picture_url",
}
INSIGHT_TITLES = {
    "reach": ("Reach", "The number of unique accounts that have seen any of your posts."),
    "views": ("Views", "The number of times your content was played or displayed."),
    "profile_views": ("Profile Views", "Total number of users who have viewed your profile."),
    "follower_count": ("Follower Count", "Total number of new followers each day."),
}
# Metrics Graph gives only with metric_type=total_value (`impressions` is gone since 2025-04-21).
TOTAL_VALUE_ONLY = {"views", "profile_views"}
RATE_LIMIT_MESSAGES = {
    4: "(#4) Application request limit reached",
    17: "(#17) User request limit reached",
    32: "(#32) Page request limit reached",
    613: "(#613) Calls to this api have exceeded the rate limit.",
}


def graph_error(message: str, *, code: int, type: str = "OAuthException", **extra) -> dict:
    return {
        "error": {
            "message": message,
            "type": type,
            "code": code,
            **extra,
            "fbtrace_id": f"A{secrets.token_urlsafe(16)}",
        }
    }


class FakeGraph(_FakeServer):
    """The Instagram Graph API reads: an IG user's fields and its daily insights.

    Insights answer two daily points (yesterday's and today's), as Graph does for
    `period=day`, or today's `total_value` with `metric_type=total_value` (which `views` and
    `profile_views` require). A metric it does not know (`impressions`) or is told to
    `refuse()` makes it refuse the whole request, as Graph does. `expire_token()`,
    `rate_limit_next()` and `fail_next()` make it answer with Graph's error bodies.
    """

    def __init__(
        self, *, token: str = "IGQWRtest-access-token", user_id: str = "17841400000000001"
    ):
        super().__init__()
        self.token = token
        self.user_id = user_id
        self.url = f"{self.origin}/{GRAPH_VERSION}"
        self.account = {
            "username": "target.account",
            "name": "Target Account",
            "followers_count": 15_230,
            "follows_count": 312,
            "media_count": 87,
        }
        # (yesterday, today) for each metric
        self.insights = {
            "reach": (1_180, 1_234),
            "views": (2_600, 2_745),
            "profile_views": (95, 101),
            "follower_count": (12, 14),
        }
        self.token_expired = False
        self.refused: set[str] = set()  # metrics answered with a permission error
        self._failures: list[tuple[str | None, Reply]] = []  # (which call, answer)

    def refuse(self, *metrics: str) -> None:
        """Refuse every insights request that asks for one of `metrics` (no permission)."""
        self.refused.update(metrics)

    def expire_token(self) -> None:
        self.token_expired = True

    def rate_limit_next(
        self,
        count: int = 1,
        *,
        code: int = 4,
        status: int = 400,
        retry_after: int | None = None,
        on: str | None = None,
    ) -> None:
        """Answer the next `count` calls (`on`: only "account" or "insights" calls) with a
        rate-limit error, optionally with a Retry-After header."""
        body = graph_error(RATE_LIMIT_MESSAGES[code], code=code, is_transient=True)
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        self._failures.extend([(on, Reply(status, body, headers))] * count)

    def fail_next(
        self,
        count: int = 1,
        *,
        status: int = 500,
        on: str | None = None,
        message: str = "An unexpected error has occurred. Please retry your request later.",
    ) -> None:
        body = graph_error(message, code=2, is_transient=True)
        self._failures.extend([(on, Reply(status, body))] * count)

    def calls(self, path: str) -> list[dict[str, str]]:
        return [r.params for r in self.requests if r.path == f"/{GRAPH_VERSION}/{path}"]

    # Answers -------------------------------------------------------------------------------

    def respond(self, recorded: Recorded) -> Reply:
        params = recorded.params
        token = params.get("access_token")
        if not token:
            return Reply(
                400,
                graph_error(
                    "An active access token must be used to query information about the "
                    "current user.",
                    code=2500,
                ),
            )
        if token != self.token:
            return Reply(
                400, graph_error("Invalid OAuth access token - Cannot parse access token", code=190)
            )
        if self.token_expired:
            return Reply(
                400,
                graph_error(
                    "Error validating access token: Session has expired on Tuesday, "
                    "01-Jul-25 10:00:00 PDT. The current time is Wednesday, "
                    "02-Jul-25 03:12:45 PDT.",
                    code=190,
                    error_subcode=463,
                ),
            )
        call = "insights" if recorded.path.endswith("/insights") else "account"
        for position, (on, reply) in enumerate(self._failures):
            if on in (None, call):
                del self._failures[position]
                return reply
        parts = recorded.path.strip("/").split("/")
        if recorded.method != "GET" or not parts or parts[0] != GRAPH_VERSION:
            return Reply(400, graph_error("Unknown path components", code=2500))
        if parts[1:] == [self.user_id]:
            return self._user(params)
        if parts[1:] == [self.user_id, "insights"]:
            return self._insights(params)
        object_id = parts[1] if len(parts) > 1 else ""
        return Reply(
            400,
            graph_error(
                f"Unsupported get request. Object with ID '{object_id}' does not exist, cannot "
                "be loaded due to missing permissions, or does not support this operation.",
                type="GraphMethodException",
                code=100,
                error_subcode=33,
            ),
        )

    def _user(self, params) -> Reply:
        fields = [f for f in params.get("fields", "id").split(",") if f]
        for name in fields:
            if name not in USER_FIELDS:
                return Reply(
                    400,
                    graph_error(
                        f"(#100) Tried accessing nonexisting field ({name}) on node type (IGUser)",
                        code=100,
                    ),
                )
        data = {name: self.account[name] for name in fields if name in self.account}
        return Reply(200, {**data, "id": self.user_id})

    def _insights(self, params) -> Reply:
        metrics = [m for m in params.get("metric", "").split(",") if m]
        if not metrics:
            return Reply(
                400, graph_error("(#100) The value must be a valid insights metric", code=100)
            )
        for position, name in enumerate(metrics):
            if name not in self.insights:
                return Reply(
                    400,
                    graph_error(
                        f"(#100) metric[{position}] must be one of the following values: "
                        + ", ".join(self.insights),
                        code=100,
                    ),
                )
        if params.get("period") != "day":
            return Reply(
                400,
                graph_error(
                    "(#100) Incompatible period for the requested metrics: use period=day",
                    code=100,
                ),
            )
        refused = [name for name in metrics if name in self.refused]
        if refused:
            return Reply(
                403,
                graph_error("(#10) Application does not have permission for this action", code=10),
            )
        total_value = params.get("metric_type") == "total_value"
        series_only = [name for name in metrics if name in TOTAL_VALUE_ONLY]
        if not total_value and series_only:
            return Reply(
                400,
                graph_error(
                    f"(#100) The following metrics ({', '.join(series_only)}) should be "
                    "specified with parameter metric_type=total_value",
                    code=100,
                ),
            )
        today = datetime.combine(datetime.now(UTC).date(), time(7), tzinfo=UTC)
        ends = [today - timedelta(days=1), today]
        data = [
            {
                "name": name,
                "period": "day",
                **(
                    {"total_value": {"value": self.insights[name][-1]}}
                    if total_value
                    else {
                        "values": [
                            {"value": value, "end_time": end.strftime("%Y-%m-%dT%H:%M:%S+0000")}
                            for value, end in zip(self.insights[name], ends, strict=True)
                        ]
                    }
                ),
                "title": INSIGHT_TITLES[name][0],
                "description": INSIGHT_TITLES[name][1],
                "id": f"{self.user_id}/insights/{name}/day",
            }
            for name in metrics
        ]
        since, until = int(ends[0].timestamp()), int(today.timestamp())
        base = f"{self.url}/{self.user_id}/insights?access_token={self.token}"
        paging = {
            "previous": f"{base}&since={since - 172_800}&until={until - 172_800}",
            "next": f"{base}&since={since + 172_800}&until={until + 172_800}",
        }
        return Reply(200, {"data": data, "paging": paging})
