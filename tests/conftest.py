import pytest
from django.core.cache import cache

from .fake_chat import FakeChat
from .fake_smtp import FakeSMTP


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Cached listings must not leak between tests."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def fake_smtp(settings):
    """A fake mail server on 127.0.0.1 with Django's SMTP backend pointed at it."""
    server = FakeSMTP().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    yield server
    server.stop()


@pytest.fixture
def fake_chat(settings):
    """A fake Slack-compatible incoming webhook on 127.0.0.1, set as OPS_CHAT_WEBHOOK_URL."""
    server = FakeChat().start()
    settings.OPS_CHAT_WEBHOOK_URL = server.url
    settings.OPS_CHAT_TIMEOUT = 0.5
    yield server
    server.stop()
