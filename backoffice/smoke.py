"""What the smoke checks share: timed steps, two ways of reaching the site (the real views in
this process through Django's test client, or a deployment over HTTP), a storefront checkout
driven through the forms as a browser sends them, and the in-process sandbox that leaves no
trace.

Every failure is a `SmokeFailed` with a one-line reason; the commands turn it into an error
exit.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.http.request import validate_host
from django.test import Client
from django.test.utils import override_settings

from catalog.models import Category, Product
from catalog.selectors import pricing_version_forget
from fulfillment.models import PlanStep

SMOKE_EMAIL = "smoke-check@example.com"


class SmokeFailed(Exception):
    """A step did not do what it should; the message says what happened instead."""


# Steps -------------------------------------------------------------------------------------


class Steps:
    """Runs named steps, writing each with its time: `ok` or `FAIL` and the reason."""

    def __init__(self, write: Callable[[str], None]):
        self.write = write
        self.count = 0
        self.started = time.perf_counter()

    def __call__(self, name: str, action: Callable, *args, **kwargs):
        began = time.perf_counter()
        try:
            result = action(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - any failure is the step's, with its reason
            reason = exc if isinstance(exc, SmokeFailed) else f"{type(exc).__name__}: {exc}"
            self.write(f"  FAIL {name} ({_ms(began)}): {reason}")
            raise SmokeFailed(f"{name}: {reason}") from None
        self.count += 1
        self.write(f"  ok   {name} ({_ms(began)})")
        return result

    def summary(self) -> str:
        return f"{self.count} steps in {time.perf_counter() - self.started:.1f} s"


def _ms(began: float) -> str:
    return f"{(time.perf_counter() - began) * 1000:.0f} ms"


# Reaching the site -------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    method: str
    path: str
    status: int
    location: str
    text: str
    error: str = ""  # in process: the exception behind a 500

    def expect(self, *statuses: int) -> Answer:
        if self.status not in statuses:
            raise SmokeFailed(f"{self.method} {self.path} answered {self.status}{self._why()}")
        return self

    def json(self) -> dict:
        try:
            body = json.loads(self.text)
        except ValueError:
            raise SmokeFailed(
                f"{self.method} {self.path} answered {self.status} with something that is "
                f"not JSON: {self.text[:60]!r}"
            ) from None
        if not isinstance(body, dict):
            raise SmokeFailed(f"{self.method} {self.path} answered JSON that is not an object")
        return body

    def _why(self) -> str:
        if self.error:
            return f" ({self.error})"
        if 300 <= self.status < 400:  # such as http:// sent on to https://
            return f", to {self.location}"
        try:
            body = json.loads(self.text)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return f", body starts {self.text[:60]!r}" if self.text else ""
        if isinstance(body.get("error"), dict):
            error = body["error"]
            refused = "the API key was refused " if self.status in (401, 403) else ""
            return f": {refused}({error.get('code')}: {error.get('message')})"
        if body.get("reasons"):
            return f": {body.get('status', '')} ({'; '.join(map(str, body['reasons']))})"
        return ""


class InProcess:
    """The real views in this process through Django's test client (WSGI, no port), with
    CSRF checked as for a browser."""

    def __init__(self):
        host = "testserver"
        if not validate_host(host, settings.ALLOWED_HOSTS):
            host = next((h.lstrip(".") for h in settings.ALLOWED_HOSTS if h != "*"), "localhost")
        secure = settings.SECURE_SSL_REDIRECT
        self.origin = f"{'https' if secure else 'http'}://{host}"
        self.client = Client(
            enforce_csrf_checks=True, raise_request_exception=False, HTTP_HOST=host, secure=secure
        )

    def request(self, method: str, path: str, *, data=None, api_key: str = "") -> Answer:
        headers = {"Origin": self.origin, "Referer": self.origin + "/"}
        if api_key:
            headers["X-API-Key"] = api_key
        call = self.client.post if method == "POST" else self.client.get
        response = call(path, data or {}, headers=headers)
        text = b"".join(response.streaming_content) if response.streaming else response.content
        error = response.exc_info[1] if response.exc_info else None
        return Answer(
            method,
            path,
            response.status_code,
            response.get("Location", ""),
            text.decode(),
            error=f"{type(error).__name__}: {error}" if error else "",
        )


class OverHttp:
    """A deployment at `base_url`, with cookies kept between requests as a browser does."""

    def __init__(self, base_url: str, *, timeout: float):
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise SmokeFailed(f"{base_url!r} is not an http(s) URL")
        self.base = base_url.rstrip("/")
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "smplat-smoke-check"

    def request(self, method: str, path: str, *, data=None, api_key: str = "") -> Answer:
        url = path if "://" in path else self.base + path
        headers = {"Origin": self.origin, "Referer": self.base + "/"}
        if api_key:
            headers["X-API-Key"] = api_key
        try:
            response = self.session.request(
                method, url, data=data, headers=headers, timeout=self.timeout, allow_redirects=False
            )
        except requests.Timeout:
            raise SmokeFailed(f"{method} {path}: no answer within {self.timeout:g} s") from None
        except requests.RequestException as exc:
            raise SmokeFailed(f"{method} {path}: {_reason(exc)}") from None
        return Answer(
            method, path, response.status_code, response.headers.get("Location", ""), response.text
        )


def _reason(exc: Exception) -> str:
    """The innermost cause, such as 'Connection refused'."""
    while exc.__context__ is not None and exc.__context__ is not exc:
        exc = exc.__context__
    return str(exc).split(": ")[-1] or type(exc).__name__


Site = InProcess | OverHttp


def get(site: Site, path: str, *, api_key: str = "") -> Answer:
    return site.request("GET", path, api_key=api_key)


def post(site: Site, path: str, data: dict | None = None, *, api_key: str = "") -> Answer:
    return site.request("POST", path, data=data, api_key=api_key)


def local_path(site: Site, url: str) -> str | None:
    """`url` as a path on `site`, or None when it leads elsewhere (such as Stripe's page)."""
    if url.startswith("/"):
        return url
    if isinstance(site, OverHttp) and url.startswith(site.origin + "/"):
        return url[len(site.origin) :]
    return None


# Forms -------------------------------------------------------------------------------------


@dataclass
class Form:
    action: str
    attrs: dict
    fields: list[tuple[str, str]] = field(default_factory=list)
    inputs: list[dict] = field(default_factory=list)
    help: dict[str, str] = field(default_factory=dict)  # help texts by element id
    required_radios: dict[str, str] = field(default_factory=dict)  # name -> first value

    def values(self) -> dict:
        """What a browser sends with the form's defaults (repeated names keep the last), and
        the first choice of a required radio group that has none chosen, as a buyer would."""
        return {**self.required_radios, **dict(self.fields)}


class _FormParser(HTMLParser):
    def __init__(self, page_path: str):
        super().__init__(convert_charrefs=True)
        self.page_path = page_path
        self.forms: list[Form] = []
        self._select: tuple[Form, str] | None = None
        self._first_option: str | None = None
        self._textarea: tuple[Form, str] | None = None
        self._help: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = {name: value if value is not None else "" for name, value in attrs}
        if "helptext" in attrs.get("class", "").split() and attrs.get("id") and self.forms:
            self._help = attrs["id"]
            self.forms[-1].help[self._help] = ""
        if tag == "form":
            action = urljoin(self.page_path, attrs.get("action") or self.page_path)
            self.forms.append(Form(action=action, attrs=attrs))
            return
        form = self.forms[-1] if self.forms else None
        if form is None or not attrs.get("name"):
            return
        name = attrs["name"]
        if tag == "input":
            form.inputs.append(attrs)
            kind = attrs.get("type", "text").lower()
            if kind == "radio" and "required" in attrs:
                form.required_radios.setdefault(name, attrs.get("value") or "on")
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    form.fields.append((name, attrs.get("value") or "on"))
            elif kind not in ("submit", "button", "image", "reset", "file"):
                form.fields.append((name, attrs.get("value", "")))
        elif tag == "select":
            self._select, self._first_option = (form, name), None
        elif tag == "option" and self._select:
            value = attrs.get("value", "")
            if self._first_option is None:
                self._first_option = value
            if "selected" in attrs:
                self._select[0].fields.append((self._select[1], value))
                self._select = None
        elif tag == "textarea":
            self._textarea = (form, name)
            form.fields.append((name, ""))

    def handle_data(self, data):
        if self._help:
            self.forms[-1].help[self._help] += data
        if self._textarea:
            form, name = self._textarea
            form.fields[-1] = (name, form.fields[-1][1] + data)

    def handle_endtag(self, tag):
        if tag == "div":
            self._help = None
        if tag == "select" and self._select:
            if self._first_option is not None:  # nothing selected: the first option
                self._select[0].fields.append((self._select[1], self._first_option))
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def form_on(answer: Answer, *, matching: Callable[[Form], bool], what: str) -> Form:
    parser = _FormParser(answer.path)
    parser.feed(answer.text)
    for form in parser.forms:
        if form.attrs.get("method", "get").lower() == "post" and matching(form):
            return form
    raise SmokeFailed(f"{answer.path} has no {what} form")


# The storefront ----------------------------------------------------------------------------

_PRODUCT_LINK = re.compile(r'href="(/products/[-\w]+/)"')
_ORDER_REF = re.compile(r"(cs_[A-Za-z0-9_]+)")


def storefront_checkout(site: Site, steps: Steps, *, catalog: str, email: str) -> str:
    """Catalog → first product → add to cart with its default choices → checkout form → the
    hosted payment page: its URL."""
    listing = steps(f"catalog lists a product ({catalog})", _catalog, site, catalog)
    page = steps(f"product page {listing}", lambda: get(site, listing).expect(200))
    configurator = form_on(
        page, matching=lambda f: f.attrs.get("id") == "configurator", what="add to cart"
    )
    steps(
        "add to cart",
        lambda: post(site, configurator.action, configurator.values()).expect(302),
    )
    form = steps(
        "checkout form",
        lambda: form_on(
            get(site, "/checkout/").expect(200),
            matching=lambda f: urlsplit(f.action).path == "/checkout/",
            what="checkout",
        ),
    )
    data = {**form.values(), **_buyer(form, email)}
    placed = steps("place the order", lambda: post(site, "/checkout/", data).expect(302))
    if not placed.location or placed.location.startswith("/checkout/orders/"):
        raise SmokeFailed(f"checkout did not lead to a payment page but to {placed.location!r}")
    return placed.location


def _catalog(site: Site, path: str) -> str:
    answer = get(site, path).expect(200)
    found = _PRODUCT_LINK.search(answer.text)
    if not found:
        raise SmokeFailed(f"{path} lists no product")
    return found.group(1)


def _buyer(form: Form, email: str) -> dict:
    """The buyer's details and one account per target field: a handle where the field asks
    for one (its help text says so), otherwise a link."""
    data = {"email": email, "name": "Smoke Check", "accept_terms": "on"}
    targets = [i for i in form.inputs if re.fullmatch(r"target_\d+(_\d+)?", i["name"])]
    handles: dict[str, bool] = {}  # per line: only a line's first field carries the help
    for number, target in enumerate(targets, start=1):
        line = target["name"].split("_")[1]
        described = target.get("aria-describedby", "").split()
        if described or line not in handles:
            handles[line] = any("handle" in form.help.get(id_, "") for id_ in described)
        data[target["name"]] = (
            f"@smoke.check{number}"
            if handles[line]
            else f"https://example.com/smoke-check-{number}"
        )
    return data


def session_ref(url: str) -> str:
    """The provider's session id in a hosted payment page's URL (ours or Stripe's)."""
    found = _ORDER_REF.search(url)
    if not found:
        raise SmokeFailed(f"the payment page URL {url!r} names no checkout session")
    return found.group(1)


def api_json(site: Site, path: str, *, api_key: str, method: str = "GET") -> dict:
    return site.request(method, path, api_key=api_key).expect(200).json()


# In-process sandbox ------------------------------------------------------------------------


@contextlib.contextmanager
def rolled_back() -> Iterator[None]:
    """Run the block in one transaction that is always rolled back, with caches and an outbox
    of its own: nothing it does stays in the database, a shared cache or anyone's inbox, and
    what would run after commit never runs. Webhooks apply inline, searches are written at
    once (into the transaction, not a buffer written later) and the sandbox answers without
    waiting, so the whole journey runs in the block."""
    run = secrets.token_hex(4)
    caches = {
        name: {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"smoke-{run}-{name}",
        }
        for name in settings.CACHES
    }
    with override_settings(
        CACHES=caches,
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        STRIPE_WEBHOOK_MODE="inline",
        SANDBOX_POLL_SECONDS=0,
        TELEMETRY_FLUSH_SECONDS=0,
    ):
        try:
            with transaction.atomic():
                yield
                transaction.set_rollback(True)
        finally:
            pricing_version_forget()  # the process's memo of the rolled-back version


def smoke_product() -> Product:
    """A service of its own (in the rolled-back transaction): Instagram growth delivered by
    the sandbox adapter, then an analytics snapshot. Returns it; its category lists only it."""
    run = secrets.token_hex(4)
    category = Category.objects.create(slug=f"smoke-{run}", name="Smoke check")
    product = Product.objects.create(
        slug=f"smoke-check-{run}",
        title="Smoke check growth",
        summary="A service that exists only while a smoke check runs.",
        category=category,
        platform="instagram",
        base_amount=1_000,
        max_quantity=1,
    )
    PlanStep.objects.create(
        product=product,
        position=0,
        name="Deliver growth",
        kind="delivery",
        adapter="sandbox",
        parameters={"units": 100, "progress_steps": 2},
    )
    PlanStep.objects.create(
        product=product,
        position=1,
        name="Analytics snapshot",
        kind="analytics",
        adapter="sandbox",
        parameters={"analytics": True},
    )
    return product


def in_process_paid_order(site: InProcess, steps: Steps) -> str:
    """A smoke product bought and paid on the local hosted page; the order's number."""
    if settings.PAYMENT_GATEWAY != "local":
        raise SmokeFailed(
            "the in-process check pays on the local simulated gateway, and PAYMENT_GATEWAY "
            f"is {settings.PAYMENT_GATEWAY!r}; check this deployment with --base-url"
        )
    product = steps("create the smoke service", smoke_product)
    hosted = storefront_checkout(
        site, steps, catalog=f"/catalog/?category={product.category.slug}", email=SMOKE_EMAIL
    )
    page = steps("hosted payment page", lambda: get(site, hosted).expect(200))
    pay = form_on(
        page,
        matching=lambda f: any(n == "csrfmiddlewaretoken" for n, _ in f.fields),
        what="payment",
    )
    paid = steps(
        "pay (signed webhook)",
        lambda: post(site, pay.action, {**pay.values(), "action": "pay"}).expect(302),
    )
    order_page = paid.location.split("?")[0]
    number = order_page.rstrip("/").rsplit("/", 1)[-1]
    steps("order page", lambda: get(site, paid.location).expect(200))
    return number


# The commands ------------------------------------------------------------------------------


class SmokeCommand(BaseCommand):
    """`--in-process` or `--base-url URL --api-key KEY`; subclasses give the steps of each."""

    def add_arguments(self, parser):
        where = parser.add_mutually_exclusive_group(required=True)
        where.add_argument(
            "--in-process",
            action="store_true",
            help="run the real views in this process (no port), leaving no data behind",
        )
        where.add_argument(
            "--base-url", help="a running deployment, such as https://shop.example.com"
        )
        parser.add_argument(
            "--api-key",
            default=os.environ.get("SMPLAT_API_KEY", ""),
            help="the deployment's CHECKOUT_API_KEY (default: $SMPLAT_API_KEY)",
        )
        parser.add_argument(
            "--timeout", type=float, default=10.0, help="seconds to wait for each answer (10)"
        )

    def handle(self, *args, in_process, base_url, api_key, timeout, **options):
        name = type(self).__module__.rsplit(".", 1)[-1]
        steps = Steps(self.stdout.write)
        try:
            if in_process:
                self.stdout.write(f"{name}: in process, nothing kept")
                self.api_key = settings.CHECKOUT_API_KEY
                with rolled_back():
                    self.in_process(InProcess(), steps, options)
            else:
                if not api_key:
                    raise CommandError("--base-url needs --api-key (or SMPLAT_API_KEY).")
                if timeout <= 0:
                    raise CommandError("--timeout must be a positive number of seconds.")
                self.stdout.write(f"{name}: {base_url}")
                self.api_key = api_key
                self.over_http(OverHttp(base_url, timeout=timeout), steps, options)
        except SmokeFailed as exc:
            raise CommandError(f"{name} failed: {exc}") from None
        self.stdout.write(self.style.SUCCESS(f"{name} passed: {steps.summary()}"))

    def in_process(self, site: InProcess, steps: Steps, options: dict) -> None:
        raise NotImplementedError

    def over_http(self, site: OverHttp, steps: Steps, options: dict) -> None:
        raise NotImplementedError

    def operator_json(self, site: Site, path: str) -> dict:
        return api_json(site, path, api_key=self.api_key)

    def order_status_is(self, site: Site, number: str, allowed: tuple[str, ...]) -> dict:
        progress = self.operator_json(site, f"/api/v1/orders/{number}/progress")
        if progress.get("status") not in allowed:
            raise SmokeFailed(
                f"order {number} is {progress.get('status')!r}, expected {' or '.join(allowed)}"
            )
        return progress
