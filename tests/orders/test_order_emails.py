"""What an order e-mail says and where its link leads."""

import re
import time
from urllib.parse import urlsplit

import pytest
from django.core import mail, signing
from django.test import Client

from orders.notifications import ORDER_LINK_SALT, notifications_send_due, order_link
from orders.services import order_transition
from tests.checkout.factories import placed_order

pytestmark = pytest.mark.django_db

DAY = 86400


def emailed_link(message) -> str:
    return re.search(r"https?://\S+\?t=\S+", message.body).group(0)


def paid_order_email(settings, site_url="http://shop.test:8123"):
    settings.SITE_URL = site_url
    order, _ = placed_order()
    order_transition(order_id=order.pk, to_status="processing", source="test")
    notifications_send_due()
    (message,) = mail.outbox
    return order, message


def test_the_e_mail_links_to_the_configured_site_and_lists_items_and_amounts(settings):
    order, message = paid_order_email(settings)
    html = message.alternatives[0][0]
    link = emailed_link(message)
    assert link.startswith(f"http://shop.test:8123{order.get_absolute_url()}?t=")
    assert link in html.replace("&amp;", "&")
    assert "127.0.0.1:8000" not in message.body + html
    line = order.lines.get()
    for text in (message.body, html):
        assert f"{line.title} × {line.quantity}" in text
        assert "$" in text and str(order.total).split()[0] in text
        assert "We are preparing delivery" in text  # the next step
        assert "notification preferences" not in text
    assert "Total: " in message.body


def path_of(link: str) -> str:
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


def test_the_e_mailed_link_opens_the_order_in_a_browser_without_its_session(settings):
    order, message = paid_order_email(settings)
    stranger = Client()  # another device: no session, nobody signed in
    assert stranger.get(order.get_absolute_url()).status_code == 404
    page = stranger.get(path_of(emailed_link(message)))
    assert page.status_code == 200
    assert order.number in page.text and "Processing" in page.text


def signed_days_ago(value: str, days: int) -> str:
    """A token exactly as the e-mail makes it, but signed `days` ago."""

    class Earlier(signing.TimestampSigner):
        def timestamp(self):
            return signing.b62_encode(int(time.time()) - days * DAY)

    return Earlier(salt=ORDER_LINK_SALT).sign_object(value)


def test_the_order_link_stops_working_after_it_expires(settings):
    settings.ORDER_LINK_MAX_AGE_DAYS = 30
    order, _ = placed_order()
    url = order.get_absolute_url()
    assert Client().get(url, {"t": signed_days_ago(order.number, 29)}).status_code == 200
    expired = Client().get(url, {"t": signed_days_ago(order.number, 31)})
    assert expired.status_code == 403
    assert "no longer works" in expired.text and "/accounts/login/?next=" in expired.text
    assert order.name not in expired.text and order.lines.get().title not in expired.text


def test_a_link_for_one_order_never_opens_another(settings):
    order, message = paid_order_email(settings)
    other, _ = placed_order()
    token = urlsplit(emailed_link(message)).query.removeprefix("t=")
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for t in (token, tampered):
        page = Client().get(other.get_absolute_url(), {"t": t})
        assert page.status_code == 403
        assert other.lines.get().title not in page.text and "Status" not in page.text
    assert Client().get(order.get_absolute_url(), {"t": tampered}).status_code == 403


def test_the_client_can_pay_from_the_e_mailed_link_on_another_device():
    order, _ = placed_order()
    page = Client().get(path_of(order_link(order)))
    action = re.search(r'<form method="post" action="([^"]+)"', page.text).group(1)
    assert "?t=" in action
    assert Client().post(f"/checkout/orders/{order.number}/pay/").status_code == 404
    resumed = Client().post(action)
    assert resumed.status_code == 302
    assert resumed["Location"] == order.checkout_sessions.order_by("-attempt").first().url
