"""A small fake of Stripe's API on 127.0.0.1, so the real `stripe` client runs in tests.

It answers the calls the Stripe gateway makes (create, expire and retrieve a Checkout Session,
refund a payment intent, list the invoice payments of a payment intent), replays idempotent
requests like Stripe, checks the secret key and Stripe's `expires_at` window, and can be told
to fail the next requests with Stripe-shaped errors, or to lose its answer to the next one.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from dataclasses import dataclass
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

from tests.checkout.factories import stripe_fixture

EXPIRE_PATH = re.compile(r"/v1/checkout/sessions/(?P<id>[^/]+)/expire")
SESSION_PATH = re.compile(r"/v1/checkout/sessions/(?P<id>[^/]+)")


@dataclass(frozen=True)
class Recorded:
    """One request as Stripe would see it; `params` keeps Stripe's flat `a[0][b]` keys."""

    method: str
    path: str
    headers: Message  # case-insensitive: headers["Idempotency-Key"], headers["Authorization"]
    params: dict[str, str]


def stripe_error(type_: str, message: str, **extra) -> dict:
    return {"error": {"type": type_, "message": message, **extra}}


class FakeStripe:
    def __init__(self):
        self.requests: list[Recorded] = []
        self.sessions: dict[str, dict] = {}
        self.invoice_payments: dict[str, str] = {}  # payment intent id -> invoice id
        self.refunds: list[dict] = []  # refunds actually made
        self._lose_next_answer = False
        self._replays: dict[str, tuple[str, dict, int, dict]] = {}
        self._failures: list[tuple[int, dict]] = []
        self._stalls: list[float] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.url = f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> FakeStripe:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def fail_next(
        self,
        count: int,
        *,
        status: int = 500,
        type: str = "api_error",
        message: str = "Something went wrong on Stripe's end.",
        **extra,
    ) -> None:
        """Answer the next `count` requests with this error (the client retries 5xx itself)."""
        self._failures.extend([(status, stripe_error(type, message, **extra))] * count)

    def stall_next(self, count: int, *, seconds: float) -> None:
        """Carry out the next `count` requests but answer each only after `seconds`."""
        self._stalls.extend([seconds] * count)

    def lose_next_answer(self) -> None:
        """Carry out the next request but answer 500, as when the reply is lost on the way."""
        self._lose_next_answer = True

    def pay(self, session_id: str) -> dict:
        """The customer pays the session on Stripe's page."""
        session = self.sessions[session_id]
        session.update(
            status="complete", payment_status="paid", payment_intent=f"pi_{secrets.token_hex(12)}"
        )
        return session

    def calls(self, method: str, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path == path]

    # Request handling (called from the server's threads) -------------------------------

    def handle(self, recorded: Recorded) -> tuple[int, dict, dict[str, str]]:
        with self._lock:
            self.requests.append(recorded)
            if self._failures:
                status, body = self._failures.pop(0)
                return status, body, {}
            if not (recorded.headers.get("Authorization") or "").startswith("Bearer sk_test_"):
                return 401, stripe_error("invalid_request_error", "Invalid API Key provided."), {}
            key = recorded.headers.get("Idempotency-Key")
            if key and key in self._replays:
                return self._replay(key, recorded)
            status, body = self._route(recorded)
            if key and recorded.method == "POST":
                self._replays[key] = (recorded.path, recorded.params, status, body)
            if self._lose_next_answer:
                self._lose_next_answer = False
                return 500, stripe_error("api_error", "The answer was lost."), {}
            return status, body, {}

    def _replay(self, key: str, recorded: Recorded):
        path, params, status, body = self._replays[key]
        if (path, params) != (recorded.path, recorded.params):
            return (
                400,
                stripe_error(
                    "idempotency_error",
                    "Keys for idempotent requests can only be used with the same parameters "
                    f"they were first used with. Try using a key other than '{key}'.",
                ),
                {},
            )
        return status, body, {"Idempotent-Replayed": "true"}

    def _route(self, recorded: Recorded) -> tuple[int, dict]:
        if recorded.method == "POST" and recorded.path == "/v1/checkout/sessions":
            return self._create_session(recorded.params)
        match = EXPIRE_PATH.fullmatch(recorded.path)
        if recorded.method == "POST" and match:
            return self._expire_session(match["id"])
        match = SESSION_PATH.fullmatch(recorded.path)
        if recorded.method == "GET" and match:
            return self._retrieve_session(match["id"])
        if recorded.method == "POST" and recorded.path == "/v1/refunds":
            return self._refund(recorded.params)
        if recorded.method == "GET" and recorded.path == "/v1/invoice_payments":
            return self._list_invoice_payments(recorded.params)
        message = f"Unrecognized request URL ({recorded.method}: {recorded.path})."
        return 404, stripe_error("invalid_request_error", message)

    def _create_session(self, params: dict[str, str]) -> tuple[int, dict]:
        now = int(time.time())
        expires_at = int(params.get("expires_at", now + 86_400))
        if not now + 30 * 60 <= expires_at <= now + 24 * 3600:
            return 400, stripe_error(
                "invalid_request_error",
                "The `expires_at` timestamp must be between 30 minutes and 24 hours "
                "after Checkout Session creation.",
                param="expires_at",
            )
        lines = _line_items(params)
        session_id = f"cs_test_{secrets.token_hex(24)}"
        total = sum(int(li["price_data[unit_amount]"]) * int(li["quantity"]) for li in lines)
        session = {
            **stripe_fixture("checkout_session"),
            "id": session_id,
            "url": f"https://checkout.stripe.com/c/pay/{session_id}",
            "status": "open",
            "payment_status": "unpaid",
            "payment_intent": None,
            "created": now,
            "expires_at": expires_at,
            "mode": params.get("mode", "payment"),
            "client_reference_id": params.get("client_reference_id"),
            "customer_email": params.get("customer_email"),
            "metadata": _nested(params, "metadata"),
            "success_url": params.get("success_url"),
            "cancel_url": params.get("cancel_url"),
            "currency": lines[0]["price_data[currency]"] if lines else None,
            "amount_subtotal": total,
            "amount_total": total,
        }
        self.sessions[session_id] = session
        return 200, session

    def _missing_session(self, session_id: str) -> tuple[int, dict]:
        return 404, stripe_error(
            "invalid_request_error",
            f"No such checkout.session: '{session_id}'",
            code="resource_missing",
            param="session",
        )

    def _retrieve_session(self, session_id: str) -> tuple[int, dict]:
        session = self.sessions.get(session_id)
        return (200, session) if session else self._missing_session(session_id)

    def _refund(self, params: dict[str, str]) -> tuple[int, dict]:
        intent = params.get("payment_intent", "")
        if not intent.startswith("pi_"):
            return 400, stripe_error(
                "invalid_request_error",
                "Provide a payment intent or charge.",
                param="payment_intent",
            )
        if any(refund["payment_intent"] == intent for refund in self.refunds):
            return 400, stripe_error(
                "invalid_request_error",
                f"Charge for {intent} has already been refunded.",
                code="charge_already_refunded",
            )
        refund = {
            **stripe_fixture("refund"),
            "id": f"re_{secrets.token_hex(12)}",
            "amount": int(params["amount"]),
            "payment_intent": intent,
            "reason": params.get("reason"),
            "metadata": _nested(params, "metadata"),
            "created": int(time.time()),
        }
        self.refunds.append(refund)
        return 200, refund

    def _expire_session(self, session_id: str) -> tuple[int, dict]:
        session = self.sessions.get(session_id)
        if session is None:
            return self._missing_session(session_id)
        if session["status"] != "open":
            return 400, stripe_error(
                "invalid_request_error",
                'Only Checkout Sessions with a status in ["open"] can be expired.',
            )
        session["status"] = "expired"
        return 200, session

    def _list_invoice_payments(self, params: dict[str, str]) -> tuple[int, dict]:
        intent = params.get("payment[payment_intent]", "")
        if params.get("payment[type]") != "payment_intent" or not intent:
            return 400, stripe_error("invalid_request_error", "Filter by payment.")
        invoice = self.invoice_payments.get(intent)
        data = [
            {
                "id": f"inpay_{intent}",
                "object": "invoice_payment",
                "invoice": invoice,
                "is_default": True,
                "livemode": False,
                "payment": {"type": "payment_intent", "payment_intent": intent},
                "status": "paid",
            }
        ]
        return 200, {
            "object": "list",
            "url": "/v1/invoice_payments",
            "has_more": False,
            "data": data if invoice else [],
        }


