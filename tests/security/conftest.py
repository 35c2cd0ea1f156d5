# The fake provider panel and Instagram Graph API, for the secrets tests.
from tests.fulfillment.conftest import fake_graph, fake_panel  # noqa: F401
