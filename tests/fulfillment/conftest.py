import pytest

from .fake_services import FakeGraph, FakePanel


@pytest.fixture
def fake_panel(settings):
    """A fake reseller panel on 127.0.0.1 with the provider_panel adapter pointed at it."""
    server = FakePanel().start()
    settings.PROVIDER_PANEL_URL = server.url
    settings.PROVIDER_PANEL_KEY = server.key
    settings.PROVIDER_HTTP_TIMEOUT = 5.0
    yield server
    server.stop()


@pytest.fixture
def fake_graph(settings):
    """A fake Instagram Graph API on 127.0.0.1 with the instagram adapter pointed at it."""
    server = FakeGraph().start()
    settings.INSTAGRAM_GRAPH_URL = server.url
    settings.INSTAGRAM_ACCESS_TOKEN = server.token
    settings.INSTAGRAM_USER_ID = server.user_id
    settings.PROVIDER_HTTP_TIMEOUT = 5.0
    yield server
    server.stop()
