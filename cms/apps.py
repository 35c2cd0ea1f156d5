from django.apps import AppConfig


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = "Content"

    def ready(self):
        from . import signals  # noqa: F401
        from .models import ProductMarketingPage
        from .views import product_page_response

        ProductMarketingPage.render_product_page = staticmethod(product_page_response)