def _nested(params: dict[str, str], prefix: str) -> dict[str, str]:
    """`metadata[order_id]=7` → {"order_id": "7"} (one level, as metadata is)."""
    start = f"{prefix}["
    return {k[len(start) : -1]: v for k, v in params.items() if k.startswith(start)}


def _line_items(params: dict[str, str]) -> list[dict[str, str]]:
    """Each `line_items[i][…]` group as a dict keyed by the rest of the name."""
    lines = []
    while any(k.startswith(f"line_items[{len(lines)}]") for k in params):
        prefix = f"line_items[{len(lines)}]"
        lines.append(
            {
                re.sub(r"^\[([^\]]+)\]", r"\1", k[len(prefix) :]): v
                for k, v in params.items()
                if k.startswith(prefix)
            }
        )
    return lines


def _handler_for(fake: FakeStripe) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self._answer()

        do_POST = do_DELETE = do_GET

        def _answer(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            path, _, query = self.path.partition("?")
            params = dict(parse_qsl(body or query, keep_blank_values=True))
            status, payload, headers = fake.handle(
                Recorded(self.command, path, self.headers, params)
            )
            with fake._lock:
                stall = fake._stalls.pop(0) if fake._stalls else 0
            time.sleep(stall)  # recorded (and carried out) first: only the answer is late
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Request-Id", f"req_{secrets.token_hex(7)}")
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format, *args):  # keep test output quiet
            pass

    return Handler
